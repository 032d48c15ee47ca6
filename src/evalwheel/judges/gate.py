"""The promotion gate, and the same criterion read on dev as the calibration loop's stopping rule.

Why one module for both: the loop used to stop when the dev *point estimate* of kappa reached the
target while the gate asked for the *lower bound* of test kappa, n ≥ 50 test items and a share of
the human ceiling. With the defaults it stopped "at target", failed the gate, and stopped again on
a re-run. Now the loop stops when dev meets the gate's own conditions (lower bound, ceiling share),
and the gate is applied once, on test, which no choice has seen. Dev still decides which candidate
wins, so dev figures are optimistic (the winner's curse): a judge can meet the criterion on dev and
miss it on test, and the result then says exactly that. Conditions no judge can meet (a test split
smaller than ``min_test_items``, a ceiling nobody can measure) are known before the first call and
reported as blockers, so nobody pays for a loop whose gate cannot pass without being told.
"""

from __future__ import annotations

from evalwheel.judges.golden import GoldenItem
from evalwheel.judges.results import PromotionGate, SplitAgreement


def fmt(value: float | None) -> str:
    """Three decimals, without a "-0.000" for values that round to zero."""
    return "n/a" if value is None else f"{round(value, 3) + 0.0:.3f}"


def _kappa_condition(split: SplitAgreement, gate: PromotionGate, where: str) -> str | None:
    """None when the kappa floor holds on ``split``, else why not."""
    kappa = split.vs_reference.cohen_kappa
    value = None if kappa is None else (kappa.ci_low if gate.use_ci_low else kappa.estimate)
    if value is not None and value >= gate.target_kappa:
        return None
    which = f"lower bound of {where} kappa" if gate.use_ci_low else f"{where} kappa"
    return f"{which} vs the reference {fmt(value)} < {gate.target_kappa}"


def _ceiling_condition(split: SplitAgreement, gate: PromotionGate) -> str | None:
    """None when the judge reaches its share of the human ceiling (or the check is off)."""
    if gate.ceiling_share <= 0:
        return None
    human, judge = split.ceiling.human_kappa, split.ceiling.judge_kappa_vs_humans
    if human is None:
        return (
            "human ceiling unmeasured (needs two annotators on the same items; "
            "--ceiling-share 0 skips this check)"
        )
    if judge is None or judge < gate.ceiling_share * human:
        return (
            f"judge-vs-human kappa {fmt(judge)} < {gate.ceiling_share:g} × human-human "
            f"kappa {fmt(human)} = {fmt(gate.ceiling_share * human)}"
        )
    return None


def promotion(test: SplitAgreement, gate: PromotionGate) -> tuple[bool, list[str]]:
    """The gate on the test split: (passed, the reasons it did not)."""
    reasons = []
    measured = test.n_items - test.n_without_reference
    if measured < gate.min_test_items:
        which = " with a reference label" if test.n_without_reference else ""
        reasons.append(
            f"only {measured} test items{which} (the gate needs {gate.min_test_items}; "
            "~250 give kappa ± 0.10)"
        )
    for reason in (_kappa_condition(test, gate, "test"), _ceiling_condition(test, gate)):
        if reason:
            reasons.append(reason)
    return not reasons, reasons


def dev_shortfall(dev: SplitAgreement, gate: PromotionGate) -> list[str]:
    """What keeps dev from the gate's criterion (empty: the loop may stop). The test size is not
    checked here (dev has its own size) and an unmeasured ceiling on dev is left to the blockers:
    neither can be fixed by another round of optimisation."""
    reasons = [_kappa_condition(dev, gate, "dev")]
    if dev.ceiling.human_kappa is not None:
        reasons.append(_ceiling_condition(dev, gate))
    return [r for r in reasons if r]


def blockers(test: list[GoldenItem], gate: PromotionGate) -> list[str]:
    """Conditions of the gate that no judge can meet on this test split, known before any call."""
    found = []
    measured = [i for i in test if i.reference is not None]
    if len(measured) < gate.min_test_items:
        which = "" if len(measured) == len(test) else " with a reference label"
        found.append(
            f"the test split has {len(measured)} items{which}; the gate needs "
            f"{gate.min_test_items} (label more items, or give test a larger share with --split)"
        )
    if gate.ceiling_share > 0 and not any(len(i.humans) >= 2 for i in test):
        found.append(
            "no test item has two annotators, so the human ceiling cannot be measured "
            "(--ceiling-share 0 skips that check)"
        )
    return found


def at_ceiling(split: SplitAgreement) -> bool:
    """The judge agrees with the humans at least as well as they agree with each other."""
    human, judge = split.ceiling.human_kappa, split.ceiling.judge_kappa_vs_humans
    return human is not None and judge is not None and judge >= human
