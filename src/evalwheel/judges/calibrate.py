"""The calibration loop: measure a judge against human labels, improve it on train, select on dev,
report once on test, then apply the promotion gate.

The loop keeps a log of every candidate (its version, how it was derived, its dev kappa) and stops
when dev meets the gate's own criterion (``gate.dev_shortfall``), at the human ceiling, when no
candidate improves dev, at the iteration limit, or when the budget runs out; every stop carries a
sentence saying why, with the numbers. The chosen judge is then scored on test exactly once. Test
labels never take part in any choice, including the choice to stop. Nothing is stored here:
``evalwheel.judges.calibration`` records the result.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from evalwheel.core.hashing import content_hash, short
from evalwheel.core.judge import Calibration, Judge
from evalwheel.errors import InputError, StoppedError
from evalwheel.judges import gate as gating
from evalwheel.judges.evaluate import judge_items
from evalwheel.judges.golden import GoldenItem, GoldenSet, summary
from evalwheel.judges.judging import JudgeVerdict
from evalwheel.judges.metrics import agreement_on, disagreements
from evalwheel.judges.optimisers import OptimiserContext, registry
from evalwheel.judges.results import (
    CalibrationCost,
    CalibrationMetrics,
    CalibrationOptions,
    CalibrationResult,
    CallCost,
    GateResult,
    GoldenSummary,
    PromotionGate,
    SliceAgreement,
    SplitAgreement,
)
from evalwheel.llm.client import ModelClient
from evalwheel.llm.errors import BudgetExceeded, DeadlineExceeded

__all__ = [
    "CalibrationOptions",
    "CalibrationResult",
    "CalibrationStopped",
    "PromotionGate",
    "calibration_loop",
    "kappa_trail",
]

Progress = Callable[[str, int], Callable[[], None]]
IterationLog = Callable[[dict[str, Any]], None]
OnStart = Callable[[GoldenSet, list[str]], None]


class CalibrationStopped(StoppedError):
    """The budget ran out before the test split was scored: nothing was recorded."""


def _labels(verdicts: dict[str, JudgeVerdict]) -> dict[str, str | None]:
    return {k: v.label for k, v in verdicts.items()}


def _slices(
    items: list[GoldenItem], verdicts: dict[str, JudgeVerdict]
) -> dict[str, SliceAgreement]:
    per: dict[str, list[bool]] = defaultdict(list)
    for item in items:
        if item.reference is None or item.id not in verdicts:
            continue
        agree = verdicts[item.id].label == item.reference
        for tag in item.tags or ("(untagged)",):
            per[tag].append(agree)
    return {
        tag: SliceAgreement(n=len(v), agreement=sum(v) / len(v))
        for tag, v in sorted(per.items(), key=lambda kv: sum(kv[1]) / len(kv[1]))
    }


def _cost(verdicts: dict[str, JudgeVerdict]) -> CallCost:
    return CallCost(
        usd=sum(v.cost_usd for v in verdicts.values()),
        tokens=sum(v.input_tokens + v.output_tokens for v in verdicts.values()),
        calls_cached=sum(v.cached for v in verdicts.values()),
    )


def _guard_fewshots(judge: Judge, golden: GoldenSet) -> list[str]:
    """Items shown to the judge as few-shots belong to train, whatever split their rank gives
    them now (a different seed, fractions or label would otherwise leak them into dev or test)."""
    shown = {s.item_id for s in judge.fewshots if s.item_id}
    moved = [i.id for i in golden.items if i.id in shown and i.split != "train"]
    for item in golden.items:
        if item.id in shown:
            item.split = "train"
    return moved


def _short_of(dev: SplitAgreement, gate: PromotionGate) -> str:
    missing = gating.dev_shortfall(dev, gate)
    return (
        "dev meets the gate's criterion" if not missing else "dev is short: " + "; ".join(missing)
    )


def _stop_detail(code: str, dev: SplitAgreement, options: CalibrationOptions, extra: str) -> str:
    """The sentence a person reads for why the loop stopped, with the dev numbers."""
    gate = options.gate
    kappa = dev.vs_reference.cohen_kappa
    low = None if kappa is None else kappa.ci_low
    if code == "target":
        text = (
            f"dev meets the gate's criterion (lower bound of dev kappa {gating.fmt(low)} ≥ "
            f"{gate.target_kappa}"
            + (
                f", judge-vs-human kappa {gating.fmt(dev.ceiling.judge_kappa_vs_humans)} ≥ "
                f"{gate.ceiling_share:g} × {gating.fmt(dev.ceiling.human_kappa)}"
                if gate.ceiling_share > 0 and dev.ceiling.human_kappa is not None
                else ""
            )
            + ")"
        )
    elif code == "ceiling":
        text = (
            f"the judge agrees with the humans on dev ({gating.fmt(dev.ceiling.judge_kappa_vs_humans)}) "
            f"as well as they agree with each other ({gating.fmt(dev.ceiling.human_kappa)}); "
            + _short_of(dev, gate)
        )
    elif code == "plateau":
        text = (
            f"no candidate raised dev kappa by {options.min_improvement:g} or more (dev kappa "
            f"{gating.fmt(dev.kappa)}); " + _short_of(dev, gate)
        )
    elif code == "max_iterations":
        text = (
            "measured only (max iterations 0); "
            if options.max_iterations == 0
            else f"reached the iteration limit ({options.max_iterations}); "
        ) + _short_of(dev, gate)
    elif code == "no_train_disagreements":
        text = (
            "the judge agrees with every train label, so the optimisers have nothing to learn "
            "from; " + _short_of(dev, gate)
        )
    else:
        text = f"the budget ran out ({extra}); " + _short_of(dev, gate)
    return text


async def calibration_loop(
    judge: Judge,
    golden: GoldenSet,
    client: ModelClient,
    options: CalibrationOptions,
    *,
    optimiser_client: ModelClient | None = None,
    progress: Progress | None = None,
    log: IterationLog | None = None,
    on_start: OnStart | None = None,
) -> CalibrationResult:
    """The chosen judge, its calibration record and every candidate (nothing is stored here).
    ``on_start`` hears the split golden set and the gate's blockers before the first call."""
    moved = _guard_fewshots(judge, golden)
    train, dev, test = golden.split("train"), golden.split("dev"), golden.split("test")
    if not dev or not test:
        raise InputError(
            f"{golden.ref}: dev and test splits need items (have {summary(golden)['splits']})"
        )
    known = registry()
    unknown = [o for o in options.optimisers if o not in known]
    if unknown:
        raise InputError(
            f"unknown optimiser(s) {unknown}; known: {', '.join(sorted(known))}", field="optimiser"
        )
    blocked = gating.blockers(test, options.gate)
    if on_start:
        on_start(golden, blocked)
    spent: dict[str, JudgeVerdict] = {}

    async def run(j: Judge, items: list[GoldenItem], what: str) -> dict[str, JudgeVerdict]:
        tick = progress(what, len(items)) if progress else None
        verdicts = await judge_items(
            client, j, items, concurrency=options.concurrency, on_item=tick
        )
        spent.update({f"{what}/{k}": v for k, v in verdicts.items()})
        return verdicts

    def dev_metrics(verdicts: dict[str, JudgeVerdict], j: Judge) -> SplitAgreement:
        return agreement_on(
            j, dev, _labels(verdicts), resamples=options.resamples, seed=options.seed
        )

    iterations: list[dict[str, Any]] = []
    candidates: list[Judge] = []
    current = judge
    current_metrics = dev_metrics(await run(current, dev, "dev: baseline"), current)
    best = current_metrics.kappa

    def record(entry: dict[str, Any]) -> None:
        iterations.append(entry)
        if log:
            log(entry)

    kappa0 = current_metrics.vs_reference.cohen_kappa
    record(
        {
            "iteration": 0,
            "optimiser": "baseline",
            "version": current.version,
            "origin": current.origin or "as configured",
            "dev_kappa": best,
            "dev_kappa_ci": [None, None] if kappa0 is None else [kappa0.ci_low, kappa0.ci_high],
            "chosen": True,
        }
    )
    stop_reason, budget_note = "max_iterations", ""
    try:
        for iteration in range(1, options.max_iterations + 1):
            if not gating.dev_shortfall(current_metrics, options.gate):
                stop_reason = "target"
                break
            if gating.at_ceiling(current_metrics):
                stop_reason = "ceiling"
                break
            train_verdicts = await run(current, train, f"train: iteration {iteration}")
            ctx = OptimiserContext(
                judge=current,
                train=train,
                verdicts=train_verdicts,
                client=optimiser_client or client,
            )
            if not ctx.disagreements():
                stop_reason = "no_train_disagreements"
                break
            round_best: tuple[float, Judge, SplitAgreement] | None = None
            for name in options.optimisers:
                for candidate in await known[name](ctx):
                    candidates.append(candidate)
                    metrics = dev_metrics(
                        await run(candidate, dev, f"dev: {name} candidate"), candidate
                    )
                    kappa = metrics.kappa
                    kci = metrics.vs_reference.cohen_kappa
                    record(
                        {
                            "iteration": iteration,
                            "optimiser": name,
                            "version": candidate.version,
                            "origin": candidate.origin,
                            "dev_kappa": kappa,
                            "dev_kappa_ci": [None, None]
                            if kci is None
                            else [kci.ci_low, kci.ci_high],
                            "chosen": False,
                        }
                    )
                    if kappa is not None and (round_best is None or kappa > round_best[0]):
                        round_best = (kappa, candidate, metrics)
            for failure in ctx.failures:
                record(
                    {
                        "iteration": iteration,
                        "optimiser": "(failed)",
                        "version": "",
                        "origin": failure,
                        "dev_kappa": None,
                        "chosen": False,
                    }
                )
            if round_best is None or (
                best is not None and round_best[0] < best + options.min_improvement
            ):
                stop_reason = "plateau"
                break
            best, current, current_metrics = round_best
            for entry in reversed(iterations):
                if entry["version"] == current.version:
                    entry["chosen"] = True
                    break
        else:
            if not gating.dev_shortfall(current_metrics, options.gate):
                stop_reason = "target"
    except (BudgetExceeded, DeadlineExceeded) as exc:
        stop_reason, budget_note = "budget", str(exc)
    try:
        test_verdicts = await run(current, test, "test: chosen judge")
    except (BudgetExceeded, DeadlineExceeded) as exc:
        raise CalibrationStopped(
            f"the budget ran out before the test split was scored ({exc}); nothing was "
            "recorded. Re-run with a larger budget: finished calls are answered from the cache"
        ) from None
    test_metrics = agreement_on(
        current, test, _labels(test_verdicts), resamples=options.resamples, seed=options.seed
    )
    test_metrics.pass_pairs = [
        (test_verdicts[i.id].label in current.passing, i.reference in current.passing)
        for i in test
        if i.reference is not None and i.id in test_verdicts
    ]
    test_metrics.references = {i.id: i.reference for i in test if i.reference is not None}
    trusted, reasons = gating.promotion(test_metrics, options.gate)
    detail = _stop_detail(stop_reason, current_metrics, options, budget_note)
    metrics = CalibrationMetrics(
        golden=GoldenSummary.model_validate(summary(golden)),
        fewshots_moved_to_train=moved,
        stop_reason=stop_reason,
        stop_detail=detail,
        gate_blockers=blocked,
        dev=current_metrics,
        test=test_metrics,
        slices=_slices(test, test_verdicts),
        disagreements=disagreements(test, test_verdicts),
        cost=CalibrationCost(test=_cost(test_verdicts), total=_cost(spent)),
        options=options,
    )
    note = ""
    if not trusted and stop_reason == "target" and not blocked:
        note = (
            "dev met the gate's criterion and test did not: dev figures are optimistic once "
            "candidates are chosen on dev; more labelled items narrow both intervals"
        )
    gate = GateResult(
        **options.gate.model_dump(), passed=trusted, reasons=reasons, blockers=blocked, note=note
    )
    created = datetime.now(UTC)
    calibration = Calibration(
        id="cal-"
        + short(
            content_hash(
                {"judge": current.version, "golden": golden.ref, "at": created.isoformat()}
            )
        ),
        judge_name=current.name,
        judge_version=current.version,
        golden=golden.ref,
        metrics=metrics.model_dump(mode="json"),
        iterations=iterations,
        verdicts=_labels(test_verdicts),
        trusted=trusted,
        gate=gate.model_dump(mode="json"),
        created_at=created,
    )
    return CalibrationResult(
        judge=current, calibration=calibration, candidates=candidates, metrics=metrics, gate=gate
    )


def kappa_trail(calibration: Calibration) -> Sequence[float | None]:
    """The dev kappa of each chosen step: 0.02 → 0.15 → 0.31 …"""
    trail: list[float | None] = []
    for entry in calibration.iterations:
        if entry.get("chosen"):
            value = entry.get("dev_kappa")
            trail.append(float(value) if isinstance(value, int | float) else None)
    return trail
