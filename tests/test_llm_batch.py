"""``evalwheel models batch`` end to end against a fault-injecting server on 127.0.0.1."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from evalwheel.project import Project
from evalwheel.testing.openai_stub import StubServer
from tests.helpers import cli, cli_json


@pytest.fixture
def stub_project(sqlite_project: Project) -> Iterator[tuple[Project, StubServer]]:
    server = StubServer(hang_s=3.0, retry_after="0.05")
    url = server.__enter__()
    with open(sqlite_project.config_path, "a") as f:
        f.write(
            f'\n[models.stub]\nbase_url = "{url}"\nmodel = "stub-1"\ntimeout_s = 1.0\nmax_retries = 3\n'
            "max_concurrency = 8\ninput_usd_per_mtok = 100.0\noutput_usd_per_mtok = 100.0\n"
        )
    yield sqlite_project, server
    server.__exit__(None, None, None)


FAULTS = [
    "",
    "[[fault:429x2]]",
    "[[fault:500x1]]",
    "[[fault:timeoutx1]]",
    "[[fault:malformedx1]]",
    "[[fault:cutx1]]",
    "[[fault:400]]",
    "[[fault:500x9]]",
]


def write_requests(path: Path, n: int, faults: list[str] = FAULTS) -> Path:
    with open(path, "w") as f:
        for i in range(n):
            f.write(
                json.dumps(
                    {
                        "id": f"r{i}",
                        "messages": [
                            {"role": "user", "content": f"item {i} {faults[i % len(faults)]}"}
                        ],
                        "max_tokens": 20,
                    }
                )
                + "\n"
            )
    return path


def read_out(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_every_request_ends_with_a_result_or_a_recorded_error(stub_project, tmp_path: Path):
    _, server = stub_project
    requests = write_requests(tmp_path / "in.jsonl", 40)
    out = tmp_path / "out.jsonl"
    result = cli("models", "batch", "-m", "stub", "-i", requests, "-o", out, "--json")
    assert result.exit_code == 1  # some ids failed for good: 400 and persistent 500
    summary = json.loads(result.stdout)
    lines = read_out(out)
    assert [r["id"] for r in lines] == [f"r{i}" for i in range(40)]  # one line per id, input order
    by_id = {r["id"]: r for r in lines}
    for i in range(40):
        fault = FAULTS[i % len(FAULTS)]
        record = by_id[f"r{i}"]
        if fault in ("[[fault:400]]", "[[fault:500x9]]"):
            error = record["error"]
            assert error["type"] == ("client_error" if "400" in fault else "server_error")
            assert error["attempts"] == (1 if "400" in fault else 4)
        else:
            assert record["response"]["content"] == f"echo: item {i}", record
    assert summary["succeeded"] == 30 and summary["failed"] == 10 and summary["remaining"] == 0
    assert summary["stats"]["errors"] == {"client_error": 5, "server_error": 5}
    # Exactly the attempts the policy implies, no more: 1+3+2+2+2+2+1+4 per cycle of 8 faults.
    assert server.state.requests == 5 * 17
    assert sum(r["response"]["attempts"] for r in lines if "response" in r) + 5 * 1 + 5 * 4 == 85


def test_a_rerun_is_served_from_the_cache_and_retries_only_errors(stub_project, tmp_path: Path):
    _, server = stub_project
    requests = write_requests(tmp_path / "in.jsonl", 16, faults=["", "[[fault:429x1]]"])
    out = tmp_path / "out.jsonl"
    assert cli("models", "batch", "-m", "stub", "-i", requests, "-o", out).exit_code == 0
    seen = server.state.requests
    first = read_out(out)
    out2 = tmp_path / "out2.jsonl"
    summary = cli_json("models", "batch", "-m", "stub", "-i", requests, "-o", out2)
    assert server.state.requests == seen  # the server saw nothing new
    assert summary["stats"]["cache_hits"] == 16 and summary["stats"]["cache_misses"] == 0
    assert [r["response"]["content"] for r in read_out(out2)] == [
        r["response"]["content"] for r in first
    ]
    assert all(r["response"]["cached"] for r in read_out(out2))
    # Same output file again: nothing to do at all.
    summary = cli_json("models", "batch", "-m", "stub", "-i", requests, "-o", out)
    assert summary["already_done"] == 16 and summary["stats"]["calls"] == 0


def test_resume_skips_done_ids_retries_errors_and_survives_a_torn_line(
    stub_project, tmp_path: Path
):
    _, server = stub_project
    requests = write_requests(tmp_path / "in.jsonl", 6, faults=[""])
    out = tmp_path / "out.jsonl"
    out.write_text(
        json.dumps({"id": "r0", "response": {"content": "from before"}})
        + "\n"
        + json.dumps({"id": "r1", "error": {"type": "timeout", "message": "x"}})
        + "\n"
        + '{"id": "r2", "respo'  # killed mid-write
    )
    summary = cli_json("models", "batch", "-m", "stub", "-i", requests, "-o", out, "--cache", "off")
    assert summary["already_done"] == 1 and summary["succeeded"] == 5
    assert server.state.requests == 5
    lines = read_out(out)
    assert [r["id"] for r in lines] == [f"r{i}" for i in range(6)]
    assert lines[0]["response"]["content"] == "from before"
    assert lines[1]["response"]["content"] == "echo: item 1"


def test_budget_stops_cleanly_and_a_larger_budget_continues(stub_project, tmp_path: Path):
    _, server = stub_project
    requests = write_requests(tmp_path / "in.jsonl", 30, faults=[""])
    out = tmp_path / "out.jsonl"
    dry = cli_json("models", "batch", "-m", "stub", "-i", requests, "-o", out, "--dry-run")
    assert dry["requests"] == 30 and dry["output_tokens"] == 600 and dry["usd"] > 0
    assert server.state.requests == 0
    budget = dry["usd"] / 10  # three worst-case reservations: it must stop early
    result = cli(
        "models",
        "batch",
        "-m",
        "stub",
        "-i",
        requests,
        "-o",
        out,
        "--budget-usd",
        str(budget),
        "--json",
    )
    assert result.exit_code == 1
    summary = json.loads(result.stdout)
    assert summary["stopped"] and "USD budget" in summary["stopped"]
    assert summary["remaining"] > 0 and summary["failed"] == 0
    assert summary["stats"]["cost_usd"] <= budget
    assert summary["succeeded"] + summary["remaining"] == 30
    assert len(read_out(out)) == summary["succeeded"]
    done_first = summary["succeeded"]
    summary = cli_json(
        "models", "batch", "-m", "stub", "-i", requests, "-o", out, "--budget-usd", "100"
    )
    assert summary["already_done"] == done_first and summary["remaining"] == 0
    assert len(read_out(out)) == 30 and server.state.requests == 30


def test_schema_validates_every_response(stub_project, tmp_path: Path):
    schema = tmp_path / "schema.json"
    schema.write_text(
        json.dumps({"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]})
    )
    requests = tmp_path / "in.jsonl"
    requests.write_text(
        json.dumps({"id": "ok", "messages": [{"role": "user", "content": '[[reply:{"n": 3}]]'}]})
        + "\n"
        + json.dumps(
            {"id": "bad", "messages": [{"role": "user", "content": '[[reply:{"n": "three"}]]'}]}
        )
        + "\n"
    )
    out = tmp_path / "out.jsonl"
    assert (
        cli(
            "models", "batch", "-m", "stub", "-i", requests, "-o", out, "--schema", schema
        ).exit_code
        == 1
    )
    ok, bad = read_out(out)
    assert ok["parsed"] == {"n": 3}
    assert bad["error"]["type"] == "invalid_output" and bad["error"]["raw"] == '{"n": "three"}'


def test_bad_request_lines_are_reported_before_any_call(stub_project, tmp_path: Path):
    _, server = stub_project
    requests = tmp_path / "in.jsonl"
    requests.write_text(
        json.dumps({"id": "a", "messages": [{"role": "user", "content": "x"}]})
        + "\n"
        + json.dumps({"messages": [{"role": "user", "content": "x"}]})
        + "\n"
        + json.dumps({"id": "c", "messages": []})
        + "\n"
        + "{oops\n"
    )
    result = cli("models", "batch", "-m", "stub", "-i", requests, "-o", tmp_path / "o.jsonl")
    assert result.exit_code == 2
    assert f"{requests}:2: id: required (a string or integer)" in result.stderr
    assert (
        f"{requests}:3: messages: List should have at least 1 item after validation, not 0"
        in result.stderr
    )
    assert f"{requests}:4: (line): invalid JSON" in result.stderr
    assert server.state.requests == 0


def test_deadline_ends_the_run_without_losing_items(stub_project, tmp_path: Path):
    requests = write_requests(tmp_path / "in.jsonl", 12, faults=["[[fault:timeoutx5]]"])
    out = tmp_path / "out.jsonl"
    result = cli(
        "models", "batch", "-m", "stub", "-i", requests, "-o", out, "--deadline-s", "1.5", "--json"
    )
    summary = json.loads(result.stdout)
    lines = read_out(out)
    assert summary["succeeded"] + summary["failed"] + summary["remaining"] == 12
    assert len(lines) == summary["succeeded"] + summary["failed"]
    assert all("error" in r for r in lines)


def test_models_list_and_unknown_model(stub_project):
    names = [m["name"] for m in cli_json("models", "list")]
    assert names == ["local", "stub"]
    result = cli("models", "batch", "-m", "nope", "-i", "x.jsonl", "-o", "y.jsonl")
    assert result.exit_code == 2 and "unknown model 'nope'" in result.stderr


def test_models_check_against_an_endpoint(stub_project):
    result = cli_json("models", "check", "stub")
    assert result["ok"] is True and result["tools"] is True


@pytest.mark.slow
def test_sigkill_mid_batch_then_resume_gives_one_line_per_id(stub_project, tmp_path: Path):
    import os
    import signal
    import time

    from tests.helpers import cli_process

    project, server = stub_project
    server.state.delay_s = 0.05
    requests = write_requests(tmp_path / "in.jsonl", 300, faults=["", "[[fault:500x1]]"])
    out = tmp_path / "out.jsonl"
    for _ in range(2):
        proc = cli_process(
            "models",
            "batch",
            "-m",
            "stub",
            "-i",
            requests,
            "-o",
            out,
            "--concurrency",
            "4",
            cwd=project.root,
        )
        deadline = time.monotonic() + 60
        while (
            not out.exists() or len(out.read_text().splitlines()) < 20
        ) and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    partial = out.read_text().splitlines()
    assert 0 < len(partial) < 300
    summary = cli_json("models", "batch", "-m", "stub", "-i", requests, "-o", out)
    lines = read_out(out)
    assert [r["id"] for r in lines] == [f"r{i}" for i in range(300)]
    assert all("response" in r for r in lines)
    assert summary["already_done"] + summary["succeeded"] == 300
