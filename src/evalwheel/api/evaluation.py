"""``evaluate`` and ``resume``: a system over a dataset, stored, resumable, with honest aggregates.

Everything a run needs is resolved and checked before the run's row exists (system, model,
dataset, scorers, judges, budget), so a refused start leaves nothing behind. The run stores the
full system it runs; ``resume`` rebuilds that system from the store, never from today's
configuration, so a changed config gives a new run rather than a silently mixed one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from evalwheel.api.datasets import import_examples
from evalwheel.api.projects import ProjectLike, open_project
from evalwheel.apps.hooks import installed_signature
from evalwheel.apps.interface import App
from evalwheel.core.dataset import DatasetVersion
from evalwheel.core.example import Example
from evalwheel.core.system import System
from evalwheel.datasets.splits import SIGNATURE, SplitPolicy
from evalwheel.errors import ConflictError, InputError
from evalwheel.interrupts import run_sync
from evalwheel.judges.in_runs import build_judge_scorers, pin_judges
from evalwheel.llm.budget import Budget, BudgetTracker
from evalwheel.llm.client import ModelClient
from evalwheel.llm.project_models import project_prices
from evalwheel.project import Project
from evalwheel.runner.aggregate import summarize
from evalwheel.runner.contamination_slices import contamination_slices
from evalwheel.runner.results import RunResult
from evalwheel.runner.runner import RunPlan, create_run, execute_run, load_plan, select_examples
from evalwheel.runner.scorers import Scorer, get_scorer
from evalwheel.runner.systems import (
    ResolvedSystem,
    in_memory_system,
    rebuild_system,
    resolve_system,
)
from evalwheel.simulate.clients import open_simulation
from evalwheel.store.datasets import DatasetRepository
from evalwheel.store.db import Store
from evalwheel.store.runs import RunRepository

ProgressCallback = Callable[[str, int, int], None]
"""Called with (run id, items finished by this call, items this call has to do): once at the
start with 0, then after every committed item."""

SystemLike = str | System | App
DatasetLike = str | DatasetVersion | Iterable[Example | Mapping[str, Any]]


@dataclass
class PreparedRun:
    """A run about to execute: its record exists, its clients are open-able, its judges pinned."""

    project: Project
    store: Store
    run_id: str
    resolved: ResolvedSystem
    plan: RunPlan
    tracker: BudgetTracker
    scorers: dict[str, Scorer]
    notes: list[str] = field(default_factory=list)


def scorer_table(names: Sequence[str]) -> dict[str, Scorer]:
    """Each scorer name (``exact_match``, ``regex:^yes``…) with its function; unknown names are an
    ``InputError`` before anything runs."""
    return {name: get_scorer(name) for name in names}


def resolve_any_system(project: Project, system: SystemLike, model: str | None) -> ResolvedSystem:
    """A configured system by name, a ``System`` record, or an application object."""
    if isinstance(system, str):
        return resolve_system(project, system)
    if isinstance(system, System):
        return rebuild_system(project, system)
    if callable(getattr(system, "run", None)) and callable(getattr(system, "check", None)):
        return in_memory_system(system, model, project)
    raise InputError(
        f"system must be a configured name, a System or an application, not {type(system).__name__}",
        field="system",
    )


def resolve_dataset(
    project: Project, store: Store, dataset: DatasetLike, name: str | None
) -> DatasetVersion:
    """A stored version (``NAME[@VERSION]``), or examples given in Python stored as one."""
    if isinstance(dataset, DatasetVersion):
        return dataset
    if isinstance(dataset, str):
        return DatasetRepository(store).resolve(dataset)
    return import_examples(dataset, name or "inline", project=project)


def open_client(
    prepared_project: Project, store: Store, resolved: ResolvedSystem, tracker: BudgetTracker
) -> ModelClient | None:
    """The system's model client (None for systems that call no model themselves)."""
    if resolved.model is None:
        return None
    return ModelClient(
        resolved.model, store=store, tracker=tracker, prices=project_prices(prepared_project)
    )


