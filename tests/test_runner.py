"""The runner with a small test application on a real HTTP stub server: every item counted,
errors as failures, budget stops resumed without redoing or duplicating anything."""

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from evalwheel.apps.interface import AppOutput, CheckResult
from evalwheel.core.example import Example
from evalwheel.core.system import System
from evalwheel.llm.budget import Budget
from evalwheel.llm.client import ModelClient
from evalwheel.llm.registry import ModelSpec
from evalwheel.llm.types import ChatRequest
from evalwheel.project import Project
from evalwheel.runner.aggregate import summarize
from evalwheel.runner.runner import RunPlan, create_run, execute_run
from evalwheel.runner.scorers import registry
from evalwheel.store.datasets import DatasetRepository
from evalwheel.store.tables import TraceRow
from evalwheel.testing.openai_stub import StubServer
from tests.helpers import cli, write_jsonl


class EchoApp:
    """Asks the model to echo the request; passes when the reply equals the reference."""

    name = "echo"

    def example_datasets(self):
        return []

    def field_maps(self):
        return {}

    async def run(self, example: Example, client: ModelClient, params: dict) -> AppOutput:
        if "explode" in str(example.input):
            raise RuntimeError("the system crashed")
        response = await client.chat(
            ChatRequest(messages=[{"role": "user", "content": str(example.input)}], max_tokens=20)
        )
        return AppOutput(outcome="answer", artifact=response.content, cost_usd=response.cost_usd)

    def check(self, example: Example, output: AppOutput) -> list[CheckResult]:
        return [CheckResult(scorer="echo.correct", passed=output.artifact == example.reference)]

    def render(self, example, output):
        return str(output.artifact)

    def same(self, a, b):
        return a.artifact == b.artifact

    def ideal_trajectory(self, request, artifact):
        return []


@pytest.fixture
def stub() -> Iterator[StubServer]:
    server = StubServer()
    server.__enter__()
    yield server
    server.__exit__(None, None, None)


def _dataset(project: Project, tmp_path: Path, n: int) -> str:
    rows = []
    for i in range(n):
        text = f"item {i}" if i % 10 != 3 else f"explode {i}"
        rows.append(
            {
                "id": f"e{i}",
                "input": text,
                "reference": f"echo: {text}" if i % 10 != 7 else "something else",
                "tags": ["odd" if i % 2 else "even"],
            }
        )
    cli(
        "dataset",
        "import",
        write_jsonl(tmp_path / "d.jsonl", rows),
        "-n",
        "echo",
        "-k",
        "benchmark",
    )
    return "echo"


def _plan(project: Project, store, **kw) -> RunPlan:
    version = DatasetRepository(store).resolve("echo")
    return RunPlan(
        dataset=f"echo@{version.version_id}", version_id=version.version_id, app="echo", **kw
    )


def test_every_item_is_counted_and_errors_are_failures(
    project: Project, stub: StubServer, tmp_path: Path
):
    _dataset(project, tmp_path, 40)
    store = project.open_store()
    spec = ModelSpec(name="stub", base_url=stub.url, model="m", max_retries=0)
    run_id = create_run(
        store,
        System(name="echo-stub", app="echo", model="stub"),
        _plan(project, store, scorers=["exact_match"]),
    )

    async def go():
        async with ModelClient(spec, store=store) as client:
            return await execute_run(store, run_id, EchoApp(), client, registry(), concurrency=8)

    progress = asyncio.run(go())
    assert progress.done_now == 40 and progress.failed_now == 4 and progress.remaining == 0
    summary = summarize(store, run_id)
    correct = summary.scorers["echo.correct"].pass_rate
    # 4 crashed items and 4 wrong references fail; the crashed ones are in the denominator.
    assert correct.n == 40 and correct.estimate == pytest.approx(32 / 40)
    assert summary.scorers["exact_match"].pass_rate.n == 40
    assert summary.errors == 4 and summary.status == "completed"
    assert set(summary.scorers["echo.correct"].slices) == {"odd", "even"}
    store.close()


