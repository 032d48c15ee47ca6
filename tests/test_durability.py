"""Nothing paid for twice, nothing finished lost: SIGKILL after k finished calls, SIGTERM, and a
resume after the configuration changed. Real CLI processes against a real HTTP server."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from evalwheel.project import Project
from evalwheel.store.tables import CallCacheRow, TraceRow
from evalwheel.testing.openai_stub import StubServer
from tests.helpers import cli, cli_process, write_jsonl

N_ITEMS = 16


def _configure(project: Project, stub_a: StubServer, stub_b: StubServer | None = None) -> None:
    text = (
        f'\n[models.a]\nbase_url = "{stub_a.url}"\nmodel = "m"\nmax_retries = 0\n'
        "input_usd_per_mtok = 1000.0\noutput_usd_per_mtok = 1000.0\n"
    )
    if stub_b is not None:
        text += f'\n[models.b]\nbase_url = "{stub_b.url}"\nmodel = "m"\nmax_retries = 0\n'
    text += '\n[systems.echo]\nkind = "prompt"\nmodel = "a"\ntemplate = "say {{ input }}"\n'
    with open(project.config_path, "a", encoding="utf-8") as f:
        f.write(text)


def _dataset(tmp_path: Path) -> None:
    rows = [{"id": f"q{i:02d}", "input": f"item {i}", "reference": "x"} for i in range(N_ITEMS)]
    result = cli(
        "dataset", "import", write_jsonl(tmp_path / "q.jsonl", rows), "-n", "q", "-k", "benchmark"
    )
    assert result.exit_code == 0, result.stderr


def _count(project: Project, table, **where) -> int:
    store = project.open_store()
    try:
        with store.read() as session:
            query = select(func.count()).select_from(table)
            for key, value in where.items():
                query = query.where(getattr(table, key) == value)
            return int(session.execute(query).scalar_one())
    finally:
        store.close()


def _cached_texts(project: Project) -> set[str]:
    store = project.open_store()
    try:
        with store.read() as session:
            rows = session.execute(select(CallCacheRow.request)).scalars().all()
    finally:
        store.close()
    return {json.loads(r)["messages"][-1]["content"] for r in rows}


def _run_id(project: Project) -> str | None:
    runs = json.loads(cli("runs", "list", "--json").stdout)
    return runs[0]["id"] if runs else None


@pytest.mark.slow
@pytest.mark.parametrize("kill_after", [1, 5, 11])
def test_sigkill_after_k_finished_calls_loses_nothing_and_repays_nothing(
    sqlite_project: Project, tmp_path: Path, kill_after: int
):
    stub = StubServer()
    with stub:
        stub.state.delay_s = 0.15
        _configure(sqlite_project, stub)
        _dataset(tmp_path)
        proc = cli_process(
            "run", "-s", "echo", "-d", "q", "--concurrency", "1", cwd=sqlite_project.root
        )
        deadline = time.monotonic() + 120
        while _count(sqlite_project, CallCacheRow) < kill_after:
            assert proc.poll() is None and time.monotonic() < deadline, "run ended before the kill"
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        paid_before_kill = _cached_texts(sqlite_project)
        assert len(paid_before_kill) >= kill_after
        run_id = _run_id(sqlite_project)
        assert json.loads(cli("runs", "list", "--json").stdout)[0]["status"] == "interrupted"
        resumed = cli("run", "--resume", run_id, "--json")
        assert resumed.exit_code == 0, resumed.stderr
        assert _count(sqlite_project, TraceRow, run_id=run_id) == N_ITEMS
        seen = [json.loads(b)["messages"][-1]["content"] for b in stub.state.raw_bodies]
        # A call paid for before the kill was never sent again; in all, each item's call was
        # sent once, plus at most the one in flight when the process died.
        for text in paid_before_kill:
            assert seen.count(text) == 1, text
        assert N_ITEMS <= len(seen) <= N_ITEMS + 1
        summary = json.loads(resumed.stdout)["summary"]
        assert summary["done"] == N_ITEMS and summary["status"] == "completed"


@pytest.mark.slow
def test_sigterm_stops_within_seconds_and_the_run_resumes(sqlite_project: Project, tmp_path: Path):
    stub = StubServer()
    with stub:
        stub.state.delay_s = 1.0
        _configure(sqlite_project, stub)
        _dataset(tmp_path)
        proc = cli_process(
            "run", "-s", "echo", "-d", "q", "--concurrency", "2", cwd=sqlite_project.root
        )
        deadline = time.monotonic() + 120
        while _run_id(sqlite_project) is None or _count(sqlite_project, TraceRow) < 2:
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
        stopped_in = time.monotonic() - sent
        assert code == 130, proc.stderr.read()
        assert stopped_in < 5, stopped_in
        run_id = _run_id(sqlite_project)
        listed = json.loads(cli("runs", "list", "--json").stdout)[0]
        assert listed["status"] == "interrupted"
        done_at_stop = _count(sqlite_project, TraceRow, run_id=run_id)
        assert 2 <= done_at_stop < N_ITEMS
        stub.state.delay_s = 0.0
        resumed = cli("run", "--resume", run_id, "--json")
        assert resumed.exit_code == 0, resumed.stderr
        assert json.loads(resumed.stdout)["progress"]["done_before"] == done_at_stop


def test_resume_uses_the_stored_system_after_the_config_changed(
    sqlite_project: Project, tmp_path: Path
):
    stub_a, stub_b = StubServer(), StubServer()
    with stub_a, stub_b:
        _configure(sqlite_project, stub_a, stub_b)
        _dataset(tmp_path)
        # A budget stop leaves the run part done: each call reserves its worst case (~$0.27 at these
        # prices) and costs ~$0.01, so a few calls fit in $0.30.
        first = cli(
            "run", "-s", "echo", "-d", "q", "--budget-usd", "0.3", "--concurrency", "1", "--json"
        )
        assert first.exit_code == 1, first.stderr
        progress = json.loads(first.stdout)["progress"]
        assert 0 < progress["done_now"] < N_ITEMS
        run_id = progress["run_id"]
        text = sqlite_project.config_path.read_text(encoding="utf-8")
        sqlite_project.config_path.write_text(
            text.replace('kind = "prompt"\nmodel = "a"', 'kind = "prompt"\nmodel = "b"'),
            encoding="utf-8",
        )
        calls_a = stub_a.state.requests
        resumed = cli("run", "--resume", run_id, "--json")
        assert resumed.exit_code == 0, resumed.stderr
        assert "changed in the configuration" in resumed.stderr
        assert stub_b.state.requests == 0
        assert stub_a.state.requests - calls_a == N_ITEMS - progress["done_now"]
        # A new run of the same name uses today's configuration: model b.
        fresh = cli("run", "-s", "echo", "-d", "q", "--limit", "2")
        assert fresh.exit_code == 0, fresh.stderr
        assert stub_b.state.requests == 2


@pytest.mark.slow
def test_sigint_does_not_wait_for_a_sync_function_that_never_returns(
    sqlite_project: Project, tmp_path: Path
):
    (sqlite_project.root / "sleepy.py").write_text(
        "import time\n\ndef answer(example):\n    time.sleep(60)\n    return 'late'\n"
    )
    with open(sqlite_project.config_path, "a", encoding="utf-8") as f:
        f.write('\n[systems.sleepy]\nkind = "python"\nfunction = "sleepy:answer"\n')
    _dataset(tmp_path)
    proc = cli_process("run", "-s", "sleepy", "-d", "q", cwd=sqlite_project.root)
    deadline = time.monotonic() + 60
    while _run_id(sqlite_project) is None:
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.1)
    time.sleep(1.0)
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    code = proc.wait(timeout=30)
    assert code == 130 and time.monotonic() - sent < 5, proc.stderr.read()
    assert json.loads(cli("runs", "list", "--json").stdout)[0]["status"] == "interrupted"
