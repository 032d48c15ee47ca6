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
from evalwheel.errors import StoppedError
from evalwheel.judges.evaluate import judge_items
from evalwheel.judges.golden import GoldenItem, GoldenSet, summary
from evalwheel.judges.judging import JudgeVerdict
from evalwheel.judges.metrics import agreement_on, disagreements, headline_kappa
from evalwheel.judges.optimisers import OptimiserContext, registry
from evalwheel.llm.client import ModelClient
from evalwheel.llm.errors import BudgetExceeded, DeadlineExceeded


class CalibrationStopped(StoppedError):
    pass


class PromotionGate(BaseModel):
    """A judge is trusted when, on at least ``min_test_items`` test items:

    - the lower bound of its kappa against the reference label reaches ``target_kappa`` (a floor);
    - its kappa against each human, averaged, reaches ``ceiling_share`` of the human-human kappa
      on the same items (like for like: a consensus label is less noisy than one annotator, so
      comparing the judge-vs-consensus kappa with the ceiling would favour the judge).
    With ``ceiling_share`` > 0 an unmeasured ceiling (fewer than two annotators per item) fails.
    """

    target_kappa: float = Field(default=0.6, ge=-1, le=1)
    ceiling_share: float = Field(default=0.8, ge=0, le=1.5)
    use_ci_low: bool = True
    min_test_items: int = Field(default=50, ge=1)


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


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{round(value, 3) + 0.0:.3f}"


def promotion(metrics: dict[str, Any], gate: PromotionGate) -> tuple[bool, list[str]]:
    reasons = []
    n = metrics.get("n_items", 0)
    if n < gate.min_test_items:
        reasons.append(
            f"only {n} test items (the gate needs {gate.min_test_items}; ~250 give kappa ± 0.10)"
        )
    kappa = metrics.get("vs_reference", {}).get("cohen_kappa") or {}
    value = kappa.get("ci_low") if gate.use_ci_low else kappa.get("estimate")
    if value is None or value < gate.target_kappa:
        which = "lower bound of test kappa" if gate.use_ci_low else "test kappa"
        reasons.append(f"{which} vs the reference {_fmt(value)} < {gate.target_kappa}")
    if gate.ceiling_share > 0:
        ceiling = metrics.get("ceiling", {})
        human, judge = ceiling.get("human_kappa"), ceiling.get("judge_kappa_vs_humans")
        if human is None:
            reasons.append(
                "human ceiling unmeasured (needs two annotators on the same items; "
                "--ceiling-share 0 skips this check)"
            )
        elif judge is None or judge < gate.ceiling_share * human:
            reasons.append(
                f"judge-vs-human kappa {_fmt(judge)} < {gate.ceiling_share:g} × human-human "
                f"kappa {_fmt(human)} = {_fmt(gate.ceiling_share * human)}"
            )
    return not reasons, reasons


def _at_ceiling(metrics: dict[str, Any]) -> bool:
    ceiling = metrics.get("ceiling", {})
    human, judge = ceiling.get("human_kappa"), ceiling.get("judge_kappa_vs_humans")
    return human is not None and judge is not None and judge >= human


class CalibrationResult(BaseModel):
    judge: Judge
    calibration: Calibration
    candidates: list[Judge] = Field(description="every version scored on dev, for the registry")


def _guard_fewshots(judge: Judge, golden: GoldenSet) -> list[str]:
    """Items shown to the judge as few-shots belong to train, whatever split their rank gives
    them now (a different seed, fractions or label would otherwise leak them into dev or test)."""
    shown = {s.item_id for s in judge.fewshots if s.item_id}
    moved = [i.id for i in golden.items if i.id in shown and i.split != "train"]
    for item in golden.items:
        if item.id in shown:
            item.split = "train"
    return moved