def test_a_budget_stop_resumes_without_redoing_or_duplicating(
    project: Project, stub: StubServer, tmp_path: Path
):
    _dataset(project, tmp_path, 30)
    store = project.open_store()
    spec = ModelSpec(
        name="stub",
        base_url=stub.url,
        model="m",
        max_retries=0,
        input_usd_per_mtok=1000.0,
        output_usd_per_mtok=1000.0,
    )
    run_id = create_run(
        store, System(name="echo-stub", app="echo", model="stub"), _plan(project, store, repeat=2)
    )

    async def go(budget):
        async with ModelClient(spec, budget=Budget(usd=budget)) as client:
            return await execute_run(store, run_id, EchoApp(), client, registry(), concurrency=2)

    first = asyncio.run(go(0.1))
    assert first.stopped and first.remaining > 0
    seen_after_first = stub.state.requests
    second = asyncio.run(go(100.0))
    assert second.remaining == 0 and second.done_before == first.done_now
    assert (
        stub.state.requests - seen_after_first == second.done_now - second.failed_now
    )  # crashes make no call
    with store.read() as session:
        total = session.execute(
            select(func.count()).select_from(TraceRow).where(TraceRow.run_id == run_id)
        ).scalar_one()
    assert total == 60
    summary = summarize(store, run_id)
    assert summary.status == "completed"
    assert summary.scorers["echo.correct"].pass_hat_k
    store.close()


@pytest.mark.slow
def test_sigkill_then_resume_equals_an_uninterrupted_run(sqlite_project: Project, stub: StubServer):
    import json
    import os
    import signal
    import time

    from evalwheel_flow import DATA_DIR
    from tests.helpers import cli_json, cli_process

    stub.state.delay_s = 0.01
    with open(sqlite_project.config_path, "a") as f:
        f.write(
            f'\n[models.stub]\nbase_url = "{stub.url}"\nmodel = "m"\nmax_retries = 0\n'
            '\n[systems.flow-stub]\napp = "flow"\nmodel = "stub"\n'
        )
    cli(
        "dataset",
        "import",
        DATA_DIR / "benchmark.jsonl",
        "-n",
        "bench",
        "-k",
        "benchmark",
        "--field",
        "input=request",
    )
    store = sqlite_project.open_store()

    def traces(run_id: str) -> int:
        with store.read() as session:
            return session.execute(
                select(func.count()).select_from(TraceRow).where(TraceRow.run_id == run_id)
            ).scalar_one()

    run_id = None
    at_kill = []
    proc = cli_process(
        "run", "-s", "flow-stub", "-d", "bench", "--concurrency", "2", cwd=sqlite_project.root
    )
    for _ in range(3):  # kill it three times at different points, resuming in between
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            runs = cli_json("runs", "list")
            if runs:
                run_id = runs[0]["id"]
                if traces(run_id) >= 20 + 60 * _:
                    break
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert run_id is not None
        at_kill.append(traces(run_id))
        proc = cli_process("run", "--resume", run_id, "--concurrency", "2", cwd=sqlite_project.root)
    assert proc.wait(timeout=300) == 0, proc.stderr.read()
    n_items = len((DATA_DIR / "benchmark.jsonl").read_text().splitlines())
    assert traces(run_id) == n_items
    assert any(0 < n < n_items for n in at_kill), at_kill  # the kills did land mid-run
    resumed = summarize(store, run_id)
    fresh = cli("run", "-s", "flow-stub", "-d", "bench", "--concurrency", "2", "--json")
    assert fresh.exit_code == 0, fresh.stderr
    uninterrupted = json.loads(fresh.stdout)["summary"]
    resumed_json = resumed.model_dump(mode="json")
    assert (
        resumed_json["scorers"] == uninterrupted["scorers"]
        and resumed.done == uninterrupted["done"] == n_items
    )
    store.close()


