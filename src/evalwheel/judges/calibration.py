"""Calibrating a judge, from Python or the CLI: resolve the judge at its pin and the golden set, run
the loop with one budget for the judge and the criteria rewriter, store every version scored, the
calibration record and the pin.

``acalibrate`` is the coroutine; ``calibrate`` runs it from sync code, where SIGINT/SIGTERM cancel
it cleanly: in-flight calls stop, the finished ones are already in the call cache (each is stored
as it returns), nothing half-done is recorded, and a re-run pays for nothing twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AsyncExitStack
from typing import Any

from evalwheel.core.judge import Judge
from evalwheel.errors import InputError
from evalwheel.interrupts import run_sync
from evalwheel.judges.calibrate import IterationLog, OnStart, Progress, calibration_loop
from evalwheel.judges.config import PanelSpec, require_pointwise
from evalwheel.judges.golden import GoldenSet
from evalwheel.judges.registry import pinned, record_calibration
from evalwheel.judges.resolve import (
    DEFAULT_SPLIT,
    golden_set,
    judge_client,
    resolve_any,
)
from evalwheel.judges.results import CalibrationOptions, CalibrationResult, PromotionGate
from evalwheel.project import Project
from evalwheel.project.opening import ProjectLike, project_and_store
from evalwheel.store.db import Store

DEFAULT_OPTIMISERS = ("fewshot", "rubric", "label_map")


async def acalibrate_and_record(
    project: Project,
    store: Store,
    configured: Judge,
    judge: Judge,
    golden: GoldenSet,
    options: CalibrationOptions,
    *,
    budget_usd: float | None = None,
    optimiser_model: str | None = None,
    progress: Progress | None = None,
    log: IterationLog | None = None,
    on_start: OnStart | None = None,
    record: bool = True,
) -> CalibrationResult:
    """The loop from ``judge`` (``configured`` or its pin) on ``golden``, then, with ``record``,
    every version scored, the calibration and the pin are stored (``evalwheel calibrate`` and the
    demo both come through here)."""
    from evalwheel.llm.budget import Budget, BudgetTracker

    tracker = BudgetTracker(Budget(usd=budget_usd))  # one budget for judge and rewriter
    client = judge_client(project, store, judge.model, tracker=tracker)
    rewrite = (
        judge_client(project, store, optimiser_model, tracker=tracker) if optimiser_model else None
    )
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(client)
        if rewrite is not None:
            await stack.enter_async_context(rewrite)
        result = await calibration_loop(
            judge,
            golden,
            client,
            options,
            optimiser_client=rewrite,
            progress=progress,
            log=log,
            on_start=on_start,
        )
    if record:
        result.pinned = record_calibration(
            store, configured, judge, result.judge, result.calibration, result.candidates
        )
    return result


def calibrate_and_record(
    project: Project,
    store: Store,
    configured: Judge,
    judge: Judge,
    golden: GoldenSet,
    options: CalibrationOptions,
    **kw: Any,
) -> CalibrationResult:
    """``acalibrate_and_record`` from sync code (Ctrl-C stops it cleanly)."""
    return run_sync(acalibrate_and_record(project, store, configured, judge, golden, options, **kw))


def calibration_options(
    *,
    target_kappa: float = 0.6,
    ceiling_share: float = 0.8,
    min_test_items: int = 50,
    optimisers: Sequence[str] = DEFAULT_OPTIMISERS,
    max_iterations: int = 4,
    concurrency: int = 4,
    resamples: int = 10_000,
    seed: int = 0,
) -> CalibrationOptions:
    """Options with the gate built from the same target, validated (``InputError`` names the
    field)."""
    from pydantic import ValidationError

    try:
        return CalibrationOptions(
            optimisers=list(optimisers),
            max_iterations=max_iterations,
            concurrency=concurrency,
            resamples=resamples,
            seed=seed,
            gate=PromotionGate(
                target_kappa=target_kappa,
                ceiling_share=ceiling_share,
                min_test_items=min_test_items,
            ),
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][-1]) if first["loc"] else None
        raise InputError(first["msg"], field=field) from None


async def acalibrate(
    judge: str,
    golden: str,
    *,
    project: ProjectLike = None,
    store: Store | None = None,
    target_kappa: float = 0.6,
    ceiling_share: float = 0.8,
    min_test_items: int = 50,
    optimisers: Sequence[str] = DEFAULT_OPTIMISERS,
    max_iterations: int = 4,
    split: tuple[float, float, float] = DEFAULT_SPLIT,
    limit: int | None = None,
    seed: int = 0,
    concurrency: int = 4,
    resamples: int = 10_000,
    budget_usd: float | None = None,
    optimiser_model: str | None = None,
    record: bool = True,
    progress: Progress | None = None,
    log: IterationLog | None = None,
    on_start: OnStart | None = None,
) -> CalibrationResult:
    """Calibrate the judge named ``judge`` on the golden dataset ``golden`` (``NAME[@VERSION]``).

    Measures the judge (at its pin) against the human labels beside the human ceiling, improves it
    on train, selects on dev, stops when dev meets the gate's criterion (or says why it stopped),
    scores test once and applies the promotion gate. With ``record`` the versions, the calibration
    and the pin are stored. ``result.trusted`` says whether the gate passed; ``result.gate.reasons``
    and ``result.metrics.stop_detail`` say why not. A panel is measured, not calibrated: use
    ``measure_panel``.
    """
    options = calibration_options(
        target_kappa=target_kappa,
        ceiling_share=ceiling_share,
        min_test_items=min_test_items,
        optimisers=optimisers,
        max_iterations=max_iterations,
        concurrency=concurrency,
        resamples=resamples,
        seed=seed,
    )
    with project_and_store(project, store) as (found, opened):
        configured = resolve_any(found, judge)
        if isinstance(configured, PanelSpec):
            raise InputError(
                f"{judge!r} is a panel: calibrate its members, or measure it with measure_panel"
            )
        require_pointwise(configured, "calibration")
        start = pinned(opened, configured)
        labelled = golden_set(opened, golden, start, fractions=split, seed=seed, limit=limit)
        return await acalibrate_and_record(
            found,
            opened,
            configured,
            start,
            labelled,
            options,
            budget_usd=budget_usd,
            optimiser_model=optimiser_model,
            progress=progress,
            log=log,
            on_start=on_start,
            record=record,
        )


def calibrate(judge: str, golden: str, **kw: Any) -> CalibrationResult:
    """``acalibrate`` from sync code (scripts, notebooks): the same arguments; SIGINT/SIGTERM stop
    it cleanly with ``Interrupted``, finished calls kept in the call cache."""
    return run_sync(acalibrate(judge, golden, **kw))
