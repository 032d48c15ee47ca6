"""Calibrating a judge against human labels: measure, improve on train, select on dev, report once
on test, then the promotion gate.

The loop keeps a log of every candidate (its version, how it was derived, its dev kappa), stops at
the target kappa, at the human ceiling, when no candidate improves dev, at the iteration limit, or
when the budget runs out; the chosen judge is then scored on test exactly once. Test labels never
take part in any choice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field

from evalwheel.core.hashing import content_hash, short
from evalwheel.core.judge import Calibration, Judge
from evalwheel.judges.evaluate import judge_items
from evalwheel.judges.golden import GoldenItem, GoldenSet, summary
from evalwheel.judges.judging import JudgeVerdict
from evalwheel.judges.metrics import agreement_on, disagreements, headline_kappa
from evalwheel.judges.optimisers import OptimiserContext, registry
from evalwheel.llm.client import ModelClient
from evalwheel.llm.errors import BudgetExceeded, DeadlineExceeded


class PromotionGate(BaseModel):
    """A judge is trusted when the lower bound of its test kappa (vs the reference label) reaches
    ``target_kappa`` and its estimate reaches ``ceiling_share`` of the human ceiling."""

    target_kappa: float = Field(default=0.6, ge=-1, le=1)
    ceiling_share: float = Field(default=0.8, ge=0, le=1.5)
    use_ci_low: bool = True


class CalibrationOptions(BaseModel):
    target_kappa: float = 0.6
    optimisers: list[str] = Field(default_factory=lambda: ["fewshot", "rubric", "label_map"])
    max_iterations: int = Field(default=4, ge=0)
    min_improvement: float = Field(default=0.01, ge=0)
    concurrency: int = Field(default=4, ge=1)
    resamples: int = Field(default=10_000, ge=100)
    seed: int = 0
    gate: PromotionGate = Field(default_factory=PromotionGate)


def _labels(verdicts: dict[str, JudgeVerdict]) -> dict[str, str | None]:
    return {k: v.label for k, v in verdicts.items()}


def _slices(
    items: list[GoldenItem], verdicts: dict[str, JudgeVerdict]
) -> dict[str, dict[str, Any]]:
    per: dict[str, list[bool]] = defaultdict(list)
    for item in items:
        if item.reference is None or item.id not in verdicts:
            continue
        agree = verdicts[item.id].label == item.reference
        for tag in item.tags or ("(untagged)",):
            per[tag].append(agree)
    return {
        tag: {"n": len(v), "agreement": sum(v) / len(v)}
        for tag, v in sorted(per.items(), key=lambda kv: sum(kv[1]) / len(kv[1]))
    }


def _cost(verdicts: dict[str, JudgeVerdict]) -> dict[str, float]:
    return {
        "usd": sum(v.cost_usd for v in verdicts.values()),
        "tokens": sum(v.input_tokens + v.output_tokens for v in verdicts.values()),
        "calls_cached": sum(v.cached for v in verdicts.values()),
    }


def promotion(metrics: dict[str, Any], gate: PromotionGate) -> tuple[bool, list[str]]:
    kappa = metrics.get("vs_reference", {}).get("cohen_kappa") or {}
    value = kappa.get("ci_low") if gate.use_ci_low else kappa.get("estimate")
    reasons = []
    if value is None or value < gate.target_kappa:
        which = "lower bound of test kappa" if gate.use_ci_low else "test kappa"
        reasons.append(
            f"{which} {value if value is None else round(value, 3)} < {gate.target_kappa}"
        )
    ceiling = metrics.get("ceiling", {}).get("human_kappa")
    estimate = kappa.get("estimate")
    if ceiling is not None:
        need = gate.ceiling_share * ceiling
        if estimate is None or estimate < need:
            reasons.append(
                f"test kappa {estimate if estimate is None else round(estimate, 3)} < "
                f"{gate.ceiling_share:g} × human ceiling {ceiling:.3f} = {need:.3f}"
            )
    return not reasons, reasons


async def calibrate(
    judge: Judge,
    golden: GoldenSet,
    client: ModelClient,
    options: CalibrationOptions,
    *,
    optimiser_client: ModelClient | None = None,
    progress: Callable[[str, int], Callable[[], None]] | None = None,
    log: Callable[[dict[str, Any]], None] | None = None,
) -> tuple[Judge, Calibration]:
    """Returns the chosen judge and its calibration record (not yet stored)."""
    train, dev, test = golden.split("train"), golden.split("dev"), golden.split("test")
    if not dev or not test:
        raise ValueError(
            f"{golden.ref}: dev and test splits need items (have {summary(golden)['splits']})"
        )
    known = registry()
    unknown = [o for o in options.optimisers if o not in known]
    if unknown:
        raise ValueError(f"unknown optimiser(s) {unknown}; known: {', '.join(sorted(known))}")

    async def run(j: Judge, items: list[GoldenItem], what: str) -> dict[str, JudgeVerdict]:
        tick = progress(what, len(items)) if progress else None
        return await judge_items(client, j, items, concurrency=options.concurrency, on_item=tick)

    def dev_metrics(verdicts: dict[str, JudgeVerdict], j: Judge) -> dict[str, Any]:
        return agreement_on(
            j, dev, _labels(verdicts), resamples=options.resamples, seed=options.seed
        )

    iterations: list[dict[str, Any]] = []
    stop_reason = "max_iterations"
    current = judge
    current_dev = await run(current, dev, "dev: baseline")
    current_metrics = dev_metrics(current_dev, current)
    best = headline_kappa(current_metrics)
    ceiling = current_metrics["ceiling"]["human_kappa"]

    def record(entry: dict[str, Any]) -> None:
        iterations.append(entry)
        if log:
            log(entry)

    record(
        {
            "iteration": 0,
            "optimiser": "baseline",
            "version": current.version,
            "origin": current.origin or "as configured",
            "dev_kappa": best,
            "dev_kappa_ci": [
                current_metrics["vs_reference"]["cohen_kappa"]["ci_low"],
                current_metrics["vs_reference"]["cohen_kappa"]["ci_high"],
            ]
            if current_metrics["vs_reference"].get("cohen_kappa")
            else None,
            "chosen": True,
        }
    )
    try:
        for iteration in range(1, options.max_iterations + 1):
            if best is not None and best >= options.target_kappa:
                stop_reason = "target"
                break
            if best is not None and ceiling is not None and best >= ceiling:
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
            round_best: tuple[float, Judge, dict[str, JudgeVerdict]] | None = None
            for name in options.optimisers:
                for candidate in await known[name](ctx):
                    verdicts = await run(candidate, dev, f"dev: {name} candidate")
                    kappa = headline_kappa(dev_metrics(verdicts, candidate))
                    record(
                        {
                            "iteration": iteration,
                            "optimiser": name,
                            "version": candidate.version,
                            "origin": candidate.origin,
                            "dev_kappa": kappa,
                            "chosen": False,
                        }
                    )
                    if kappa is not None and (round_best is None or kappa > round_best[0]):
                        round_best = (kappa, candidate, verdicts)
            if round_best is None or (
                best is not None and round_best[0] < best + options.min_improvement
            ):
                stop_reason = "plateau"
                break
            best, current, current_dev = round_best[0], round_best[1], round_best[2]
            for entry in reversed(iterations):
                if entry["version"] == current.version:
                    entry["chosen"] = True
                    break
        else:
            if best is not None and best >= options.target_kappa:
                stop_reason = "target"
    except (BudgetExceeded, DeadlineExceeded) as exc:
        stop_reason = f"budget: {exc}"
    test_verdicts = await run(current, test, "test: chosen judge")
    test_metrics = agreement_on(
        current, test, _labels(test_verdicts), resamples=options.resamples, seed=options.seed
    )
    test_metrics["pass_pairs"] = [
        [test_verdicts[i.id].label in current.passing, i.reference in current.passing]
        for i in test
        if i.reference is not None and i.id in test_verdicts
    ]
    trusted, reasons = promotion(test_metrics, options.gate)
    metrics: dict[str, Any] = {
        "golden": summary(golden),
        "stop_reason": stop_reason,
        "dev": current_metrics if current is judge else dev_metrics(current_dev, current),
        "test": test_metrics,
        "slices": _slices(test, test_verdicts),
        "disagreements": disagreements(test, test_verdicts),
        "cost": {"test": _cost(test_verdicts)},
        "options": options.model_dump(),
    }
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
        metrics=metrics,
        iterations=iterations,
        verdicts=_labels(test_verdicts),
        trusted=trusted,
        gate={**options.gate.model_dump(), "passed": trusted, "reasons": reasons},
        created_at=created,
    )
    return current, calibration


def kappa_trail(calibration: Calibration) -> Sequence[float | None]:
    """The dev kappa of each chosen step: 0.02 → 0.15 → 0.31 …"""
    return [e.get("dev_kappa") for e in calibration.iterations if e.get("chosen")]
