"""Mirroring from Python: replay traffic through two systems, compare the pairs, queue them for
humans, read readiness over time and the benchmark-to-production gap.

``mirror_replay`` is resumable end to end: its three runs are ordinary runs (finished items are
never redone), each pair's analysis is stored as it is made, and judge calls are answered from the
call cache on a second pass. Running the same command again continues where it stopped.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field

from evalwheel.api.evaluation import ProgressCallback, aresume, prepare_run
from evalwheel.api.mirror_gap import amirror_gap, gap_from_runs, mirror_gap
from evalwheel.api.mirror_outputs import (
    Exported,
    mirror_export,
    mirror_status,
    mirror_summary_of,
    render_mirror_report,
    write_mirror_report,
)
from evalwheel.api.projects import ProjectLike, open_project
from evalwheel.core.dataset import DatasetVersion
from evalwheel.core.example import Example
from evalwheel.core.judge import Judge, JudgeKind
from evalwheel.core.mirror import MirrorRecord
from evalwheel.errors import InputError
from evalwheel.interrupts import run_sync
from evalwheel.judges.registry import JudgeRegistry
from evalwheel.judges.resolve import judge_client, load_judge
from evalwheel.llm.budget import Budget, BudgetTracker
from evalwheel.mirror.analysis import analyse_mirror
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
from evalwheel.mirror.summary import MirrorSummary
from evalwheel.project import Project
from evalwheel.runner.systems import resolve_system
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


async def _compare_and_queue(
    project: Project,
    store: Store,
    record: MirrorRecord,
    judge: Judge | None,
    *,
    concurrency: int,
    budget_usd: float | None,
    redo: bool,
    weights: dict[str, float] | None,
    on_pair: PairProgress | None,
) -> tuple[QueueFill, MirrorSummary]:
    """Analyse the mirror's pairs (judging the different ones with ``judge``), refill the review
    queue, and summarise: the common end of a replay and a compare."""
    client = (
        judge_client(project, store, judge.model, tracker=BudgetTracker(Budget(usd=budget_usd)))
        if judge
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
            judge=judge,
            client=client,
            concurrency=concurrency,
            redo=redo,
            on_pair=on_pair,
        )
    fill = fill_review_queue(store, record.id, weights=weights)
    return fill, mirror_summary_of(store, record)


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
        # A judge that cannot be used is refused before anything runs.
        chosen = (
            _pairwise_judge(project_obj, store, judge, allow_untrusted_judge) if judge else None
        )
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
        fill, summary = await _compare_and_queue(
            project_obj,
            store,
            record,
            chosen,
            concurrency=concurrency,
            budget_usd=budget_usd,
            redo=False,
            weights=weights,
            on_pair=on_pair,
        )
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
        chosen = (
            _pairwise_judge(project_obj, store, judge, allow_untrusted_judge) if judge else None
        )
        fill, summary = await _compare_and_queue(
            project_obj,
            store,
            record,
            chosen,
            concurrency=concurrency,
            budget_usd=budget_usd,
            redo=redo,
            weights=weights,
            on_pair=on_pair,
        )
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
        return mirror_summary_of(store, load_mirror(store, mirror))
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


__all__ = [
    "Exported",
    "MirrorResult",
    "amirror_compare",
    "amirror_gap",
    "amirror_replay",
    "gap_from_runs",
    "mirror_compare",
    "mirror_export",
    "mirror_gap",
    "mirror_replay",
    "mirror_review",
    "mirror_status",
    "mirror_summary",
    "mirrors",
    "render_mirror_report",
    "write_mirror_report",
]