def prepare_run(
    project: Project,
    store: Store,
    system: SystemLike,
    dataset: DatasetLike,
    *,
    split: str | None = None,
    repeat: int = 1,
    limit: int | None = None,
    scorers: Sequence[str] = (),
    judges: Sequence[str] = (),
    allow_untrusted_judges: bool = False,
    budget: Budget | None = None,
    model: str | None = None,
    dataset_name: str | None = None,
    items: Sequence[str] | None = None,
    sample_base: int = 0,
    create: bool = True,
    simulation: BaseModel | None = None,
) -> PreparedRun:
    """Resolve and check everything, then create the run's row (the last step; with
    ``create=False`` the caller does it with ``start_run`` after checks of its own)."""
    table = scorer_table(list(scorers))
    resolved = resolve_any_system(project, system, model)
    version = resolve_dataset(project, store, dataset, dataset_name)
    try:
        plan = RunPlan.for_system(
            resolved.system,
            version,
            project.config.datasets.splits,
            split=split,
            repeat=repeat,
            limit=limit,
            items=None if items is None else list(items),
            sample_base=sample_base,
            scorers=list(table),
            simulation=None if simulation is None else simulation.model_dump(mode="json"),
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InputError(first["msg"], field=".".join(map(str, first["loc"]))) from None
    plan_items(store, plan, resolved)
    plan.judges = pin_judges(
        project,
        store,
        list(judges),
        allow_untrusted=allow_untrusted_judges,
        app_name=resolved.system.app,
    )
    tracker = BudgetTracker(budget or Budget())
    open_client(project, store, resolved, tracker)  # a bad model spec fails here, before the row
    run = PreparedRun(project, store, "", resolved, plan, tracker, table)
    if create:
        start_run(run)
    return run


def plan_items(store: Store, plan: RunPlan, resolved: ResolvedSystem) -> None:
    """Fix what decides the run's items and their slices, once: the signatures a grouped split
    draws by, and the items contaminated by what the system learnt from."""
    repo = DatasetRepository(store)
    if plan.split is not None and SplitPolicy(**plan.policy).group_by == SIGNATURE:
        signature = installed_signature()
        if signature is None:
            raise InputError(
                "group_by = 'signature' needs an application that gives items a structural "
                "signature, and none is installed",
                field="datasets.splits.group_by",
            )
        plan.groups = {
            e.id: value
            for e in repo.iter_examples(plan.version_id)
            if (value := signature(e)) is not None
        }
    plan.slices = contamination_slices(
        resolved.app, resolved.system.params, select_examples(repo, plan)
    )


def start_run(run: PreparedRun) -> str:
    """Create the prepared run's row; returns its id."""
    run.run_id = create_run(run.store, run.resolved.system, run.plan)
    return run.run_id


async def execute_prepared(
    run: PreparedRun, *, concurrency: int = 4, on_progress: ProgressCallback | None = None
) -> RunResult:
    """Execute a prepared (or resumed) run to the end, a budget stop, or an interrupt."""
    judge_scorers, judge_clients = build_judge_scorers(
        run.project, run.store, run.plan.judges, tracker=run.tracker
    )
    client = open_client(run.project, run.store, run.resolved, run.tracker)
    app, sim_clients = run.resolved.app, []
    if run.plan.simulation is not None:
        app, sim_clients = open_simulation(
            run.project, run.store, app, run.plan.simulation, run.tracker
        )
    done, total = 0, 0

    def started(pending: int) -> None:
        nonlocal total
        total = pending
        if on_progress:
            on_progress(run.run_id, 0, total)

    def advanced() -> None:
        nonlocal done
        done += 1
        if on_progress:
            on_progress(run.run_id, done, total)

    async with AsyncExitStack() as stack:
        if client is not None:
            await stack.enter_async_context(client)
        for judge_client in [*judge_clients, *sim_clients]:
            await stack.enter_async_context(judge_client)
        progress = await execute_run(
            run.store,
            run.run_id,
            app,
            client,
            run.scorers,
            concurrency=concurrency,
            on_item=advanced,
            judge_scorers=judge_scorers,
            on_start=started,
        )
    return RunResult(
        run_id=run.run_id,
        progress=progress,
        summary=summarize(run.store, run.run_id),
        notes=run.notes,
        calls=client.stats if client is not None else None,
    )


async def aevaluate(
    system: SystemLike,
    dataset: DatasetLike,
    *,
    project: ProjectLike = None,
    split: str | None = None,
    repeat: int = 1,
    limit: int | None = None,
    scorers: Sequence[str] = (),
    judges: Sequence[str] = (),
    allow_untrusted_judges: bool = False,
    concurrency: int = 4,
    budget_usd: float | None = None,
    budget: Budget | None = None,
    model: str | None = None,
    dataset_name: str | None = None,
    on_progress: ProgressCallback | None = None,
) -> RunResult:
    """Evaluate ``system`` on ``dataset`` and return the run's typed result.

    ``system``: a configured system's name (``[systems.NAME]`` or ``APP-local``), a ``System``, or
    an application object (then ``model`` names the model it calls). ``dataset``: ``NAME[@VERSION]``
    of a stored dataset, or examples (``Example`` or dicts) stored first as ``dataset_name``.
    Scorers are generic scorer names (``exact_match``, ``regex:PATTERN``…); judges are judge or
    panel names. ``budget`` limits USD, tokens and seconds (``budget_usd`` is the short form). A
    budget stop or an interrupt leaves a resumable run (``result.complete`` False).
    """
    _check_concurrency(concurrency)
    spend = budget or _budget(budget_usd)
    project_obj = open_project(project)
    store = project_obj.open_store()
    try:
        run = prepare_run(
            project_obj,
            store,
            system,
            dataset,
            split=split,
            repeat=repeat,
            limit=limit,
            scorers=scorers,
            judges=judges,
            allow_untrusted_judges=allow_untrusted_judges,
            budget=spend,
            model=model,
            dataset_name=dataset_name,
        )
        return await execute_prepared(run, concurrency=concurrency, on_progress=on_progress)
    finally:
        store.close()


def _check_concurrency(concurrency: object) -> None:
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise InputError(
            f"must be a whole number of at least 1, not {concurrency!r}", field="concurrency"
        )


def _budget(usd: float | None) -> Budget:
    try:
        return Budget(usd=usd)
    except ValidationError as exc:
        raise InputError(exc.errors()[0]["msg"], field="budget_usd") from None


def evaluate(system: SystemLike, dataset: DatasetLike, **kwargs: Any) -> RunResult:
    """``aevaluate`` for scripts and notebooks; Ctrl-C stops cleanly and the run can resume."""
    return run_sync(aevaluate(system, dataset, **kwargs))


def _stored_system(project: Project, store: Store, run_id: str, app: App | None) -> ResolvedSystem:
    row = RunRepository(store).get(run_id)
    payload = RunRepository(store).system_payload(row.system_version)
    if payload is None:
        return resolve_system(project, row.system_name)
    system = System.model_validate(payload)
    if app is not None:
        if app.name != system.app:
            raise ConflictError(
                f"run {run_id} ran application {system.app!r}; the application given is "
                f"{app.name!r}: resuming with it would mix two systems in one run"
            )
        return ResolvedSystem(system=system, app=app, model=_model_of(project, system))
    return rebuild_system(project, system)


def _model_of(project: Project, system: System) -> Any:
    """The model a stored system calls, as it was configured when its run began."""
    from evalwheel.llm.project_models import project_models
    from evalwheel.llm.registry import ModelSpec, get_model

    if system.model_spec is not None:
        return ModelSpec.model_validate(system.model_spec)
    return get_model(project_models(project), system.model) if system.model else None


def _config_changed(project: Project, system: System) -> str | None:
    try:
        today = resolve_system(project, system.name).system
    except Exception:  # a system renamed or removed since: the stored one still runs
        return f"system {system.name!r} is no longer configured; resuming the stored one"
    if today.version != system.version:
        return (
            f"system {system.name!r} changed in the configuration since this run began; "
            "resuming with the stored system (a new run uses the new one)"
        )
    return None


async def aresume(
    run_id: str,
    *,
    project: ProjectLike = None,
    app: App | None = None,
    concurrency: int = 4,
    budget_usd: float | None = None,
    on_progress: ProgressCallback | None = None,
) -> RunResult:
    """Finish an interrupted run with the system it stored; finished items are never redone and
    finished model calls never re-paid (they are in the call cache). ``app`` is needed only for a
    run of an application object given in Python."""
    _check_concurrency(concurrency)
    spend = _budget(budget_usd)
    project_obj = open_project(project)
    store = project_obj.open_store()
    try:
        _, plan = load_plan(store, run_id)
        resolved = _stored_system(project_obj, store, run_id, app)
        notes = (
            []
            if app is not None
            else [n for n in [_config_changed(project_obj, resolved.system)] if n]
        )
        run = PreparedRun(
            project_obj,
            store,
            run_id,
            resolved,
            plan,
            BudgetTracker(spend),
            scorer_table(plan.scorers),
            notes,
        )
        return await execute_prepared(run, concurrency=concurrency, on_progress=on_progress)
    finally:
        store.close()


def resume(run_id: str, **kwargs: Any) -> RunResult:
    """``aresume`` for scripts and notebooks."""
    return run_sync(aresume(run_id, **kwargs))
