"""The benchmark-to-production gap from Python: one system's benchmark run beside its judged run
on (a sample of) traffic."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from evalwheel.api.evaluation import ProgressCallback, aevaluate, aresume, prepare_run
from evalwheel.api.projects import ProjectLike, open_project
from evalwheel.core.dataset import DatasetVersion
from evalwheel.errors import InputError
from evalwheel.interrupts import run_sync
from evalwheel.mirror.gap import Gap, gap_between
from evalwheel.mirror.replay import sample_items
from evalwheel.project import Project
from evalwheel.runner.aggregate import summarize
from evalwheel.store.datasets import DatasetRepository


async def amirror_gap(
    system: str,
    *,
    traffic: str,
    judge: str,
    benchmark: str | None = None,
    benchmark_run: str | None = None,
    split: str | None = "test",
    scorers: Sequence[str] = (),
    sample: int | None = None,
    seed: int = 0,
    allow_untrusted_judge: bool = False,
    concurrency: int = 4,
    budget_usd: float | None = None,
    project: ProjectLike = None,
    on_progress: ProgressCallback | None = None,
) -> Gap:
    """Run ``system`` on the benchmark's ``split`` (or take its finished ``benchmark_run``) and on
    (a sample of) the traffic scored by the pointwise ``judge``; return the gap between the two
    pass rates. The traffic sample is drawn as ``mirror_replay`` draws it, so the same ``sample``
    and ``seed`` judge the items a mirror replayed (their answers then come from the cache). The benchmark rate is the
    application's pass scorer, else the first of ``scorers``."""
    project_obj = open_project(project)
    store = project_obj.open_store()
    try:
        version = DatasetRepository(store).resolve(traffic)
        items = sample_items(version, DatasetRepository(store), sample, seed)
    finally:
        store.close()
    if benchmark_run is not None:
        store = project_obj.open_store()
        try:
            bench_summary = summarize(store, benchmark_run)
        finally:
            store.close()
        if bench_summary.status != "completed":
            raise InputError(f"run {benchmark_run} is {bench_summary.status}; resume it first")
    elif benchmark is not None:
        bench = await aevaluate(
            system,
            benchmark,
            project=project_obj,
            split=split,
            scorers=scorers,
            concurrency=concurrency,
            budget_usd=budget_usd,
            on_progress=on_progress,
        )
        if not bench.complete:
            raise InputError(f"the benchmark run {bench.run_id} did not finish; resume it first")
        bench_summary = bench.summary
    else:
        raise InputError("name the benchmark or a finished benchmark run", field="benchmark")
    seen = await _traffic_run(
        project_obj,
        system,
        version,
        items,
        judge,
        allow_untrusted_judge,
        concurrency,
        budget_usd,
        on_progress,
    )
    return gap_between(bench_summary, seen, judge)


async def _traffic_run(
    project: Project,
    system: str,
    version: DatasetVersion,
    items: Sequence[str],
    judge: str,
    allow_untrusted_judge: bool,
    concurrency: int,
    budget_usd: float | None,
    on_progress: ProgressCallback | None,
) -> Any:
    store = project.open_store()
    try:
        prepared = prepare_run(
            project,
            store,
            system,
            f"{version.name}@{version.version_id}",
            items=list(items),
            judges=[judge],
            allow_untrusted_judges=allow_untrusted_judge,
        )
    finally:
        store.close()
    result = await aresume(
        prepared.run_id,
        project=project,
        concurrency=concurrency,
        budget_usd=budget_usd,
        on_progress=on_progress,
    )
    return result.summary


def mirror_gap(system: str, **kwargs: Any) -> Gap:
    """``amirror_gap`` for scripts and notebooks."""
    return run_sync(amirror_gap(system, **kwargs))


def gap_from_runs(
    benchmark_run: str, traffic_run: str, judge: str, *, project: ProjectLike = None
) -> Gap:
    """The gap from two finished runs of one system (a benchmark run and a judged traffic run)."""
    store = open_project(project).open_store()
    try:
        return gap_between(summarize(store, benchmark_run), summarize(store, traffic_run), judge)
    finally:
        store.close()
