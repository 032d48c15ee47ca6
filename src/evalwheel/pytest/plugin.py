"""The pytest plugin: options, the ``evalwheel_project`` and ``evaluate`` fixtures, a run summary.

Loaded into every pytest session of an environment with evalwheel installed (``pytest11``), so it
must cost nothing to suites that never use it: no autouse fixtures, and nothing beyond pytest and
the standard library imported until a test asks for a fixture (evalwheel's API pulls in numpy,
scipy and SQLAlchemy). Options are parsed at start-up, so a bad value is a usage error at once
rather than one error per test.

Which project: ``--evalwheel-project DIR``, else ``EVALWHEEL_PROJECT``, else the ini key
``evalwheel_project`` (relative to the ini file), else the first folder holding evalwheel.toml
from pytest's rootdir upwards (as the CLI searches from the working directory).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from evalwheel.pytest.assertions import short_dataset

if TYPE_CHECKING:
    from evalwheel.project import Project
    from evalwheel.runner.results import RunResult

SECTION = "evalwheel"


@dataclass
class Settings:
    """The session's options, resolved once at start-up."""

    project_option: Path | None = None
    project_ini: Path | None = None
    defaults: dict[str, Any] = field(default_factory=dict)
    runs: list[tuple[str, RunResult]] = field(default_factory=list)


SETTINGS = pytest.StashKey[Settings]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup(SECTION, "evalwheel: evaluations in tests")
    group.addoption(
        "--evalwheel-project",
        metavar="DIR",
        help="The evalwheel project (the folder holding evalwheel.toml). Default: found from "
        "the rootdir upwards.",
    )
    group.addoption(
        "--evalwheel-budget-usd",
        metavar="USD",
        help="Spend limit of each run that does not set budget_usd itself; a run that reaches "
        "it stops, resumable, and its assertions fail.",
    )
    group.addoption(
        "--evalwheel-concurrency",
        metavar="N",
        help="Items in flight in each run that does not set concurrency itself (default 4).",
    )
    parser.addini("evalwheel_project", "evalwheel project folder, relative to the ini file")
    parser.addini("evalwheel_budget_usd", "default spend limit of each run (USD)")
    parser.addini("evalwheel_concurrency", "default items in flight in each run")


def _option(config: pytest.Config, name: str) -> str | None:
    value = config.getoption(f"--evalwheel-{name.replace('_', '-')}")
    return None if value is None else str(value)


def _ini(config: pytest.Config, name: str) -> str | None:
    value = config.getini(f"evalwheel_{name}")
    return str(value) if value else None


def _number(config: pytest.Config, name: str, kind: type[float] | type[int], low: float) -> Any:
    """The option (else the ini key) as a finite number >= ``low``; a usage error otherwise."""
    text = _option(config, name) or _ini(config, name)
    if text is None:
        return None
    try:
        value = kind(text)
    except ValueError:
        value = None
    if value is None or not low <= value < float("inf"):  # NaN fails the comparison too
        raise pytest.UsageError(
            f"--evalwheel-{name.replace('_', '-')} / evalwheel_{name}: "
            f"expected a number >= {low}{'' if kind is float else ' (whole)'}, not {text!r}"
        )
    return value


def pytest_configure(config: pytest.Config) -> None:
    settings = Settings()
    option, ini = _option(config, "project"), _ini(config, "project")
    if option:
        settings.project_option = (
            config.invocation_params.dir / Path(option).expanduser()
        ).resolve()
    if ini:
        base = config.inipath.parent if config.inipath else config.rootpath
        settings.project_ini = (base / Path(ini).expanduser()).resolve()
    budget = _number(config, "budget_usd", float, 0.0)
    if budget is not None:
        settings.defaults["budget_usd"] = budget
    concurrency = _number(config, "concurrency", int, 1)
    if concurrency is not None:
        settings.defaults["concurrency"] = concurrency
    config.stash[SETTINGS] = settings


def find_project(config: pytest.Config) -> Project:
    """The session's project (the module's docstring says in which order); ``EvalwheelError``."""
    from evalwheel.project import Project
    from evalwheel.project.config import CONFIG_FILE
    from evalwheel.project.discovery import ENV_PROJECT, ProjectNotFound

    settings = config.stash[SETTINGS]
    explicit = settings.project_option
    if explicit is None and not os.environ.get(ENV_PROJECT):
        explicit = settings.project_ini
    if explicit is None:
        return Project.find(config.rootpath)  # EVALWHEEL_PROJECT first, then upwards
    if not (explicit / CONFIG_FILE).is_file():
        raise ProjectNotFound(f"evalwheel project {explicit}: no {CONFIG_FILE} there")
    return Project.load(explicit)


@pytest.fixture(scope="session")
def evalwheel_project(pytestconfig: pytest.Config) -> Project:
    """The evalwheel project this session evaluates in (options, environment, ini, rootdir)."""
    from evalwheel.errors import EvalwheelError

    try:
        return find_project(pytestconfig)
    except EvalwheelError as exc:
        pytest.fail(f"evalwheel: {exc}", pytrace=False)


class Evaluator:
    """``evaluate(system, dataset, **options)``: ``evalwheel.evaluate`` in the session's project
    with the session's defaults (budget, concurrency); every keyword of the API is accepted and
    wins over a default. Each run is noted on the test (a report section, ``user_properties``)
    and in the session's summary, so a failing test says which run to look at."""

    def __init__(self, project: Project, request: pytest.FixtureRequest) -> None:
        self.project = project
        self.node = request.node
        self.settings = request.config.stash[SETTINGS]

    def __call__(self, system: Any, dataset: Any, **options: Any) -> RunResult:
        __tracebackhide__ = True
        from evalwheel.api.evaluation import evaluate
        from evalwheel.errors import EvalwheelError
        from evalwheel.interrupts import Interrupted

        options = {"project": self.project, **self.settings.defaults, **options}
        try:
            result = evaluate(system, dataset, **options)
        except Interrupted as exc:
            # The run stopped cleanly and can resume; Ctrl-C should end the session, as it
            # does everywhere else in pytest, rather than fail this one test.
            raise KeyboardInterrupt(str(exc)) from None
        except EvalwheelError as exc:
            refused = f"evalwheel: {exc}"  # one line, not a traceback through evalwheel
        else:
            self._note(result)
            return result
        pytest.fail(refused, pytrace=False)

    def _note(self, result: RunResult) -> None:
        from evalwheel.report.text import summary_lines

        text = "\n".join([*summary_lines(result.summary), *result.notes])
        self.node.add_report_section("call", SECTION, text + "\n")
        self.node.user_properties.append(("evalwheel_run", result.run_id))
        self.settings.runs.append((self.node.nodeid, result))


@pytest.fixture
def evaluate(evalwheel_project: Project, request: pytest.FixtureRequest) -> Evaluator:
    """Evaluate a system on a dataset in the session's project; returns ``RunResult``."""
    return Evaluator(evalwheel_project, request)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """One line per run made by the session's tests: which test, which run, where it is."""
    settings = config.stash.get(SETTINGS, None)
    if settings is None or not settings.runs:
        return
    terminalreporter.write_sep("=", f"evalwheel: {len(settings.runs)} run(s) kept in the store")
    for nodeid, result in settings.runs:
        summary = result.summary
        state = "complete" if result.complete else f"stopped ({result.progress.stopped})"
        terminalreporter.write_line(
            f"{result.run_id}  {state}  {summary.system.name} on {short_dataset(summary.dataset)}"
            f"  {nodeid}"
        )
    terminalreporter.write_line("evalwheel report RUN shows one; evalwheel runs list lists them")
