"""What a mirror found, as numbers with their n and intervals.

Every analysed pair gets one outcome for the candidate:
- ``win`` / ``loss``: the pairwise judge preferred one side in both orders; or exactly one side
  failed (an error is a failed answer, never dropped: the side that failed loses);
- ``tie``: identical or equivalent answers, both sides failed, or both orders of the judge said
  tie or disagreed with each other (order-inconsistent verdicts are ties, as Scientist-style
  comparisons must not invent a winner);
- ``undecided``: different, but not judged (no judge, or the judge call failed).

The net preference is the mean of +1 (win), 0 (tie), −1 (loss) over decided pairs, with a
percentile bootstrap interval; the sign test is the exact binomial test of wins against losses
(ties dropped; Dixon & Mood 1946). The difference rate is set beside the noise floor (the current
system disagreeing with itself on the same items); McNemar's exact test on the paired indicators
(different from the candidate, different from itself) says whether the candidate differs beyond
the noise.
"""

from __future__ import annotations

from collections import Counter
from typing import Literal

from pydantic import BaseModel, Field
from scipy.stats import binomtest

from evalwheel.core.mirror import MirrorPair
from evalwheel.stats.estimate import Estimate
from evalwheel.stats.intervals import bootstrap_mean, wilson
from evalwheel.stats.paired import McNemar, mcnemar

Outcome = Literal["win", "loss", "tie", "undecided"]


def outcome(pair: MirrorPair) -> Outcome | None:
    """The candidate's outcome on one analysed pair (None: not analysed yet)."""
    analysis = pair.analysis
    if analysis is None:
        return None
    if analysis.relation == "failed":
        current_failed = pair.current.error is not None
        candidate_failed = pair.candidate is None or pair.candidate.error is not None
        if current_failed == candidate_failed:
            return "tie"
        return "loss" if candidate_failed else "win"
    if analysis.relation in ("identical", "equivalent"):
        return "tie"
    verdict = analysis.verdict
    if verdict is None or verdict.winner is None:
        return "undecided"
    return {"candidate": "win", "current": "loss"}.get(verdict.winner, "tie")  # type: ignore[return-value]


class Preference(BaseModel):
    """Wins, losses and ties of the candidate over decided pairs."""

    decided: int
    wins: int
    losses: int
    ties: int
    undecided: int
    win_rate: Estimate
    loss_rate: Estimate
    net: Estimate = Field(description="mean of +1 win / 0 tie / −1 loss, bootstrap interval")
    sign_test_p: float | None = Field(description="exact binomial test of wins vs losses")


class JudgeConsistency(BaseModel):
    """How often the pairwise judge gave the same answer with the two sides swapped."""

    judged: int
    errors: int
    consistent: Estimate
    cost_usd: float


class SliceResult(BaseModel):
    n: int
    difference_rate: Estimate
    preference: Preference


class MirrorSummary(BaseModel):
    """The mirror's headline numbers."""

    mirror: str
    source: str
    current: str
    candidate: str
    pairs: int
    analysed: int
    relations: dict[str, int]
    difference_rate: Estimate = Field(description="different or failed, current vs candidate")
    noise_floor: Estimate | None = Field(
        default=None, description="different or failed, current vs itself (Diffy's floor)"
    )
    beyond_noise: McNemar | None = None
    preference: Preference
    judge: JudgeConsistency | None = None
    slices: dict[str, SliceResult] = Field(default_factory=dict)
    cost_usd: dict[str, float] = Field(
        default_factory=dict,
        description="current, current_again (the noise-floor sample), candidate, judge (USD; 0 "
        "when unpriced)",
    )


def preference(pairs: list[MirrorPair]) -> Preference:
    """Win/loss/tie counts, rates with Wilson intervals, net preference and the sign test."""
    counts = Counter(outcome(p) for p in pairs if p.analysis is not None)
    wins, losses, ties = counts["win"], counts["loss"], counts["tie"]
    decided = wins + losses + ties
    scores = [1.0] * wins + [-1.0] * losses + [0.0] * ties
    return Preference(
        decided=decided,
        wins=wins,
        losses=losses,
        ties=ties,
        undecided=counts["undecided"],
        win_rate=wilson(wins, decided),
        loss_rate=wilson(losses, decided),
        net=bootstrap_mean(scores),
        sign_test_p=float(binomtest(wins, wins + losses, 0.5).pvalue) if wins + losses else None,
    )


def _differs(relation: str | None) -> bool:
    return relation in ("different", "failed")


def summarize_pairs(
    mirror: str, source: str, current: str, candidate: str, pairs: list[MirrorPair]
) -> MirrorSummary:
    """The summary of a mirror's pairs (unanalysed pairs are counted, not scored)."""
    analysed = [p for p in pairs if p.analysis is not None]
    relations = Counter(p.analysis.relation for p in analysed if p.analysis)
    differs = [_differs(p.analysis.relation) for p in analysed if p.analysis]
    with_noise = [p for p in analysed if p.analysis and p.analysis.noise_relation is not None]
    noise_floor = beyond = None
    if with_noise:
        noisy = [_differs(p.analysis.noise_relation) for p in with_noise if p.analysis]
        noise_floor = wilson(sum(noisy), len(noisy))
        beyond = mcnemar([_differs(p.analysis.relation) for p in with_noise if p.analysis], noisy)
    verdicts = [p.analysis.verdict for p in analysed if p.analysis and p.analysis.verdict]
    judge = None
    if verdicts:
        ok = [v for v in verdicts if v.error is None]
        judge = JudgeConsistency(
            judged=len(verdicts),
            errors=len(verdicts) - len(ok),
            consistent=wilson(sum(1 for v in ok if v.consistent), len(ok)),
            cost_usd=sum(v.cost_usd for v in verdicts),
        )
    slices: dict[str, SliceResult] = {}
    for tag in sorted({t for p in analysed for t in p.tags}):
        members = [p for p in analysed if tag in p.tags]
        flags = [_differs(p.analysis.relation) for p in members if p.analysis]
        slices[tag] = SliceResult(
            n=len(members),
            difference_rate=wilson(sum(flags), len(flags)),
            preference=preference(members),
        )
    cost = {
        "current": sum(p.current.cost_usd for p in pairs),
        "current_again": sum(p.current_again.cost_usd for p in pairs if p.current_again),
        "candidate": sum(p.candidate.cost_usd for p in pairs if p.candidate),
        "judge": judge.cost_usd if judge else 0.0,
    }
    return MirrorSummary(
        mirror=mirror,
        source=source,
        current=current,
        candidate=candidate,
        pairs=len(pairs),
        analysed=len(analysed),
        relations=dict(sorted(relations.items())),
        difference_rate=wilson(sum(differs), len(differs)),
        noise_floor=noise_floor,
        beyond_noise=beyond,
        preference=preference(analysed),
        judge=judge,
        slices=slices,
        cost_usd=cost,
    )
