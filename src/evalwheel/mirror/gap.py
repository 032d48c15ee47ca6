"""The benchmark-to-production gap as one number.

For one system: its pass rate on the benchmark (the application's own checks against references)
beside its judge-scored pass rate on mirrored traffic (no references there), corrected for the
judge's measured error rates when the judge is calibrated. The gap is benchmark − traffic.

Its interval is Newcombe's hybrid score interval for a difference of independent proportions
(Newcombe 1998, method 10), in its general MOVER form (Zou & Donner 2008) so that it also takes
the corrected rate's own interval: with estimates p₁, p₂ and intervals [l₁, u₁], [l₂, u₂],
L = (p₁ − p₂) − √((p₁ − l₁)² + (u₂ − p₂)²) and U = (p₁ − p₂) + √((u₁ − p₁)² + (p₂ − l₂)²).
"""

from __future__ import annotations

import math

from pydantic import BaseModel, Field

from evalwheel.errors import InputError
from evalwheel.runner.results import RunSummary
from evalwheel.stats.estimate import Estimate


class Gap(BaseModel):
    """Benchmark and traffic pass rates of one system, and their difference."""

    system: str
    benchmark_run: str
    traffic_run: str
    benchmark_scorer: str
    traffic_scorer: str
    benchmark: Estimate
    traffic: Estimate
    traffic_corrected: bool = Field(
        description="the traffic rate is corrected for the judge's TPR/TNR (calibrated judge)"
    )
    gap: Estimate = Field(description="benchmark − traffic, MOVER/Newcombe interval")
    notes: list[str] = Field(default_factory=list)


def difference(a: Estimate, b: Estimate) -> Estimate:
    """a − b with the MOVER interval (None parts when either side has no interval)."""
    if a.estimate is None or b.estimate is None:
        return Estimate(estimate=None, n=min(a.n, b.n), ci_low=None, ci_high=None, method="mover")
    point = a.estimate - b.estimate
    if None in (a.ci_low, a.ci_high, b.ci_low, b.ci_high):
        return Estimate(estimate=point, n=min(a.n, b.n), ci_low=None, ci_high=None, method="mover")
    assert a.ci_low is not None and a.ci_high is not None
    assert b.ci_low is not None and b.ci_high is not None
    low = point - math.hypot(a.estimate - a.ci_low, b.ci_high - b.estimate)
    high = point + math.hypot(a.ci_high - a.estimate, b.estimate - b.ci_low)
    return Estimate(
        estimate=point,
        n=min(a.n, b.n),
        ci_low=max(-1.0, low),
        ci_high=min(1.0, high),
        method="mover-newcombe",
    )


def gap_between(benchmark: RunSummary, traffic: RunSummary, judge: str) -> Gap:
    """The gap from a finished benchmark run and a judged traffic run of the same system."""
    if benchmark.system.version != traffic.system.version:
        raise InputError(
            f"the runs are of different systems ({benchmark.system.name}@"
            f"{benchmark.system.version[:12]} vs {traffic.system.name}@"
            f"{traffic.system.version[:12]}): a gap compares one system on two kinds of data",
            field="runs",
        )
    chosen = benchmark.headline
    if chosen is None:
        raise InputError(f"run {benchmark.run_id} has no scorer", field="benchmark")
    bench_rate = benchmark.scorer(chosen).pass_rate
    key = judge if judge.startswith("judge:") else f"judge:{judge}"
    judged = traffic.scorer(key)
    notes: list[str] = []
    corrected = judged.corrected_pass_rate
    if corrected is not None and corrected.estimate is not None:
        traffic_rate: Estimate = corrected
    else:
        traffic_rate = judged.pass_rate
        notes.append(
            f"judge {judge} has no calibration usable for correction: the traffic rate is its "
            "raw pass rate, biased by its own errors"
        )
    if judged.not_scored:
        notes.append(f"{judged.not_scored} traffic item(s) not scored by the judge")
    return Gap(
        system=f"{benchmark.system.name}@{benchmark.system.version[:12]}",
        benchmark_run=benchmark.run_id,
        traffic_run=traffic.run_id,
        benchmark_scorer=chosen,
        traffic_scorer=key,
        benchmark=bench_rate,
        traffic=traffic_rate,
        traffic_corrected=traffic_rate is corrected,
        gap=difference(bench_rate, traffic_rate),
        notes=notes,
    )