class SturdyEchoApp(EchoApp):
    """The candidate: no longer crashes on 'explode' items."""

    async def run(self, example, client, params):
        text = str(example.input)
        response = await client.chat(
            ChatRequest(messages=[{"role": "user", "content": text}], max_tokens=20)
        )
        return AppOutput(outcome="answer", artifact=response.content)


def test_compare_finds_the_improvements_and_tests_them(
    project: Project, stub: StubServer, tmp_path: Path
):
    from evalwheel.runner.compare import compare_runs

    _dataset(project, tmp_path, 40)
    store = project.open_store()
    spec = ModelSpec(name="stub", base_url=stub.url, model="m", max_retries=0)
    runs = []
    for app in (EchoApp(), SturdyEchoApp()):
        run_id = create_run(
            store, System(name=type(app).__name__, app="echo", model="stub"), _plan(project, store)
        )

        async def go(app=app, run_id=run_id):
            async with ModelClient(spec) as client:
                await execute_run(store, run_id, app, client, registry())

        asyncio.run(go())
        runs.append(run_id)
    result = compare_runs(store, runs[0], runs[1], "echo.correct")
    assert result.shared_items == 40
    assert result.improvements == ["e13", "e23", "e3", "e33"] and result.regressions == []
    assert result.overall.mcnemar.only_b == 4
    assert result.overall.mcnemar.p_value == pytest.approx(0.125)
    assert set(result.slices) == {"odd", "even"}
    store.close()


