"""Mirroring from Python: replay traffic through two systems, compare the pairs, queue them for
humans, read readiness over time and the benchmark-to-production gap.

``mirror_replay`` is resumable end to end: its three runs are ordinary runs (finished items are
never redone), each pair's analysis is stored as it is made, and judge calls are answered from the
call cache on a second pass. Running the same command again continues where it stopped.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from evalwheel.api.datasets import import_examples
from evalwheel.api.evaluation import ProgressCallback, aevaluate, aresume, prepare_run
from evalwheel.api.projects import ProjectLike, open_project
from evalwheel.api.reporting import ReportFormat
from evalwheel.core.dataset import DatasetKind, DatasetVersion
from evalwheel.core.example import Example
from evalwheel.core.judge import Judge, JudgeKind
from evalwheel.core.mirror import MirrorRecord
from evalwheel.errors import InputError
from evalwheel.interrupts import run_sync
from evalwheel.judges.registry import JudgeRegistry
from evalwheel.judges.resolve import judge_client, load_judge
from evalwheel.llm.budget import Budget, BudgetTracker
from evalwheel.mirror.analysis import analyse_mirror
from evalwheel.mirror.gap import Gap, gap_between
from evalwheel.mirror.harvest import failure_cases, golden_candidates
from evalwheel.mirror.readiness import Readiness, ReadinessRule, readiness
from evalwheel.mirror.replay import (
    CANDIDATE_SAMPLE_BASE,
    CURRENT_REPEAT,
    build_pairs,
    load_mirror,
    mirror_id,
    sample_items,
    save_mirror,
)
from evalwheel.mirror.review import QueueFill, fill_review_queue
from evalwheel.mirror.summary import MirrorSummary, summarize_pairs
from evalwheel.project import Project
from evalwheel.report.mirror_report import (
    MirrorReportData,
    example_pairs,
    mirror_html,
    mirror_json,
    mirror_markdown,
)
from evalwheel.runner.aggregate import corrected_estimate, summarize
from evalwheel.runner.systems import resolve_system
from evalwheel.stats.estimate import Estimate
from evalwheel.store.datasets import DatasetRepository
from evalwheel.store.db import Store
from evalwheel.store.mirrors import MirrorPairRepository

PairProgress = Callable[[int, int], None]


class MirrorResult(BaseModel):
    """A replay's record, what it found, and what it queued for humans."""

    mirror: MirrorRecord
    complete: bool = Field(description="every sampled item ran on both systems and was compared")
    summary: MirrorSummary
    review: QueueFill | None = None
    notes: list[str] = Field(default_factory=list)


def _pairwise_judge(project: Project, store: Store, name: str, allow_untrusted: bool) -> Judge:
    judge = load_judge(project, store, name)
    if judge.kind != JudgeKind.PAIRWISE:
        raise InputError(
            f"judge {name!r} is {judge.kind.value}; mirroring compares two answers and needs a "
            'pairwise judge (kind = "pairwise")',
            field="judge",
        )
    JudgeRegistry(store).require_trusted(judge, allow_untrusted)
    return judge


def _examples(store: Store, record: MirrorRecord) -> dict[str, Example]:
    if record.traffic is None:
        return {}
    repo = DatasetRepository(store)
    version = repo.resolve(record.traffic)
    wanted = set(record.items)
    return {e.id: e for e in repo.iter_examples(version.version_id) if e.id in wanted}


def _app_of(project: Project, record: MirrorRecord) -> Any:
    """The application both systems belong to (None for generic systems or a mixed pair)."""
    if record.source != "replay":
        return None
    current = resolve_system(project, record.current)
    candidate = resolve_system(project, record.candidate)
    if current.system.app != candidate.system.app or current.system.app in ("", "generic"):
        return None
    return current.app


