"""``check_drift``: re-score a pinned judge's calibrated test items with fresh model calls and test
the change (see ``evalwheel.judges.drift`` for the statistics and which items are measured).

A drift is a result (``drifted`` True), recorded so that it withdraws the version's trust; the
caller decides what it means (the CLI exits 1). A check that could not finish (the endpoint did not
answer some items) is no result at all: ``IncompleteCheck`` is raised and nothing is recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from evalwheel.errors import EvalwheelError, NotFoundError
from evalwheel.interrupts import run_sync
from evalwheel.judges.drift import DriftResult, drift_report, drift_scope
from evalwheel.judges.evaluate import judge_items
from evalwheel.judges.registry import JudgeRegistry
from evalwheel.judges.resolve import (
    DEFAULT_SPLIT,
    golden_set,
    judge_client,
    load_judge,
)
from evalwheel.project.opening import ProjectLike, project_and_store
from evalwheel.store.db import Store

Progress = Callable[[str, int], Callable[[], None]]


class IncompleteCheck(EvalwheelError):
    """Some re-scored items got no verdict: the check says nothing either way (exit 2)."""


async def acheck_drift(
    judge: str,
    *,
    project: ProjectLike = None,
    store: Store | None = None,
    golden: str | None = None,
    alpha: float = 0.05,
    tolerance: float = 0.0,
    concurrency: int = 4,
    resamples: int = 10_000,
    record: bool = True,
    progress: Progress | None = None,
) -> DriftResult:
    """Re-score the items the latest calibration of ``judge``'s pinned version measured on test
    (``golden`` defaults to the calibration's own golden set) and compare with its verdicts."""
    from evalwheel.llm.cache import CacheMode

    with project_and_store(project, store) as (found, opened):
        pinned = load_judge(found, opened, judge)
        registry = JudgeRegistry(opened)
        calibration = registry.latest_calibration(pinned.version)
        if calibration is None:
            raise NotFoundError(
                f"judge {judge!r} version {pinned.version[:12]} has no calibration: run "
                "`evalwheel calibrate` first"
            )
        options = calibration.metrics.get("options")
        seed = options.get("seed", 0) if isinstance(options, dict) else 0
        labelled = golden_set(
            opened,
            golden or calibration.golden,
            pinned,
            fractions=DEFAULT_SPLIT,
            seed=seed if isinstance(seed, int) else 0,
        )
        scope = drift_scope(calibration, labelled)
        client = judge_client(found, opened, pinned.model, cache_mode=CacheMode.REFRESH)
        async with client:
            tick = progress("re-scoring golden items", len(scope.items)) if progress else None
            verdicts = await judge_items(
                client, pinned, scope.items, concurrency=concurrency, on_item=tick
            )
        result = drift_report(
            calibration,
            scope,
            {k: v.label for k, v in verdicts.items()},
            golden=labelled.ref,
            categories=list(pinned.labels),
            alpha=alpha,
            tolerance=tolerance,
            resamples=resamples,
        )
        if result.errors:
            raise IncompleteCheck(
                f"drift check incomplete: {result.errors} of {result.n + result.errors} re-scored "
                "items got no verdict (is the endpoint up?); nothing recorded"
            )
        if record:
            registry.save_drift(pinned.version, result.model_dump(mode="json"))
        return result


def check_drift(judge: str, **kw: Any) -> DriftResult:
    """``acheck_drift`` from sync code: the same arguments; SIGINT/SIGTERM stop it cleanly."""
    return run_sync(acheck_drift(judge, **kw))