async def calibrate(
    judge: Judge,
    golden: GoldenSet,
    client: ModelClient,
    options: CalibrationOptions,
    *,
    optimiser_client: ModelClient | None = None,
    progress: Callable[[str, int], Callable[[], None]] | None = None,
    log: Callable[[dict[str, Any]], None] | None = None,
) -> CalibrationResult:
    """The chosen judge, its calibration record and every candidate (nothing is stored here)."""
    moved = _guard_fewshots(judge, golden)
    train, dev, test = golden.split("train"), golden.split("dev"), golden.split("test")
    if not dev or not test:
        raise ValueError(
            f"{golden.ref}: dev and test splits need items (have {summary(golden)['splits']})"
        )
    known = registry()
    unknown = [o for o in options.optimisers if o not in known]
    if unknown:
        raise ValueError(f"unknown optimiser(s) {unknown}; known: {', '.join(sorted(known))}")
    spent: dict[str, JudgeVerdict] = {}

    async def run(j: Judge, items: list[GoldenItem], what: str) -> dict[str, JudgeVerdict]:
        tick = progress(what, len(items)) if progress else None
        verdicts = await judge_items(
            client, j, items, concurrency=options.concurrency, on_item=tick
        )
        spent.update({f"{what}/{k}": v for k, v in verdicts.items()})
        return verdicts

    def dev_metrics(verdicts: dict[str, JudgeVerdict], j: Judge) -> dict[str, Any]:
        return agreement_on(
            j, dev, _labels(verdicts), resamples=options.resamples, seed=options.seed
        )

    iterations: list[dict[str, Any]] = []
    candidates: list[Judge] = []
    stop_reason = "max_iterations"
    current = judge
    current_dev = await run(current, dev, "dev: baseline")
    current_metrics = dev_metrics(current_dev, current)
    best = headline_kappa(current_metrics)

    def record(entry: dict[str, Any]) -> None:
        iterations.append(entry)
        if log:
            log(entry)

    kappa0 = current_metrics["vs_reference"].get("cohen_kappa") or {}
    record(
        {
            "iteration": 0,
            "optimiser": "baseline",
            "version": current.version,
            "origin": current.origin or "as configured",
            "dev_kappa": best,
            "dev_kappa_ci": [kappa0.get("ci_low"), kappa0.get("ci_high")],
            "chosen": True,
        }
    )
    try:
        for iteration in range(1, options.max_iterations + 1):
            if best is not None and best >= options.target_kappa:
                stop_reason = "target"
                break
            if _at_ceiling(current_metrics):
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
            round_best: tuple[float, Judge, dict[str, JudgeVerdict], dict[str, Any]] | None = None
            for name in options.optimisers:
                for candidate in await known[name](ctx):
                    candidates.append(candidate)
                    verdicts = await run(candidate, dev, f"dev: {name} candidate")
                    metrics = dev_metrics(verdicts, candidate)
                    kappa = headline_kappa(metrics)
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
                        round_best = (kappa, candidate, verdicts, metrics)
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
            best, current, current_dev, current_metrics = round_best
            for entry in reversed(iterations):
                if entry["version"] == current.version:
                    entry["chosen"] = True
                    break
        else:
            if best is not None and best >= options.target_kappa:
                stop_reason = "target"
    except (BudgetExceeded, DeadlineExceeded) as exc:
        stop_reason = f"budget: {exc}"
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
    test_metrics["pass_pairs"] = [
        [test_verdicts[i.id].label in current.passing, i.reference in current.passing]
        for i in test
        if i.reference is not None and i.id in test_verdicts
    ]
    trusted, reasons = promotion(test_metrics, options.gate)
    metrics: dict[str, Any] = {
        "golden": summary(golden),
        "fewshots_moved_to_train": moved,
        "stop_reason": stop_reason,
        "dev": current_metrics,
        "test": test_metrics,
        "slices": _slices(test, test_verdicts),
        "disagreements": disagreements(test, test_verdicts),
        "cost": {"test": _cost(test_verdicts), "total": _cost(spent)},
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
    return CalibrationResult(judge=current, calibration=calibration, candidates=candidates)


def kappa_trail(calibration: Calibration) -> Sequence[float | None]:
    """The dev kappa of each chosen step: 0.02 → 0.15 → 0.31 …"""
    return [e.get("dev_kappa") for e in calibration.iterations if e.get("chosen")]