async def _analyse(
    project: Project,
    store: Store,
    record: MirrorRecord,
    judge: str | None,
    allow_untrusted_judge: bool,
    concurrency: int,
    budget: Budget | None,
    redo: bool,
    on_pair: PairProgress | None,
) -> None:
    chosen = _pairwise_judge(project, store, judge, allow_untrusted_judge) if judge else None
    client = (
        judge_client(project, store, chosen.model, tracker=BudgetTracker(budget or Budget()))
        if chosen
        else None
    )
    async with AsyncExitStack() as stack:
        if client is not None:
            await stack.enter_async_context(client)
        await analyse_mirror(
            store,
            record.id,
            app=_app_of(project, record),
            examples=_examples(store, record),
            judge=chosen,
            client=client,
            concurrency=concurrency,
            redo=redo,
            on_pair=on_pair,
        )


def _summary(store: Store, record: MirrorRecord) -> MirrorSummary:
    pairs = MirrorPairRepository(store).pairs(record.id)
    return summarize_pairs(record.id, record.source, record.current, record.candidate, pairs)


async def amirror_replay(
    traffic: str,
    current: str,
    candidate: str,
    *,
    sample: int | None = None,
    seed: int = 0,
    judge: str | None = None,
    pointwise_judge: str | None = None,
    allow_untrusted_judge: bool = False,
    weights: dict[str, float] | None = None,
    concurrency: int = 4,
    budget_usd: float | None = None,
    project: ProjectLike = None,
    on_progress: ProgressCallback | None = None,
    on_pair: PairProgress | None = None,
) -> MirrorResult:
    """Replay stored ``traffic`` (``NAME[@VERSION]``) through the ``current`` and ``candidate``
    systems, compare every pair, judge the different ones with the pairwise ``judge`` (both
    orders), and queue the pairs worth a human's time. With a ``pointwise_judge`` both systems'
    answers are also scored one by one (each day's pass rates in ``mirror_status``, corrected
    when that judge is calibrated). The same arguments resume the same mirror."""
    project_obj = open_project(project)
    store = project_obj.open_store()
    try:
        version: DatasetVersion = DatasetRepository(store).resolve(traffic)
        if judge:
            _pairwise_judge(project_obj, store, judge, allow_untrusted_judge)  # refuse before work
        systems = {
            role: resolve_system(project_obj, name)
            for role, name in (("current", current), ("candidate", candidate))
        }
        ref = f"{version.name}@{version.version_id}"
        name = mirror_id(
            ref,
            systems["current"].system.version,
            systems["candidate"].system.version,
            sample,
            seed,
            pointwise_judge,
        )
        stored = MirrorPairRepository(store)
        try:
            record = load_mirror(store, name)
        except LookupError:
            record = None
        if record is None or not record.runs:
            items = sample_items(version, DatasetRepository(store), sample, seed)
            runs = {}
            for role, system_name, repeat, base in (
                ("current", current, CURRENT_REPEAT, 0),
                ("candidate", candidate, 1, CANDIDATE_SAMPLE_BASE),
            ):
                prepared = prepare_run(
                    project_obj,
                    store,
                    system_name,
                    ref,
                    repeat=repeat,
                    items=items,
                    sample_base=base,
                    judges=[pointwise_judge] if pointwise_judge else (),
                    allow_untrusted_judges=allow_untrusted_judge,
                )
                runs[role] = prepared.run_id
                pinned = prepared.plan.judges.get(pointwise_judge or "")
            record = MirrorRecord(
                id=name,
                source="replay",
                traffic=ref,
                current=current,
                candidate=candidate,
                sample=sample,
                seed=seed,
                items=items,
                runs=runs,
                pointwise_judge=pointwise_judge,
                pointwise_version=pinned,
                created_at=datetime.now(UTC),
            )
            save_mirror(store, record)
        notes: list[str] = []
        complete = True
        for run_id in record.runs.values():
            result = await aresume(
                run_id,
                project=project_obj,
                concurrency=concurrency,
                budget_usd=budget_usd,
                on_progress=on_progress,
            )
            notes += result.notes
            if not result.complete:
                complete = False
                notes.append(f"run {run_id} stopped: {result.progress.stopped or 'interrupted'}")
                break
        build_pairs(store, record)
        await _analyse(
            project_obj,
            store,
            record,
            judge,
            allow_untrusted_judge,
            concurrency,
            Budget(usd=budget_usd),
            False,
            on_pair,
        )
        fill = fill_review_queue(store, record.id, weights=weights)
        summary = _summary(store, record)
        complete = (
            complete
            and summary.analysed == len(record.items) == stored.count(record.id)
            and not (judge and summary.preference.undecided)
        )
        if judge and summary.preference.undecided:
            notes.append(
                f"{summary.preference.undecided} different pair(s) have no verdict (a judge call "
                "failed or the budget stopped it): the same command judges them"
            )
        return MirrorResult(
            mirror=record, complete=complete, summary=summary, review=fill, notes=notes
        )
    finally:
        store.close()


