"""A judge's agreement with humans on a set of golden items, beside the humans' own agreement.

A judge error is kept as its own category, ``(error)``: it disagrees with every human label, so a
judge that fails to answer is scored down rather than silently judged on the easy items only.
The ceiling is the human-human kappa on the same items, computed the same way; with more than two
annotators it is the mean over pairs (never "each against the majority of the others", which
inflates it).
"""

from __future__ import annotations

from itertools import combinations

from evalwheel.core.judge import Judge
from evalwheel.judges.golden import GoldenItem
from evalwheel.judges.judging import JudgeVerdict
from evalwheel.judges.results import Ceiling, Confusion, Disagreement, PairStats, SplitAgreement
from evalwheel.stats.agreement import (
    cohen_kappa_ci,
    confusion_matrix,
    gwet_ac1_ci,
    prevalence,
    raw_agreement,
    tpr_tnr,
)

ERROR = "(error)"


def _pair_stats(
    a: list[str], b: list[str], labels: list[str], *, ordinal: bool, resamples: int, seed: int
) -> PairStats:
    """``a`` may hold ``(error)``: it joins the categories only when it occurs (AC1's chance term
    depends on the number of categories). Weighted kappa needs a place on the scale, which an
    error has not, so it is computed on the answered items and says so with its own n."""
    if not a:
        return PairStats(n=0)
    categories = [*labels, ERROR] if ERROR in a else list(labels)
    stats = PairStats(
        n=len(a),
        raw_agreement=raw_agreement(a, b),
        cohen_kappa=cohen_kappa_ci(a, b, categories=categories, resamples=resamples, seed=seed),
        gwet_ac1=gwet_ac1_ci(a, b, categories=categories, resamples=resamples, seed=seed),
        prevalence_a=prevalence(a, categories),
        prevalence_b=prevalence(b, categories),
    )
    if ordinal:
        answered = [(x, y) for x, y in zip(a, b, strict=True) if x != ERROR]
        if answered:
            stats.weighted_kappa_quadratic = cohen_kappa_ci(
                [x for x, _ in answered],
                [y for _, y in answered],
                categories=list(labels),
                weights="quadratic",
                resamples=resamples,
                seed=seed,
            )
    return stats


def _mean(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def agreement_on(
    judge: Judge,
    items: list[GoldenItem],
    verdicts: dict[str, str | None],
    *,
    resamples: int = 10_000,
    seed: int = 0,
) -> SplitAgreement:
    """Judge vs the reference label and vs each human; human vs human on the same items. Items
    without a reference label count in ``n_items`` but not in the kappas against the reference."""
    categories = list(judge.labels)
    judged = [i for i in items if i.id in verdicts]
    labels = {i.id: verdicts[i.id] or ERROR for i in judged}
    ordinal = judge.ordinal
    ref_items = [i for i in judged if i.reference is not None]
    a = [labels[i.id] for i in ref_items]
    b = [i.reference or "" for i in ref_items]
    vs_ref = _pair_stats(a, b, categories, ordinal=ordinal, resamples=resamples, seed=seed)
    if a:
        shown = [*categories, ERROR] if ERROR in a else categories
        vs_ref.confusion = Confusion(labels=shown, matrix=confusion_matrix(a, b, shown))
        positive = judge.passing
        vs_ref.tpr, vs_ref.tnr = tpr_tnr(
            [x in positive for x in a], [x in positive for x in b], positive=True
        )
    annotators = sorted({h for i in judged for h in i.humans})
    vs_humans = {}
    for human in annotators:
        both = [i for i in judged if human in i.humans]
        vs_humans[human] = _pair_stats(
            [labels[i.id] for i in both],
            [i.humans[human] for i in both],
            categories,
            ordinal=ordinal,
            resamples=resamples,
            seed=seed,
        )
    pairs = {}
    for h1, h2 in combinations(annotators, 2):
        both = [i for i in judged if h1 in i.humans and h2 in i.humans]
        pairs[f"{h1}~{h2}"] = _pair_stats(
            [i.humans[h1] for i in both],
            [i.humans[h2] for i in both],
            categories,
            ordinal=ordinal,
            resamples=resamples,
            seed=seed,
        )
    ceiling = _mean([p.kappa for p in pairs.values()])
    mean_judge = _mean([s.kappa for s in vs_humans.values()])
    return SplitAgreement(
        n_items=len(judged),
        n_errors=sum(1 for i in judged if verdicts[i.id] is None),
        n_without_reference=len(judged) - len(ref_items),
        vs_reference=vs_ref,
        vs_humans=vs_humans,
        human_pairs=pairs,
        ceiling=Ceiling(
            human_kappa=ceiling,
            judge_kappa_vs_humans=mean_judge,
            ratio=(mean_judge / ceiling) if ceiling and mean_judge is not None else None,
        ),
    )


def disagreements(
    items: list[GoldenItem], verdicts: dict[str, JudgeVerdict], limit: int = 20
) -> list[Disagreement]:
    """Items where the judge and the reference label differ, with both rationales."""
    out = []
    for item in items:
        verdict = verdicts.get(item.id)
        if verdict is None or item.reference is None or verdict.label == item.reference:
            continue
        out.append(
            Disagreement(
                item=item.id,
                reference=item.reference,
                judge=verdict.label,
                judge_rationale=verdict.rationale,
                judge_error=verdict.error,
                human_rationales=item.rationales,
                tags=list(item.tags),
            )
        )
        if len(out) == limit:
            break
    return out
