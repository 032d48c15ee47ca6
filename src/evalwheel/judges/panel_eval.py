"""Measuring a panel on golden items: each member's agreement and cost beside the panel's, how often
the arbiter was needed, and how much stayed undecided.

The panel's agreement is reported twice: on the items it decided, and over all items with every
escalation counted as a disagreement (``(error)``), because a panel that escalates its hard cases
looks better on what it kept than it is.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from pydantic import BaseModel

from evalwheel.core.judge import Judge
from evalwheel.judges.config import PanelSpec
from evalwheel.judges.golden import GoldenItem
from evalwheel.judges.metrics import agreement_on
from evalwheel.judges.panel import PanelBudget, PanelVerdict, judge_with_panel
from evalwheel.llm.client import ModelClient
from evalwheel.stats.agreement import Interval


class MemberMeasurement(BaseModel):
    version: str
    model: str
    cohen_kappa: Interval | None
    raw_agreement: float | None
    errors: int
    cost_usd: float
    tokens: int


class PanelAgreement(BaseModel):
    cohen_kappa_all_items: Interval | None
    cohen_kappa_decided: Interval | None
    n_decided: int
    n_escalated: int
    decided_by: dict[str, int]
    arbiter_calls: int
    cost_usd: float
    tokens: int
    human_ceiling: float | None


class PanelMeasurement(BaseModel):
    """A panel on a golden split (``evalwheel calibrate --judge PANEL``)."""

    panel_name: str = ""
    golden: str = ""
    aggregation: str = ""
    n_items: int
    members: dict[str, MemberMeasurement]
    panel: PanelAgreement


async def evaluate_panel(
    spec: PanelSpec,
    members: dict[str, tuple[Judge, ModelClient]],
    arbiter: tuple[Judge, ModelClient] | None,
    items: list[GoldenItem],
    *,
    weights: dict[str, float] | None = None,
    concurrency: int = 4,
    resamples: int = 10_000,
    seed: int = 0,
    on_item: Callable[[], None] | None = None,
) -> PanelMeasurement:
    semaphore = asyncio.Semaphore(max(1, concurrency))
    budget = PanelBudget(spec.budget_usd, spec.budget_tokens)
    verdicts: dict[str, PanelVerdict] = {}

    async def one(item: GoldenItem) -> None:
        async with semaphore:
            verdicts[item.id] = await judge_with_panel(
                spec, members, arbiter, item.material, weights=weights, budget=budget
            )
        if on_item:
            on_item()

    try:
        await asyncio.gather(*(one(i) for i in items))
    finally:
        for _, client in [*members.values(), *([arbiter] if arbiter else [])]:
            client.flush()
    reference_judge = next(iter(members.values()))[0]
    measured: dict[str, MemberMeasurement] = {}
    for name, (judge, _) in members.items():
        labels = {i: v.members[name].label for i, v in verdicts.items()}
        stats = agreement_on(judge, items, labels, resamples=resamples, seed=seed)
        measured[name] = MemberMeasurement(
            version=judge.version,
            model=judge.model,
            cohen_kappa=stats.vs_reference.cohen_kappa,
            raw_agreement=stats.vs_reference.raw_agreement,
            errors=stats.n_errors,
            cost_usd=sum(v.members[name].cost_usd for v in verdicts.values()),
            tokens=sum(
                v.members[name].input_tokens + v.members[name].output_tokens
                for v in verdicts.values()
            ),
        )
    panel_labels = {i: v.label for i, v in verdicts.items()}
    overall = agreement_on(reference_judge, items, panel_labels, resamples=resamples, seed=seed)
    decided = [i for i in items if panel_labels.get(i.id) is not None]
    on_decided = agreement_on(
        reference_judge, decided, panel_labels, resamples=resamples, seed=seed
    )
    how: dict[str, int] = {}
    for v in verdicts.values():
        how[v.decided_by] = how.get(v.decided_by, 0) + 1
    return PanelMeasurement(
        panel_name=spec.name,
        aggregation=spec.aggregation,
        n_items=len(items),
        members=measured,
        panel=PanelAgreement(
            cohen_kappa_all_items=overall.vs_reference.cohen_kappa,
            cohen_kappa_decided=on_decided.vs_reference.cohen_kappa,
            n_decided=len(decided),
            n_escalated=sum(v.escalated for v in verdicts.values()),
            decided_by=how,
            arbiter_calls=sum(v.arbiter is not None for v in verdicts.values()),
            cost_usd=sum(v.cost_usd for v in verdicts.values()),
            tokens=sum(v.tokens for v in verdicts.values()),
            human_ceiling=overall.ceiling.human_kappa,
        ),
    )