def mirror_replay(traffic: str, current: str, candidate: str, **kwargs: Any) -> MirrorResult:
    """``amirror_replay`` for scripts and notebooks."""
    return run_sync(amirror_replay(traffic, current, candidate, **kwargs))


async def amirror_compare(
    mirror: str,
    *,
    judge: str | None = None,
    allow_untrusted_judge: bool = False,
    redo: bool = False,
    weights: dict[str, float] | None = None,
    concurrency: int = 4,
    budget_usd: float | None = None,
    project: ProjectLike = None,
    on_pair: PairProgress | None = None,
) -> MirrorResult:
    """Compare a mirror's pairs not compared yet (a live mirror's, or a replay's with another
    judge when ``redo``), then refill the review queue."""
    project_obj = open_project(project)
    store = project_obj.open_store()
    try:
        record = load_mirror(store, mirror)
        await _analyse(
            project_obj,
            store,
            record,
            judge,
            allow_untrusted_judge,
            concurrency,
            Budget(usd=budget_usd),
            redo,
            on_pair,
        )
        fill = fill_review_queue(store, record.id, weights=weights)
        summary = _summary(store, record)
        return MirrorResult(
            mirror=record, complete=summary.analysed == summary.pairs, summary=summary, review=fill
        )
    finally:
        store.close()


def mirror_compare(mirror: str, **kwargs: Any) -> MirrorResult:
    """``amirror_compare`` for scripts and notebooks."""
    return run_sync(amirror_compare(mirror, **kwargs))


def mirror_summary(mirror: str, *, project: ProjectLike = None) -> MirrorSummary:
    """What a mirror has found so far (no work is done)."""
    store = open_project(project).open_store()
    try:
        return _summary(store, load_mirror(store, mirror))
    finally:
        store.close()


def mirror_status(
    mirror: str,
    *,
    window: str = "day",
    rule: ReadinessRule | None = None,
    project: ProjectLike = None,
) -> Readiness:
    """The candidate's results per window of traffic and whether it is ready (see
    ``evalwheel.mirror.readiness`` for the rule)."""
    store = open_project(project).open_store()
    try:
        record = load_mirror(store, mirror)
        correct = None
        if record.pointwise_version is not None:
            version = record.pointwise_version

            def correct(judged: list[bool]) -> Estimate | None:
                return corrected_estimate(store, version, judged, len(judged))

        return readiness(
            record.id,
            MirrorPairRepository(store).pairs(record.id),
            window=window,
            rule=rule,
            correct=correct,
        )
    finally:
        store.close()


def mirrors(*, project: ProjectLike = None) -> list[tuple[str, int]]:
    """Every mirror with pairs in the store, and how many."""
    store = open_project(project).open_store()
    try:
        return MirrorPairRepository(store).mirrors()
    finally:
        store.close()


def mirror_review(
    mirror: str, *, weights: dict[str, float] | None = None, project: ProjectLike = None
) -> QueueFill:
    """Queue a compared mirror's pairs worth a human's time (idempotent)."""
    store = open_project(project).open_store()
    try:
        return fill_review_queue(store, load_mirror(store, mirror).id, weights=weights)
    finally:
        store.close()


