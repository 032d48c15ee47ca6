"""Hardening: independent repetitions, the run lease, one-line errors printed as plain text, secret
redaction and database errors summarised. Each test fails on the code before the hardening issue."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import event, update

from evalwheel.apps.interface import AppOutput, CheckResult
from evalwheel.core.example import Example
from evalwheel.core.system import System
from evalwheel.errors import ConflictError
from evalwheel.llm.client import ModelClient
from evalwheel.llm.errors import ServerFailure
from evalwheel.llm.registry import ModelSpec
from evalwheel.llm.types import ChatRequest
from evalwheel.project import Project
from evalwheel.redaction import redact_text, redact_url, register_secret
from evalwheel.runner.aggregate import summarize
from evalwheel.runner.runner import RunPlan, create_run, execute_run
from evalwheel.runner.scorers import registry
from evalwheel.store.datasets import DatasetRepository
from evalwheel.store.runs import RunRepository
from evalwheel.store.tables import RunRow
from evalwheel.testing.openai_stub import StubServer
from tests.helpers import cli, write_jsonl


class CoinApp:
    """Asks a model that answers yes or no at random; passes on yes."""

    name = "coin"

    def example_datasets(self):
        return []

    def field_maps(self):
        return {}

    async def run(self, example: Example, client: ModelClient, params: dict) -> AppOutput:
        response = await client.chat(
            ChatRequest(messages=[{"role": "user", "content": str(example.input)}], max_tokens=5)
        )
        return AppOutput(outcome="answer", artifact=response.content)

    def check(self, example: Example, output: AppOutput) -> list[CheckResult]:
        return [CheckResult(scorer="coin.pass", passed=output.artifact == "yes")]

    def render(self, example, output):
        return str(output.artifact)

    def same(self, a, b):
        return a.artifact == b.artifact

    def ideal_trajectory(self, request, artifact):
        return []


def _coin_dataset(tmp_path: Path, n: int) -> None:
    rows = [{"id": f"c{i}", "input": f"[[coin:yes|no]] question {i}"} for i in range(n)]
    result = cli(
        "dataset",
        "import",
        write_jsonl(tmp_path / "c.jsonl", rows),
        "-n",
        "coin",
        "-k",
        "benchmark",
    )
    assert result.exit_code == 0, result.stderr


def _plan(store, **kw) -> RunPlan:
    version = DatasetRepository(store).resolve("coin")
    return RunPlan(
        dataset=f"coin@{version.version_id}", version_id=version.version_id, app="coin", **kw
    )


@pytest.fixture
def coin_stub():
    server = StubServer()
    server.__enter__()
    server.state.random.seed(7)
    yield server
    server.__exit__(None, None, None)


def test_repetitions_are_independent_samples_each_paid_once(
    sqlite_project: Project, coin_stub: StubServer, tmp_path: Path
):
    _coin_dataset(tmp_path, 200)
    store = sqlite_project.open_store()
    spec = ModelSpec(name="stub", base_url=coin_stub.url, model="m", max_retries=0)
    system = System(name="coin-stub", app="coin", model="stub")

    async def go(run_id: str):
        async with ModelClient(spec, store=store) as client:
            return await execute_run(store, run_id, CoinApp(), client, registry(), concurrency=16)

    run_id = create_run(store, system, _plan(store, repeat=2))
    asyncio.run(go(run_id))
    # Every (item, repetition) is its own upstream call: 400, not ~200 answered from the cache.
    assert coin_stub.state.requests == 400
    entry = summarize(store, run_id).scorers["coin.pass"]
    assert entry.pass_rate.n == 200 and entry.pass_rate.method == "cluster bootstrap over items"
    pass_rate, pass_hat_2 = entry.pass_rate.estimate, entry.pass_hat_k[2].estimate
    # A fair coin: pass^2 near 0.25, well below the pass rate near 0.5 (equal if samples were copies).
    assert 0.35 < pass_rate < 0.65 and pass_hat_2 < pass_rate - 0.1

    # The same plan again: both repetitions are in the cache, nothing is paid twice.
    again = create_run(store, system, _plan(store, repeat=2))
    asyncio.run(go(again))
    assert coin_stub.state.requests == 400
    store.close()


def test_repetitions_of_a_deterministic_system_do_not_narrow_the_interval(
    sqlite_project: Project, coin_stub: StubServer, tmp_path: Path
):
    rows = [
        {"id": f"d{i}", "input": f"[[reply:{'yes' if i % 2 else 'no'}]] question {i}"}
        for i in range(10)
    ]
    result = cli(
        "dataset",
        "import",
        write_jsonl(tmp_path / "d.jsonl", rows),
        "-n",
        "coin",
        "-k",
        "benchmark",
    )
    assert result.exit_code == 0, result.stderr
    store = sqlite_project.open_store()
    spec = ModelSpec(name="stub", base_url=coin_stub.url, model="m", max_retries=0)
    system = System(name="coin-stub", app="coin", model="stub")

    async def go(run_id: str):
        async with ModelClient(spec, store=store) as client:
            return await execute_run(store, run_id, CoinApp(), client, registry(), concurrency=8)

    rates = {}
    for repeat in (1, 10):
        run_id = create_run(store, system, _plan(store, repeat=repeat))
        asyncio.run(go(run_id))
        rates[repeat] = summarize(store, run_id).scorers["coin.pass"].pass_rate
    # Ten copies of the same answers are not ten times the evidence: same n, no narrower interval
    # (counting tries as trials gave n=100 and a lower bound of 0.40 instead of 0.24).
    assert rates[1].estimate == rates[10].estimate == 0.5
    assert rates[10].n == rates[1].n == 10
    assert rates[10].ci_low <= rates[1].ci_low + 0.05
    store.close()


def _live_foreign_owner() -> tuple[subprocess.Popen, str]:
    import socket

    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    return holder, f"{socket.gethostname()[:64]}:{holder.pid}:feedface"


def test_a_run_held_by_a_live_process_is_refused_and_a_dead_holder_is_taken_over(
    sqlite_project: Project, coin_stub: StubServer, tmp_path: Path
):
    _coin_dataset(tmp_path, 5)
    store = sqlite_project.open_store()
    spec = ModelSpec(name="stub", base_url=coin_stub.url, model="m", max_retries=0)
    run_id = create_run(store, System(name="coin-stub", app="coin", model="stub"), _plan(store))
    holder, owner = _live_foreign_owner()
    try:
        RunRepository(store).acquire_lease(run_id, owner)

        async def go():
            async with ModelClient(spec, store=store) as client:
                return await execute_run(store, run_id, CoinApp(), client, registry())

        with pytest.raises(ConflictError, match="another process"):
            asyncio.run(go())
        assert coin_stub.state.requests == 0
        rows = json.loads(cli("runs", "list", "--json").stdout)
        assert rows[0]["status"] == "running"
    finally:
        holder.kill()
        holder.wait()
    # The holder died without releasing its lease: the run shows as interrupted and can resume.
    rows = json.loads(cli("runs", "list", "--json").stdout)
    assert rows[0]["status"] == "interrupted"
    progress = asyncio.run(go())
    assert progress.remaining == 0 and coin_stub.state.requests == 5
    assert summarize(store, run_id).status == "completed"
    store.close()


def test_the_cli_refuses_to_resume_a_run_another_process_executes(
    sqlite_project: Project, coin_stub: StubServer, tmp_path: Path
):
    with open(sqlite_project.config_path, "a", encoding="utf-8") as f:
        f.write(
            f'\n[models.stub]\nbase_url = "{coin_stub.url}"\nmodel = "m"\n'
            '\n[systems.flow-stub]\napp = "flow"\nmodel = "stub"\n'
        )
    _coin_dataset(tmp_path, 3)
    store = sqlite_project.open_store()
    version = DatasetRepository(store).resolve("coin")
    plan = RunPlan(dataset=f"coin@{version.version_id}", version_id=version.version_id, app="flow")
    run_id = create_run(store, System(name="flow-stub", app="flow", model="stub"), plan)
    holder, owner = _live_foreign_owner()
    try:
        RunRepository(store).acquire_lease(run_id, owner)
        result = cli("run", "--resume", run_id)
    finally:
        holder.kill()
        holder.wait()
    assert result.exit_code == 2
    assert "being executed by another process" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert coin_stub.state.requests == 0
    store.close()


def test_errors_and_data_print_as_plain_text(sqlite_project: Project, tmp_path: Path):
    result = cli("gate", "--tier", "nightly")
    assert result.exit_code == 2
    assert "[gates.nightly]" in result.stderr  # was "no  in evalwheel.toml": eaten as markup
    result = cli("dataset", "show", "x[/]y")
    assert result.exit_code == 2 and "Traceback" not in result.stderr
    assert "x[/]y" in result.stderr
    rows = [{"id": "a-1", "input": "[bold]kept[/bold] \x1b[31mred\x1b[0m \x07bell"}]
    cli("dataset", "import", write_jsonl(tmp_path / "m.jsonl", rows), "-n", "m", "-k", "benchmark")
    shown = cli("dataset", "show", "m").stdout
    assert "[bold]kept[/bold]" in shown
    assert "\x1b" not in shown and "\x07" not in shown
    assert "\\x1b[31mred" in shown and "\\x07bell" in shown


def test_errors_go_through_main_without_markup_tracebacks(sqlite_project: Project):
    proc = subprocess.run(
        [sys.executable, "-m", "evalwheel.cli.app", "dataset", "show", "bad[/]name"],
        capture_output=True,
        text=True,
        cwd=sqlite_project.root,
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and "bad[/]name" in proc.stderr


def test_urls_and_known_keys_are_redacted():
    assert redact_url("postgresql://me:hunter2@db:5432/x") == "postgresql://me:***@db:5432/x"
    url = redact_url("https://u:p4ss@api.example/v1?api-key=SECRET1&x=1")
    assert "p4ss" not in url and "SECRET1" not in url and "x=1" in url
    register_secret("sk-test-0123456789abcdef")
    text = redact_text('upstream said {"error": "bad key sk-test-0123456789abcdef"}')
    assert "0123456789abcdef" not in text
    error = ServerFailure(
        "500: key sk-test-0123456789abcdef refused", raw="echo sk-test-0123456789abcdef"
    )
    assert "0123456789abcdef" not in str(error) and "0123456789abcdef" not in error.record().raw


def test_models_list_and_store_errors_never_print_passwords(
    sqlite_project: Project, monkeypatch: pytest.MonkeyPatch
):
    with open(sqlite_project.config_path, "a", encoding="utf-8") as f:
        f.write(
            '\n[models.remote]\nbase_url = "https://bob:pa55word@api.example/v1?api-key=K3Y"\n'
            'model = "m"\n'
        )
    listed = cli("models", "list", "--json")
    assert listed.exit_code == 0, listed.stderr
    assert "pa55word" not in listed.stdout and "K3Y" not in listed.stdout
    monkeypatch.setenv("EVALWHEEL_DATABASE_URL", "mysql://root:s3cr3tpw@127.0.0.1:1/db")
    result = cli("dataset", "list")
    assert result.exit_code == 2 and "s3cr3tpw" not in result.stderr + result.stdout
    monkeypatch.setenv("EVALWHEEL_DATABASE_URL", "postgresql://root:s3cr3tpw@127.0.0.1:1/db")
    result = cli("dataset", "list")
    assert result.exit_code == 2 and "s3cr3tpw" not in result.stderr + result.stdout


def test_a_full_disk_is_one_line_and_the_detail_goes_to_the_log(
    sqlite_project: Project, tmp_path: Path
):
    store = sqlite_project.open_store()

    @event.listens_for(store.engine, "connect")
    def _tiny(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        pages = cursor.execute("PRAGMA page_count").fetchone()[0]
        cursor.execute(f"PRAGMA max_page_count = {pages}")
        cursor.close()

    store.engine.dispose()
    from evalwheel.errors import EvalwheelError

    with pytest.raises(EvalwheelError) as caught, store.write() as session:
        session.execute(update(RunRow).values(status="x"))
        session.add_all(
            RunRow(
                id=f"r{i}",
                system_name="s" * 100,
                system_version="v" * 64,
                dataset="d" * 200,
                split=None,
                repeat=1,
                status="pending",
                n_items=0,
                config={"blob": "x" * 4000},
                created_at=__import__("datetime").datetime.now(),
            )
            for i in range(200)
        )
    message = str(caught.value)
    assert "the disk is full" in message and "INSERT" not in message and len(message) < 300
    log = sqlite_project.state_dir / "logs" / "store-errors.log"
    assert log.is_file() and "INSERT" in log.read_text()
    store.close()


@pytest.mark.parametrize(
    "args",
    [
        ["--repeat", "0"],
        ["--repeat", "-1"],
        ["--limit", "-3"],
        ["--budget-usd", "-1"],
        ["--budget-usd", "nan"],
        ["--concurrency", "0"],
    ],
)
def test_bad_run_arguments_are_refused_before_a_run_exists(
    sqlite_project: Project, tmp_path: Path, args: list[str]
):
    _coin_dataset(tmp_path, 2)
    result = cli("run", "-s", "flow-local", "-d", "coin", *args)
    assert result.exit_code == 2
    assert json.loads(cli("runs", "list", "--json").stdout) == []


def test_env_in_tests_is_clean():
    assert "EVALWHEEL_DATABASE_URL" not in os.environ
