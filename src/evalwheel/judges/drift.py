"""Judge drift: re-score the frozen golden items of a calibration with the same pinned judge, calling
the model again (the call cache is bypassed, since a cached answer cannot drift), and test the
change against the calibration's recorded verdicts.

Two tests, as the literature recommends over rolling z-scores: McNemar on the items whose
correctness (agreement with the reference label) flipped, and a paired bootstrap of the kappa change.
Drift is declared when McNemar is significant or the kappa interval lies wholly below
``-tolerance``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from evalwheel.core.judge import Calibration
from evalwheel.judges.golden import GoldenSet
from evalwheel.judges.metrics import ERROR
from evalwheel.stats.agreement import paired_kappa_difference
from evalwheel.stats.paired import mcnemar


class DriftReport(BaseModel):
    judge_version: str
    calibration: str
    golden: str
    n: int
    errors: int
    flipped: int
    flips: list[dict[str, Any]]
    kappa_before: float | None
    kappa_after: float | None
    kappa_change: float | None
    ci_low: float | None
    ci_high: float | None
    mcnemar_p: float | None
    drifted: bool
    reasons: list[str]


def drift_report(
    calibration: Calibration,
    golden: GoldenSet,
    fresh: dict[str, str | None],
    *,
    categories: list[str],
    alpha: float = 0.05,
    tolerance: float = 0.0,
    resamples: int = 10_000,
    seed: int = 0,
) -> DriftReport:
    references = {i.id: i.reference for i in golden.items if i.reference is not None}
    known = [i for i in calibration.verdicts if i in references and i in fresh]
    # A fresh call that failed says nothing about drift (an endpoint being down is not a changed
    # judge): such items are left out and counted; the command treats any as an incomplete check.
    errors = [i for i in known if fresh[i] is None]
    ids = [i for i in known if fresh[i] is not None]
    before = [calibration.verdicts[i] or ERROR for i in ids]
    after = [fresh[i] or ERROR for i in ids]
    ref = [references[i] or "" for i in ids]
    cats = [*categories, ERROR]
    paired = paired_kappa_difference(
        before, after, ref, categories=cats, resamples=resamples, seed=seed
    )
    test = mcnemar(
        [b == r for b, r in zip(before, ref, strict=True)],
        [a == r for a, r in zip(after, ref, strict=True)],
    )
    flips = [
        {"item": i, "before": b, "after": a, "reference": r}
        for i, b, a, r in zip(ids, before, after, ref, strict=True)
        if a != b
    ]
    reasons = []
    if test.p_value is not None and test.p_value < alpha:
        reasons.append(
            f"McNemar p={test.p_value:.4f} < {alpha}: {test.only_a} items became wrong, {test.only_b} right"
        )
    if paired.ci_high is not None and paired.ci_high < -tolerance:
        reasons.append(
            f"kappa changed by {paired.difference:+.3f} [{paired.ci_low:+.3f}, {paired.ci_high:+.3f}]"
        )
    missing = len(calibration.verdicts) - len(known)
    if missing:
        reasons.append(f"{missing} calibrated items are no longer in {golden.ref} with a label")
    return DriftReport(
        judge_version=calibration.judge_version,
        calibration=calibration.id,
        golden=golden.ref,
        n=len(ids),
        errors=len(errors),
        flipped=len(flips),
        flips=flips[:50],
        kappa_before=paired.kappa_a,
        kappa_after=paired.kappa_b,
        kappa_change=paired.difference,
        ci_low=paired.ci_low,
        ci_high=paired.ci_high,
        mcnemar_p=test.p_value,
        drifted=bool(reasons),
        reasons=reasons,
    )
