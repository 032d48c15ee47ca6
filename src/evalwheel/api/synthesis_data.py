"""Training data from what went wrong, and training data out of the store.

``synth_failures`` collects failures (a mirror's losing answers, a run's failed traces, human
review verdicts, failed simulations) as rows of kind ``synthetic`` whose reference is the target
and whose ``output`` is the rejected answer; they are verified and decontaminated like generated
rows before they are stored. ``export_training_data`` writes a stored dataset version as OpenAI
SFT JSONL, a Hugging Face dataset and DPO pairs.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from evalwheel.api.datasets import resolve_version
from evalwheel.api.projects import ProjectLike, open_project
from evalwheel.apps import hooks
from evalwheel.apps.interface import App, load_apps
from evalwheel.core.example import Example
from evalwheel.core.system import System
from evalwheel.datasets.contamination import Method
from evalwheel.errors import EvalwheelError, InputError
from evalwheel.interrupts import run_sync
from evalwheel.judges.resolve import judge_client
from evalwheel.mirror.replay import load_mirror
from evalwheel.project import Project
from evalwheel.runner.runner import load_plan
from evalwheel.runner.systems import rebuild_system
from evalwheel.store.datasets import DatasetRepository
from evalwheel.store.db import Store
from evalwheel.store.runs import RunRepository
from evalwheel.synth.decontaminate import DEFAULT_METHODS, check_targets, default_targets
from evalwheel.synth.export import FORMATS, ExportFormat, ExportResult, export_rows
from evalwheel.synth.failures import (
    FailureHarvest,
    failure_rows,
    mirror_failures,
    run_failures,
    simulation_failures,
    simulation_runs,
)
from evalwheel.synth.models import SynthResult
from evalwheel.synth.pipeline import afinish_rows

SOURCE_FORMS = "mirror:ID, run:ID or simulations"


class FailuresResult(BaseModel):
    """What ``synth_failures`` found, kept and stored."""

    sources: list[str]
    considered: int = Field(description="pairs, traces and simulations looked at")
    candidates: int = Field(description="failures with a usable target")
    skipped: dict[str, int] = Field(default_factory=dict, description="reason → items")
    rows: int = Field(description="rows that went to verification")
    without_trajectory: int = Field(
        default=0, description="rows whose target the application built no ideal trajectory for"
    )
    dataset: str | None = Field(default=None, description="NAME@VERSION stored (None: no rows)")
    finished: SynthResult | None = Field(
        default=None, description="the verification funnel, removals and stored version"
    )


def _app_named(name: Any) -> Any:
    """An installed application by name (an application object is taken as it is)."""
    if name is None or not isinstance(name, str):
        return name
    app = load_apps().get(name)
    if app is None:
        raise InputError(f"application {name!r} is not installed", field="app")
    return app


def _run_app(project: Project, store: Store, run_id: str) -> Any:
    """The application a run ran (None: a generic system whose code cannot be rebuilt)."""
    runs = RunRepository(store)
    payload = runs.system_payload(runs.get(run_id).system_version)
    if payload is None:
        return None
    try:
        return rebuild_system(project, System.model_validate(payload)).app
    except EvalwheelError:
        return None


def _harvest(
    project: Project, store: Store, source: str, scorer: str | None, app: Any
) -> tuple[FailureHarvest, Any]:
    kind, _, ident = source.partition(":")
    if kind == "mirror" and ident:
        record = load_mirror(store, ident)
        examples: dict[str, Example] = {}
        if record.traffic:
            repo = DatasetRepository(store)
            version = repo.resolve(record.traffic)
            examples = {e.id: e for e in repo.iter_examples(version.version_id)}
        found = mirror_failures(
            store,
            record.id,
            runs=record.runs,
            examples=examples,
            source_dataset=record.traffic,
            scorer=scorer,
        )
        current_run = record.runs.get("current")
        return found, app or (_run_app(project, store, current_run) if current_run else None)
    if kind == "run" and ident:
        load_plan(store, ident)  # NotFoundError for an unknown run
        return run_failures(store, ident, scorer=scorer), app or _run_app(project, store, ident)
    if source == "simulations":
        found_runs = simulation_runs(store)
        return simulation_failures(store, found_runs), app or (
            _run_app(project, store, found_runs[0]) if found_runs else None
        )
    raise InputError(f"{source!r} is not one of {SOURCE_FORMS}", field="source")


def _one_app(apps: list[Any]) -> Any:
    """The application whose hooks verify the rows: sources of two applications cannot mix."""
    named = {getattr(a, "name", None): a for a in apps if a is not None}
    if len(named) > 1:
        raise InputError(
            f"the sources ran different applications ({', '.join(sorted(map(str, named)))}); "
            "harvest them into separate datasets",
            field="source",
        )
    return next(iter(named.values()), None)


async def asynth_failures(
    source: str | Sequence[str],
    *,
    name: str,
    scorer: str | None = None,
    app: str | App | None = None,
    judge: str | None = None,
    against: Sequence[str] | None = None,
    methods: Sequence[Method] = DEFAULT_METHODS,
    project: ProjectLike = None,
) -> FailuresResult:
    """Turn failures into training rows stored as a version of the ``synthetic`` dataset ``name``,
    after the same verification (format, execution, and the semantic judge when ``judge`` names a
    model) and decontamination (``against``; None: ``default_targets``) as generated rows.

    ``source``: ``mirror:ID``, ``run:ID`` or ``simulations`` (or several). ``scorer``: the check
    that decides a trace failed (default: the application's ``*.pass``). ``app``: the application
    whose hooks build and check the ideal trajectory (default: the one the run or mirror ran)."""
    sources = [source] if isinstance(source, str) else list(source)
    if not sources:
        raise InputError("give at least one source", field="source")
    project_obj = open_project(project)
    given_app = _app_named(app)
    if against is not None:
        check_targets(project_obj, against)
    store = project_obj.open_store()
    try:
        harvest, rows, without, apps = FailureHarvest(), [], 0, []
        for item in sources:
            found, source_app = _harvest(project_obj, store, item, scorer, given_app)
            built = failure_rows(found.candidates, app=source_app)
            skipped = {**found.skipped, **built.skipped}
            harvest = harvest.merged(found.model_copy(update={"skipped": skipped}))
            rows.extend(built.rows)
            without += built.without_trajectory
            apps.append(source_app)
        result = FailuresResult(
            sources=sources,
            considered=harvest.considered,
            candidates=len(harvest.candidates),
            skipped=harvest.skipped,
            rows=len(rows),
            without_trajectory=without,
        )
        if not rows:
            return result
        application = _one_app(apps)
        targets = default_targets(project_obj) if against is None else list(against)
        judge_model = judge_client(project_obj, store, judge) if judge else None
        try:
            finished = await afinish_rows(
                project_obj,
                application,
                rows,
                name=name,
                judge=judge_model,
                against=targets,
                methods=methods,
            )
        finally:
            if judge_model is not None:
                await judge_model.aclose()
    finally:
        store.close()
    return result.model_copy(update={"dataset": finished.dataset, "finished": finished})


def synth_failures(source: str | Sequence[str], **kwargs: Any) -> FailuresResult:
    """``asynth_failures`` for scripts; Ctrl-C stops cleanly and a re-run pays for no judge call
    twice (the call cache)."""
    return run_sync(asynth_failures(source, **kwargs))


def _formats(format: str | Sequence[str]) -> list[ExportFormat]:
    names = [format] if isinstance(format, str) else list(format)
    if names == ["all"]:
        return list(FORMATS)
    unknown = [n for n in names if n not in FORMATS]
    if unknown or not names:
        raise InputError(
            f"{', '.join(unknown) or 'nothing'}: formats are {', '.join(FORMATS)} or all",
            field="format",
        )
    return names  # type: ignore[return-value]


def export_training_data(
    dataset: str,
    *,
    format: str | Sequence[str] = "openai",
    output: str | os.PathLike[str],
    app: str | None = None,
    tools: list[dict[str, Any]] | None = None,
    project: ProjectLike = None,
) -> ExportResult:
    """Write the rows of ``dataset`` (``NAME[@VERSION]``, rows with input and reference) into the
    folder ``output`` as ``openai`` (sft.jsonl), ``hf`` (a saved ``datasets.Dataset``) and/or
    ``dpo`` (dpo.jsonl); ``all`` writes the three. Tool specs: ``tools``, else a row's
    ``metadata.tools``, else the ``tool_specs`` hook of ``app`` (default: the application its rows'
    provenance names)."""
    formats = _formats(format)
    store = open_project(project).open_store()
    try:
        repo = DatasetRepository(store)
        version = resolve_version(repo, dataset)
        rows = list(repo.iter_examples(version.version_id))
    finally:
        store.close()
    if tools is None:
        named = app or next(
            (
                str(p["app"])
                for r in rows
                if isinstance(p := r.metadata.get("provenance"), dict) and p.get("app")
            ),
            None,
        )
        found = load_apps().get(named) if named else None
        tools = hooks.tool_specs(found) if found is not None else None
        if app is not None and named not in load_apps():
            raise InputError(f"application {app!r} is not installed", field="app")
    return export_rows(version.ref, rows, Path(output), formats, tools=tools)
