"""Models through the API: which are configured, whether one works, and batches of requests."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from evalwheel.errors import InputError
from evalwheel.interrupts import run_sync
from evalwheel.llm.batch import BatchSummary, read_requests, read_results, run_batch
from evalwheel.llm.budget import Budget, Estimate, estimate
from evalwheel.llm.cache import CacheMode
from evalwheel.llm.check import ModelCheck, check_model
from evalwheel.llm.client import ModelClient
from evalwheel.llm.prices import price_for
from evalwheel.llm.project_models import project_models, project_prices
from evalwheel.llm.registry import ModelSpec, get_model
from evalwheel.project import Project, ProjectNotFound, find_project


def project_or_none(project: Project | str | os.PathLike[str] | None = None) -> Project | None:
    """The project given or found from the cwd; None outside any project (models still work)."""
    if isinstance(project, Project):
        return project
    try:
        return find_project(None if project is None else Path(project))
    except ProjectNotFound:
        return None


def model_spec(name: str, project: Project | None) -> ModelSpec:
    """A configured model (``[models.NAME]``) or the built-in ``local``."""
    return get_model(project_models(project), name)


async def acheck(name: str = "local", *, project: Project | None = None) -> ModelCheck:
    """Real calls, no cache: latency, JSON-schema output, tool calls."""
    async with ModelClient(model_spec(name, project), cache_mode=CacheMode.OFF) as client:
        return await check_model(client)


def check(name: str = "local", *, project: Project | None = None) -> ModelCheck:
    """``acheck`` for scripts."""
    return run_sync(acheck(name, project=project))


def batch_estimate(
    model: str, input_path: Path, output: Path, *, project: Project | None = None
) -> tuple[int, Estimate]:
    """(already done, estimate for the rest) of a batch, without making a call."""
    spec = model_spec(model, project)
    items = read_requests(_existing(input_path))
    done = {i for i, r in read_results(output).items() if "response" in r}
    todo = [item.request for item in items if item.id not in done]
    prices = project_prices(project)
    return len(items) - len(todo), estimate(
        todo, price_for(spec, prices), spec.expected_output_tokens, spec.rpm
    )


async def abatch(
    model: str,
    input_path: Path,
    output: Path,
    *,
    project: Project | None = None,
    concurrency: int | None = None,
    budget: Budget | None = None,
    deadline_s: float | None = None,
    schema: Any = None,
    cache: CacheMode = CacheMode.USE,
    on_done: Callable[[], None] | None = None,
    on_start: Callable[[int, int], None] | None = None,
) -> BatchSummary:
    """Run a JSONL file of chat requests: resumable (ids already in ``output`` are skipped),
    cached in the project's store, within budget. ``on_start(total, done)`` comes first."""
    spec = model_spec(model, project)
    items = read_requests(_existing(input_path), schema)
    if cache == CacheMode.REPLAY and project is None:
        raise InputError("--cache replay needs a project (the cache lives in its store)")
    store = project.open_store() if project is not None and cache != CacheMode.OFF else None
    try:
        client = ModelClient(
            spec,
            store=store,
            cache_mode=cache if store is not None else CacheMode.OFF,
            budget=budget or Budget(),
            prices=project_prices(project),
            deadline_s=deadline_s,
        )
        async with client:
            if on_start:
                on_start(len(items), len(read_results(output)))
            return await run_batch(
                client,
                items,
                output,
                concurrency=concurrency or spec.max_concurrency,
                schema=schema,
                on_done=on_done,
            )
    finally:
        if store is not None:
            store.close()


def batch(model: str, input_path: Path, output: Path, **kwargs: Any) -> BatchSummary:
    """``abatch`` for scripts; Ctrl-C stops cleanly and a re-run resumes."""
    return run_sync(abatch(model, input_path, output, **kwargs))


def _existing(path: Path) -> Path:
    if not path.is_file():
        raise InputError("no such file", file=str(path))
    return path
