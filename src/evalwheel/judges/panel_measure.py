"""``measure_panel``: a panel on its golden test split, each member beside the panel.

A panel is not optimised as a whole (calibrate its members instead); it is measured on the same
test split its members were calibrated on, under one budget for members and arbiter.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any

from evalwheel.errors import InputError, StoppedError
from evalwheel.interrupts import run_sync
from evalwheel.judges.calibrate import Progress
from evalwheel.judges.config import PanelSpec
from evalwheel.judges.panel import check_shared_labels, member_weights
from evalwheel.judges.panel_eval import PanelMeasurement, evaluate_panel
from evalwheel.judges.registry import JudgeRegistry
from evalwheel.judges.resolve import (
    DEFAULT_SPLIT,
    golden_set,
    judge_client,
    load_judge,
    resolve_any,
)
from evalwheel.project.opening import ProjectLike, project_and_store
from evalwheel.store.db import Store

if TYPE_CHECKING:
    from evalwheel.llm.client import ModelClient


async def ameasure_panel(
    panel: str,
    golden: str,
    *,
    project: ProjectLike = None,
    store: Store | None = None,
    split: tuple[float, float, float] = DEFAULT_SPLIT,
    limit: int | None = None,
    seed: int = 0,
    concurrency: int = 4,
    resamples: int = 10_000,
    budget_usd: float | None = None,
    progress: Progress | None = None,
) -> PanelMeasurement:
    """Each member's kappa, errors and cost beside the panel's kappa (over all items, escalations
    counted as disagreements, and on the items it decided), with the arbiter's and the queue's
    share. ``StoppedError`` when the budget runs out (finished calls stay cached)."""
    from evalwheel.llm.budget import Budget, BudgetTracker
    from evalwheel.llm.errors import BudgetExceeded, DeadlineExceeded

    with project_and_store(project, store) as (found, opened):
        spec = resolve_any(found, panel)
        if not isinstance(spec, PanelSpec):
            raise InputError(f"{panel!r} is a single judge, not a panel: calibrate it instead")
        members = {m: load_judge(found, opened, m) for m in spec.members}
        arbiter = load_judge(found, opened, spec.arbiter) if spec.arbiter else None
        everyone = [*members.values(), *([arbiter] if arbiter else [])]
        check_shared_labels(spec.name, everyone)
        weights = member_weights(spec, members, JudgeRegistry(opened))
        first = next(iter(members.values()))
        labelled = golden_set(opened, golden, first, fractions=split, seed=seed, limit=limit)
        test = labelled.split("test")
        tracker = BudgetTracker(Budget(usd=budget_usd))
        clients: dict[str, ModelClient] = {}
        for judge in everyone:
            if judge.model not in clients:
                clients[judge.model] = judge_client(found, opened, judge.model, tracker=tracker)
        try:
            async with AsyncExitStack() as stack:
                for client in clients.values():
                    await stack.enter_async_context(client)
                tick = (
                    progress(f"panel {spec.name} on the test split", len(test))
                    if progress
                    else None
                )
                result = await evaluate_panel(
                    spec,
                    {n: (j, clients[j.model]) for n, j in members.items()},
                    (arbiter, clients[arbiter.model]) if arbiter else None,
                    test,
                    weights=weights,
                    concurrency=concurrency,
                    resamples=resamples,
                    seed=seed,
                    on_item=tick,
                )
        except (BudgetExceeded, DeadlineExceeded) as exc:
            raise StoppedError(
                f"panel {spec.name}: stopped by the budget ({exc}); finished calls are cached"
            ) from None
        result.golden = labelled.ref
        return result


def measure_panel(panel: str, golden: str, **kw: Any) -> PanelMeasurement:
    """``ameasure_panel`` from sync code: the same arguments; SIGINT/SIGTERM stop it cleanly."""
    return run_sync(ameasure_panel(panel, golden, **kw))
