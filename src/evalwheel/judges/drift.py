"""Judge drift: re-score the frozen golden items of a calibration with the same pinned judge, calling
the model again (the call cache is bypassed, since a cached answer cannot drift), and test the
change against the calibration's recorded verdicts.

Two tests, as the literature recommends over rolling z-scores: McNemar on the items whose
correctness (agreement with the reference label) flipped, and a paired bootstrap of the kappa change.
Drift is declared when McNemar is significant or the kappa interval lies wholly below
``-tolerance``, or when calibrated items are gone from the golden set.

Which items: exactly those the calibration's test kappa measured, that is its test items that had
a reference label, against the reference labels it recorded. An item without a reference is skipped
in both, the same way; a reference relabelled since is reported, not used, so a changed human
label is never mistaken for a changed judge. (Calibrations recorded before the references were
stored fall back to today's labels, with the same skipping rule.)
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from evalwheel.core.judge import Calibration
from evalwheel.judges.golden import GoldenItem, GoldenSet
from evalwheel.judges.metrics import ERROR
from evalwheel.stats.agreement import paired_kappa_difference
from evalwheel.stats.paired import mcnemar


class Flip(BaseModel):
    item: str
    before: str
    after: str
    reference: str


class DriftScope(BaseModel):
    """The items a drift check re-scores, chosen the way calibration measured its test split."""

    items: list[GoldenItem]
    references: dict[str, str] = Field(description="item → the reference label calibration used")
    missing: list[str] = Field(default_factory=list, description="calibrated, gone from the set")
    skipped_no_reference: int = 0
    references_changed: list[str] = Field(default_factory=list)


class DriftResult(BaseModel):
    judge_version: str
    calibration: str
    golden: str
    n: int
    errors: int
    skipped_no_reference: int = 0
    references_changed: int = 0
    flipped: int
    flips: list[Flip]
    kappa_before: float | None
    kappa_after: float | None
    kappa_change: float | None
    ci_low: float | None
    ci_high: float | None
    mcnemar_p: float | None
    drifted: bool
    reasons: list[str]


def drift_scope(calibration: Calibration, golden: GoldenSet) -> DriftScope:
    """The calibration's measured test items, as the golden set renders them now."""
    current = {i.id: i for i in golden.items}
    test = calibration.metrics.get("test")
    recorded = test.get("references") if isinstance(test, dict) else None
    if isinstance(recorded, dict) and recorded:
        references = {str(k): str(v) for k, v in recorded.items()}
        skipped = sum(1 for i in calibration.verdicts if i not in references)
    else:  # an older record: the references as labelled today, skipped the same way
        references = {
            i: ref
            for i in calibration.verdicts
            if i in current and (ref := current[i].reference) is not None
        }
        skipped = sum(1 for i in calibration.verdicts if i in current and i not in references)
        references.update({i: "" for i in calibration.verdicts if i not in current})
    missing = [i for i in references if i not in current]
    return DriftScope(
        items=[current[i] for i in references if i in current],
        references={i: r for i, r in references.items() if i in current},
        missing=missing,
        skipped_no_reference=skipped,
        references_changed=[
            i for i, r in references.items() if i in current and current[i].reference != r
        ],
    )


def drift_report(
    calibration: Calibration,
    scope: DriftScope,
    fresh: dict[str, str | None],
    *,
    golden: str,
    categories: list[str],
    alpha: float = 0.05,
    tolerance: float = 0.0,
    resamples: int = 10_000,
    seed: int = 0,
) -> DriftResult:
    known = [i for i in scope.references if i in calibration.verdicts and i in fresh]
    # A fresh call that failed says nothing about drift (an endpoint being down is not a changed
    # judge): such items are left out and counted; the caller treats any as an incomplete check.
    errors = [i for i in known if fresh[i] is None]
    ids = [i for i in known if fresh[i] is not None]
    before = [calibration.verdicts[i] or ERROR for i in ids]
    after = [fresh[i] or ERROR for i in ids]
    ref = [scope.references[i] for i in ids]
    cats = [*categories, ERROR]
    paired = paired_kappa_difference(
        before, after, ref, categories=cats, resamples=resamples, seed=seed
    )
    test = mcnemar(
        [b == r for b, r in zip(before, ref, strict=True)],
        [a == r for a, r in zip(after, ref, strict=True)],
    )
    flips = [
        Flip(item=i, before=b, after=a, reference=r)
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
    if scope.missing:
        reasons.append(f"{len(scope.missing)} calibrated items are no longer in {golden}")
    return DriftResult(
        judge_version=calibration.judge_version,
        calibration=calibration.id,
        golden=golden,
        n=len(ids),
        errors=len(errors),
        skipped_no_reference=scope.skipped_no_reference,
        references_changed=len(scope.references_changed),
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
