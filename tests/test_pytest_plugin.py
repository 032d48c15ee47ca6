"""The pytest plugin (``evalwheel.pytest``), as a user meets it: an inner test file run by pytester
against a project with a ``kind = "python"`` agent and a small dataset. A bound that holds passes,
one that does not fails with the estimate, interval, n and run id; the runs stay in the store."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from evalwheel.api.datasets import import_examples
from evalwheel.errors import InputError
from evalwheel.project import Project, init_project
from evalwheel.pytest import assert_at_least, bound_of
from evalwheel.runner.gates import GatePolicy, judge
from evalwheel.runner.results import RunProgress, RunResult, RunSummary, ScorerSummary, SystemRef
from evalwheel.stats.intervals import wilson
from evalwheel.testing.openai_stub import StubServer
from tests.helpers import cli_json

pytest_plugins = ["pytester"]

#: 8 of 10 right: pass rate 0.800 [0.490, 0.943] n=10 (Wilson).
ROWS = [
    {"id": f"q{i}", "input": f"word {i}", "reference": f"WORD {i}" if i < 8 else "wrong"}
    for i in range(10)
]


def make_project(root: Path, module: str, extra_toml: str = "") -> Project:
    """A project in ``root`` with ``[systems.shout]`` (upper-cases its input) and dataset qa."""
    root.mkdir(parents=True, exist_ok=True)
    (root / f"{module}.py").write_text(
        "def shout(example):\n    return str(example.input).upper()\n", encoding="utf-8"
    )
    project, _ = init_project(root, "plugin-test")
    with open(project.config_path, "a", encoding="utf-8") as f:
        f.write(f'\n[systems.shout]\nkind = "python"\nfunction = "{module}:shout"\n{extra_toml}')
    project = Project.load(root)
    import_examples(ROWS, "qa", project=project)
    return project


@pytest.fixture
def module() -> Iterator[str]:
    """A fresh agent module name (inner runs share this process's sys.modules)."""
    name = f"agent_{uuid.uuid4().hex[:8]}"
    yield name
    sys.modules.pop(name, None)


def test_the_plugin_is_registered_through_pytest11() -> None:
    found = {ep.name: ep.value for ep in entry_points(group="pytest11")}
    assert found.get("evalwheel") == "evalwheel.pytest.plugin", (
        "the pytest11 entry point is missing: reinstall evalwheel (pip install -e .)"
    )


@pytest.mark.slow
def test_a_bound_that_holds_passes_one_that_does_not_fails_readably(
    pytester: pytest.Pytester, module: str
) -> None:
    make_project(pytester.path, module)
    pytester.makepyfile(
        test_quality="""
        from evalwheel.pytest import assert_at_least

        def test_holds(evaluate):
            result = evaluate("shout", "qa", scorers=["exact_match"])
            rate = assert_at_least(result, "exact_match", 0.45)
            assert (rate.n, rate.estimate) == (10, 0.8)
            assert_at_least(result, "exact_match", 0.8, use="estimate")

        def test_misses(evaluate):
            result = evaluate("shout", "qa", scorers=["exact_match"])
            assert_at_least(result, "exact_match", 0.8)

        def test_unknown_dataset(evaluate):
            evaluate("shout", "nope", scorers=["exact_match"])
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(
        [
            "E * exact_match: the 95% interval's lower bound 0.490 is below the required 0.8",
            "E * pass rate 0.800 ?0.490, 0.943? n=10 (8 of 10 passed; 0 errors counted as failures)",
            "E * run run-*: shout on qa@????????????; `evalwheel report run-*` shows every item",
            "*Captured evalwheel call*",
            "run-*  completed  shout on qa@*",
            "*exact_match*0.800 ?0.490, 0.943? n=10",
            "*evalwheel: *dataset*nope*",
            "*= evalwheel: 2 run(s) kept in the store =*",
        ]
    )
    failing_run = next(
        line.split("run ", 1)[1].split(":", 1)[0]
        for line in result.outlines
        if "`evalwheel report" in line
    )
    listed = {run["id"]: run for run in cli_json("runs", "list")}
    assert failing_run in listed
    assert len(listed) == 2
    assert {run["status"] for run in listed.values()} == {"completed"}


@pytest.mark.slow
def test_options_choose_the_project_and_the_budget(pytester: pytest.Pytester, module: str) -> None:
    stub = StubServer()
    with stub as url:
        model = (
            f'\n[models.priced]\nbase_url = "{url}"\nmodel = "m"\nmax_retries = 0\n'
            "input_usd_per_mtok = 1.0\noutput_usd_per_mtok = 1.0\n"
            '\n[systems.ask]\nkind = "prompt"\nmodel = "priced"\ntemplate = "{{ input }}"\n'
        )
        make_project(pytester.path / "evals", module, model)
        pytester.makeini(
            "[pytest]\nevalwheel_project = evals\nevalwheel_budget_usd = 100\n"
            "evalwheel_concurrency = 2\n"
        )
        pytester.makepyfile(
            test_budget="""
            from evalwheel.pytest import assert_at_least

            def test_stops_at_the_budget(evaluate, evalwheel_project):
                assert evalwheel_project.root.name == "evals"
                assert evaluate.settings.defaults == {"budget_usd": 0.0, "concurrency": 2}
                result = evaluate("ask", "qa", scorers=["exact_match"])
                assert not result.complete
                assert_at_least(result, "exact_match", 0.0)
            """
        )
        result = pytester.runpytest("-p", "no:cacheprovider", "--evalwheel-budget-usd", "0")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "E * exact_match: no item was scored, so there is no ci_low to compare with 0.0",
            "E * the run stopped before the end (*budget*): 10 of 10 items not run; "
            "`evalwheel run --resume run-*` finishes it",
        ]
    )
    assert stub.state.requests == 0


@pytest.mark.slow
def test_bad_options_and_no_project_are_reported_before_any_run(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_x="def test_x(evaluate):\n    evaluate('a', 'b')\n")
    bad = pytester.runpytest("-p", "no:cacheprovider", "--evalwheel-concurrency", "0")
    assert bad.ret == pytest.ExitCode.USAGE_ERROR
    bad.stderr.fnmatch_lines(["*--evalwheel-concurrency / evalwheel_concurrency: expected*'0'"])
    missing = pytester.runpytest("-p", "no:cacheprovider")
    missing.assert_outcomes(errors=1)
    missing.stdout.fnmatch_lines(["*evalwheel: not inside an evalwheel project*"])


def test_importing_the_plugin_stays_light() -> None:
    """The plugin is loaded into every pytest session once evalwheel is installed."""
    code = (
        "import sys, evalwheel.pytest.plugin\n"
        "heavy = {'numpy', 'scipy', 'sqlalchemy', 'pydantic', 'aiohttp', 'evalwheel.api'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def summary(rates: dict[str, tuple[int, int, int]], planned: int = 10) -> RunSummary:
    """A run summary with (passes, n, not scored) per scorer."""
    return RunSummary(
        run_id="run-x",
        status="completed",
        system=SystemRef(name="s", version="v"),
        dataset="qa@v1",
        planned=planned,
        done=planned,
        errors=1,
        scorers={
            name: ScorerSummary(pass_rate=wilson(p, n), not_scored=waiting)
            for name, (p, n, waiting) in rates.items()
        },
    )


@pytest.mark.parametrize("use", ["ci_low", "estimate"])
@pytest.mark.parametrize("minimum", [0.3, 0.5, 0.7, 0.9])
def test_the_assertion_agrees_with_the_gate(use: str, minimum: float) -> None:
    run = summary({"exact_match": (7, 10, 0), "judge:q": (6, 8, 2)})
    for scorer in run.scorers:
        policy = GatePolicy(system="s", dataset="qa", thresholds={scorer: minimum}, use=use)
        gate_passed = judge("pytest", policy, run, store=None).passed  # type: ignore[arg-type]
        value, _ = bound_of(run, scorer, use)  # type: ignore[arg-type]
        try:
            assert_at_least(run, scorer, minimum, use=use)  # type: ignore[arg-type]
            passed = True
        except AssertionError:
            passed = False
        assert passed == gate_passed, (scorer, value)


def test_escalated_judge_items_count_as_failures_in_the_message() -> None:
    run = summary({"judge:q": (6, 8, 2)})
    with pytest.raises(AssertionError) as info:
        assert_at_least(run, "judge:q", 0.7, use="estimate")
    assert str(info.value).splitlines() == [
        "judge:q: the pass rate 0.600 is below the required 0.7",
        "  pass rate 0.600 [0.313, 0.832] n=10 (6 of 10 passed; 1 errors counted as failures; "
        "2 escalated to humans counted as failures)",
        "  run run-x: s on qa@v1; `evalwheel report run-x` shows every item",
    ]


def test_an_incomplete_run_never_passes_and_a_missing_scorer_is_named() -> None:
    run = summary({"exact_match": (5, 5, 0)})
    stopped = RunResult(
        run_id="run-x",
        progress=RunProgress(
            run_id="run-x",
            planned=10,
            done_before=0,
            done_now=5,
            failed_now=0,
            remaining=5,
            stopped="budget exceeded",
        ),
        summary=run,
    )
    with pytest.raises(
        AssertionError,
        match=r"(?s)clears 0\.1, but the run is incomplete.*"
        r"stopped before the end \(budget exceeded\): 5 of 10 items not run",
    ):
        assert_at_least(stopped, "exact_match", 0.1)
    with pytest.raises(AssertionError, match=r"has no scorer 'flow\.pass'; it has: exact_match"):
        assert_at_least(run, "flow.pass", 0.1)
    with pytest.raises(InputError, match="use: must be 'ci_low' or 'estimate'"):
        assert_at_least(run, "exact_match", 0.1, use="mean")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="minimum: a pass rate is between 0 and 1"):
        assert_at_least(run, "exact_match", 80)
