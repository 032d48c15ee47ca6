"""The "Evaluate your own agent" example (examples/capitals, docs/own-agent.md), end to end on the
embedded model: the same eval from Python, the CLI and the pytest plugin gives the same aggregates;
the commit gate passes; prompt and openai systems (the latter behind `evalwheel models serve`)
run with a judge."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

import evalwheel as ew
from tests.helpers import cli

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "capitals"
JUDGE = ["capital-judge"]

pytestmark = [pytest.mark.slow, pytest.mark.model]


@pytest.fixture
def capitals(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "capitals"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".evalwheel", "__pycache__"))
    monkeypatch.chdir(root)
    assert cli("init", ".").exit_code == 0
    ew.import_dataset("capitals.jsonl", "capitals", "qa", project=root)
    return root


def _scorers(summary: dict) -> dict:
    return {name: entry["pass_rate"] for name, entry in summary["scorers"].items()}


def test_the_same_eval_three_ways_gives_the_same_aggregates(capitals: Path):
    from_python = ew.evaluate(
        "capitals-lookup",
        "capitals",
        project=capitals,
        scorers=["exact_match"],
        judges=JUDGE,
        allow_untrusted_judges=True,
    )
    assert from_python.complete
    exact = from_python.pass_rate("exact_match")
    assert (exact.n, exact.estimate) == (6, 5 / 6)  # the lookup table gets Australia wrong
    from_cli = cli(
        "run", "-s", "capitals-lookup", "-d", "capitals", "--scorer", "exact_match",
        "--scorer", "judge:capital-judge", "--allow-untrusted-judge", "--json",
    )  # fmt: skip
    assert from_cli.exit_code == 0, from_cli.stderr
    python_summary = from_python.summary.model_dump(mode="json")
    assert _scorers(json.loads(from_cli.stdout)["summary"]) == _scorers(python_summary)
    from_pytest = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_capitals.py"],
        cwd=capitals,
        capture_output=True,
        text=True,
    )
    assert from_pytest.returncode == 0, from_pytest.stdout + from_pytest.stderr
    runs = json.loads(cli("runs", "list", "--json").stdout)
    assert len(runs) == 3 and {r["status"] for r in runs} == {"completed"}
    shown = json.loads(cli("runs", "show", runs[0]["id"], "--json").stdout)
    assert _scorers(shown) == _scorers(python_summary)
    gate = cli("gate", "--tier", "commit", "--json")
    assert gate.exit_code == 0, gate.stdout + gate.stderr
    assert json.loads(gate.stdout)["passed"] is True


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_prompt_system_and_an_agent_behind_models_serve(capitals: Path):
    prompt = ew.evaluate(
        "capitals-prompt",
        "capitals",
        project=capitals,
        scorers=["exact_match"],
        judges=JUDGE,
        allow_untrusted_judges=True,
    )
    assert prompt.complete and prompt.summary.errors == 0
    assert prompt.pass_rate("exact_match").n == 6
    assert prompt.summary.scorer("judge:capital-judge").pass_rate.n == 6
    port, token = _free_port(), "capitals-test-token-0123456789"
    config = capitals / "evalwheel.toml"
    config.write_text(config.read_text().replace(":8765/", f":{port}/"))
    env = {**os.environ, "EVALWHEEL_SERVE_TOKEN": token}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "evalwheel.cli.app",
            "models",
            "serve",
            "local",
            "--port",
            str(port),
        ],
        cwd=capitals,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, server.stderr.read()
                time.sleep(0.1)
        os.environ["EVALWHEEL_SERVE_TOKEN"] = token
        agent = ew.evaluate(
            "capitals-agent",
            "capitals",
            project=capitals,
            scorers=["exact_match"],
            judges=JUDGE,
            allow_untrusted_judges=True,
        )
    finally:
        os.environ.pop("EVALWHEEL_SERVE_TOKEN", None)
        server.terminate()
        server.wait(timeout=30)
    assert agent.complete and agent.summary.errors == 0, agent.summary
    assert agent.calls is not None and agent.calls.cache_misses == 6
    assert agent.pass_rate("exact_match").n == 6