def test_html_report_opens_in_headless_chromium(project: Project, stub: StubServer, tmp_path: Path):
    import shutil
    import subprocess

    from evalwheel.report.data import report_data
    from evalwheel.report.render import to_html, to_markdown

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip(
            "Debian's chromium is not installed (apt-get install chromium; .ci/run installs it)"
        )
    _dataset(project, tmp_path, 12)
    store = project.open_store()
    spec = ModelSpec(name="stub", base_url=stub.url, model="m", max_retries=0)
    run_id = create_run(
        store, System(name="echo-stub", app="echo", model="stub"), _plan(project, store)
    )

    async def go():
        async with ModelClient(spec) as client:
            await execute_run(store, run_id, EchoApp(), client, registry())

    asyncio.run(go())
    data = report_data(store, run_id, EchoApp())
    page = tmp_path / "report.html"
    page.write_text(to_html(data))
    assert "| echo.correct |" in to_markdown(data)
    result = subprocess.run(
        [
            chromium,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--enable-logging=stderr",
            "--v=0",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    dom = result.stdout
    console = [
        line for line in result.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line
    ]
    assert console == []
    assert f"Run <code>{run_id}</code>" in dom and 'id="scorers"' in dom and "<svg" in dom
    assert dom.count('class="item"') == 12
    assert "Error: RuntimeError: the system crashed" in dom  # the crashed item is shown, not hidden
    store.close()


def test_gate_thresholds_and_baseline_regression(
    project: Project, stub: StubServer, tmp_path: Path
):
    from evalwheel.runner.gates import GatePolicy, judge

    _dataset(project, tmp_path, 40)
    store = project.open_store()
    spec = ModelSpec(name="stub", base_url=stub.url, model="m", max_retries=0)
    runs = []
    for app in (SturdyEchoApp(), EchoApp()):  # the candidate regresses: it crashes on 4 items
        run_id = create_run(
            store, System(name=type(app).__name__, app="echo", model="stub"), _plan(project, store)
        )

        async def go(app=app, run_id=run_id):
            async with ModelClient(spec) as client:
                await execute_run(store, run_id, app, client, registry())

        asyncio.run(go())
        runs.append(run_id)
    summary = summarize(store, runs[1])
    ok = judge(
        "commit",
        GatePolicy(system="s", dataset="d", thresholds={"echo.correct": 0.7}),
        summary,
        store,
    )
    assert ok.passed and ok.reasons == []
    strict = judge(
        "merge",
        GatePolicy(system="s", dataset="d", thresholds={"echo.correct": 0.7}, use="ci_low"),
        summary,
        store,
    )
    assert (
        not strict.passed and "ci_low" in strict.reasons[0]
    )  # 0.8 on n=40 has a lower bound below 0.7
    # 4 regressions out of 4 discordant pairs: p = 0.125, not significant at 0.05, so no failure…
    lenient = judge(
        "merge",
        GatePolicy(
            system="s",
            dataset="d",
            baseline=runs[0],
            max_drop=0.05,
            thresholds={"echo.correct": 0.5},
        ),
        summary,
        store,
    )
    assert lenient.passed and lenient.checks[-1].regressions == 4
    # …but at alpha 0.2 the drop of 0.1 is a significant regression.
    tight = judge(
        "release",
        GatePolicy(
            system="s",
            dataset="d",
            baseline=runs[0],
            max_drop=0.05,
            alpha=0.2,
            thresholds={"echo.correct": 0.5},
        ),
        summary,
        store,
    )
    assert not tight.passed and "McNemar" in tight.reasons[0]
    store.close()


def test_gate_cli_refuses_a_run_whose_estimate_exceeds_the_budget(sqlite_project: Project):
    from evalwheel_flow import DATA_DIR

    cli(
        "dataset",
        "import",
        DATA_DIR / "benchmark.jsonl",
        "-n",
        "bench",
        "-k",
        "benchmark",
        "--field",
        "input=request",
    )
    with open(sqlite_project.config_path, "a") as f:
        f.write(
            '\n[gates.commit]\nsystem = "flow-local"\ndataset = "bench"\nbudget = { tokens = 1000 }\nthresholds = { "flow.pass" = 0.1 }\n'
            '\n[gates.merge]\nsystem = "flow-local"\ndataset = "bench"\nthreshold = 3\n'
        )
    result = cli("gate", "--tier", "commit")
    assert result.exit_code == 2 and "exceeds the budget of 1000" in result.stderr
    assert cli_json_runs() == []  # nothing was run or stored
    result = cli("gate", "--tier", "merge")
    assert result.exit_code == 2 and "gates.merge.threshold" in result.stderr
    assert cli("gate", "--tier", "release").exit_code == 2


def cli_json_runs():
    from tests.helpers import cli_json

    return cli_json("runs", "list")


def test_small_traces_are_inline_and_large_ones_go_to_blobs(store) -> None:
    from datetime import UTC, datetime

    from sqlalchemy import select

    from evalwheel.apps.interface import AppOutput, CheckResult
    from evalwheel.core.example import Example
    from evalwheel.runner.runner import INLINE_TRACE_BYTES, _record_many, load_output
    from evalwheel.store.tables import RunRow, TraceRow

    with store.write() as session:
        session.add(
            RunRow(
                id="r",
                system_name="s",
                system_version="v",
                dataset="d",
                split=None,
                repeat=1,
                status="running",
                n_items=2,
                config={},
                created_at=datetime.now(UTC),
            )
        )
    small = AppOutput(outcome="answer", artifact="short")
    large = AppOutput(outcome="answer", artifact="x" * (INLINE_TRACE_BYTES + 1))
    check = [CheckResult(scorer="c", passed=True)]
    _record_many(
        store, "r", [(Example(id="a"), 0, small, check), (Example(id="b"), 0, large, check)]
    )
    with store.read() as session:
        rows = {r.example_id: r for r in session.scalars(select(TraceRow))}
        assert rows["a"].payload is not None and rows["a"].blob is None
        assert rows["b"].payload is None and rows["b"].blob is not None
        assert load_output(store, rows["a"]) == small
        assert load_output(store, rows["b"]) == large