class Exported(BaseModel):
    """A dataset made from a mirror."""

    dataset: str
    items: int
    considered: int
    skipped: dict[str, int]


def mirror_export(mirror: str, what: str, name: str, *, project: ProjectLike = None) -> Exported:
    """Store a mirror's ``failures`` (losing answers with the winning one as reference: training
    data, kind ``synthetic``) or its human-labelled pairs as ``golden`` candidates."""
    project_obj = open_project(project)
    store = project_obj.open_store()
    try:
        record = load_mirror(store, mirror)
        if what == "failures":
            harvest, kind = failure_cases(store, record.id), DatasetKind.SYNTHETIC
        elif what == "golden":
            harvest, kind = golden_candidates(store, record.id), DatasetKind.GOLDEN
        else:
            raise InputError(f"must be failures or golden, not {what!r}", field="what")
    finally:
        store.close()
    if not harvest.examples:
        raise InputError(
            f"mirror {mirror} has no {what} to export (considered {harvest.considered} pairs: "
            + ", ".join(f"{k} {v}" for k, v in harvest.skipped.items())
            + ")",
            field="what",
        )
    version = import_examples(harvest.examples, name, kind=kind, project=project_obj)
    return Exported(
        dataset=f"{version.name}@{version.version_id[:12]}",
        items=len(harvest.examples),
        considered=harvest.considered,
        skipped=harvest.skipped,
    )


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


def render_mirror_report(
    mirror: str,
    fmt: ReportFormat = "html",
    *,
    window: str = "day",
    rule: ReadinessRule | None = None,
    benchmark_run: str | None = None,
    traffic_run: str | None = None,
    judge: str | None = None,
    project: ProjectLike = None,
) -> str:
    """A mirror's report text: the headline, readiness per ``window`` under ``rule``, the
    benchmark-to-traffic gap when both finished runs and the traffic run's ``judge`` are given,
    the slices and the pairs most worth a look."""
    if fmt not in ("html", "md", "json"):
        raise InputError(f"must be html, md or json, not {fmt!r}", field="format")
    if (benchmark_run or traffic_run or judge) and not (benchmark_run and traffic_run and judge):
        raise InputError(
            "a gap needs all three: the benchmark run, the judged traffic run and the judge",
            field="benchmark_run",
        )
    store = open_project(project).open_store()
    try:
        record = load_mirror(store, mirror)
        pairs = MirrorPairRepository(store).pairs(record.id)
        gap = None
        if benchmark_run and traffic_run and judge:
            gap = gap_between(summarize(store, benchmark_run), summarize(store, traffic_run), judge)
        data = MirrorReportData(
            summary=summarize_pairs(
                record.id, record.source, record.current, record.candidate, pairs
            ),
            readiness=readiness(record.id, pairs, window=window, rule=rule),
            gap=gap,
            examples=example_pairs(pairs),
        )
    finally:
        store.close()
    if fmt == "html":
        return mirror_html(data)
    if fmt == "md":
        return mirror_markdown(data)
    return mirror_json(data)


def write_mirror_report(
    mirror: str,
    fmt: ReportFormat = "html",
    *,
    window: str = "day",
    rule: ReadinessRule | None = None,
    benchmark_run: str | None = None,
    traffic_run: str | None = None,
    judge: str | None = None,
    output: str | os.PathLike[str] | None = None,
    project: ProjectLike = None,
) -> Path:
    """Write the mirror's report (default file: ``mirror-MIRROR.EXT``) and return its path."""
    text = render_mirror_report(
        mirror,
        fmt,
        window=window,
        rule=rule,
        benchmark_run=benchmark_run,
        traffic_run=traffic_run,
        judge=judge,
        project=project,
    )
    path = Path(output or f"mirror-{re.sub(r'[^A-Za-z0-9_.-]', '_', mirror)}.{fmt}")
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write the report: {exc.strerror}", file=str(path)) from None
    return path.resolve()
