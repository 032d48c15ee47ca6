"""A judge's agreement with humans on a set of golden items, beside the humans' own agreement.

A judge error is kept as its own category, ``(error)``: it disagrees with every human label, so a
judge that fails to answer is scored down rather than silently judged on the easy items only.
The ceiling is the human-human kappa on the same items, computed the same way; with more than two
annotators it is the mean over pairs (never "each against the majority of the others", which
inflates it).
"""

from __future__ import annotations

from itertools import combinations
from typing import Any

from evalwheel.core.judge import Judge
from evalwheel.judges.golden import GoldenItem
from evalwheel.judges.judging import JudgeVerdict
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
) -> dict[str, Any]:
    """``a`` may hold ``(error)``: it joins the categories only when it occurs (AC1's chance term
    depends on the number of categories). Weighted kappa needs a place on the scale, which an
    error has not, so it is computed on the answered items and says so with its own n."""
    if not a:
        return {"n": 0, "cohen_kappa": None, "raw_agreement": None}
    categories = [*labels, ERROR] if ERROR in a else list(labels)
    out: dict[str, Any] = {
        "n": len(a),
        "raw_agreement": raw_agreement(a, b),
        "cohen_kappa": cohen_kappa_ci(
            a, b, categories=categories, resamples=resamples, seed=seed
        ).model_dump(),
        "gwet_ac1": gwet_ac1_ci(
            a, b, categories=categories, resamples=resamples, seed=seed
        ).model_dump(),
        "prevalence_a": prevalence(a, categories),
        "prevalence_b": prevalence(b, categories),
    }
    if ordinal:
        answered = [(x, y) for x, y in zip(a, b, strict=True) if x != ERROR]
        out["weighted_kappa_quadratic"] = (
            cohen_kappa_ci(
                [x for x, _ in answered],
                [y for _, y in answered],
                categories=list(labels),
                weights="quadratic",
                resamples=resamples,
                seed=seed,
            ).model_dump()
            if answered
            else None
        )
    return out


def agreement_on(
    judge: Judge,
    items: list[GoldenItem],
    verdicts: dict[str, str | None],
    *,
    resamples: int = 10_000,
    seed: int = 0,
) -> dict[str, Any]:
    """Judge vs the adjudicated label and vs each human; human vs human on the same items."""
    categories = list(judge.labels)
    judged = [i for i in items if i.id in verdicts]
    labels = {i.id: verdicts[i.id] or ERROR for i in judged}
    ordinal = judge.ordinal
    result: dict[str, Any] = {
        "n_items": len(judged),
        "n_errors": sum(1 for i in judged if verdicts[i.id] is None),
    }
    ref_items = [i for i in judged if i.reference is not None]
    a = [labels[i.id] for i in ref_items]
    b = [i.reference or "" for i in ref_items]
    vs_ref = _pair_stats(a, b, categories, ordinal=ordinal, resamples=resamples, seed=seed)
    if a:
        shown = [*categories, ERROR] if ERROR in a else categories
        vs_ref["confusion"] = {
            "rows": "judge",
            "cols": "reference",
            "labels": shown,
            "matrix": confusion_matrix(a, b, shown),
        }
        positive = judge.passing
        tpr, tnr = tpr_tnr([x in positive for x in a], [x in positive for x in b], positive=True)
        vs_ref["tpr"], vs_ref["tnr"] = tpr, tnr
    result["vs_reference"] = vs_ref
    annotators = sorted({h for i in judged for h in i.humans})
    result["vs_humans"] = {}
    for human in annotators:
        both = [i for i in judged if human in i.humans]
        result["vs_humans"][human] = _pair_stats(
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
    result["human_pairs"] = pairs
    ceilings = [p["cohen_kappa"]["estimate"] for p in pairs.values() if p.get("cohen_kappa")]
    ceilings = [c for c in ceilings if c is not None]
    ceiling = sum(ceilings) / len(ceilings) if ceilings else None
    judge_vs_humans = [
        s["cohen_kappa"]["estimate"]
        for s in result["vs_humans"].values()
        if s.get("cohen_kappa") and s["cohen_kappa"]["estimate"] is not None
    ]
    mean_judge = sum(judge_vs_humans) / len(judge_vs_humans) if judge_vs_humans else None
    result["ceiling"] = {
        "human_kappa": ceiling,
        "judge_kappa_vs_humans": mean_judge,
        "ratio": (mean_judge / ceiling) if ceiling and mean_judge is not None else None,
    }
    return result


def headline_kappa(metrics: dict[str, Any]) -> float | None:
    kappa = metrics.get("vs_reference", {}).get("cohen_kappa")
    return None if not kappa else kappa.get("estimate")


def disagreements(
    items: list[GoldenItem], verdicts: dict[str, JudgeVerdict], limit: int = 20
) -> list[dict[str, Any]]:
    """Items where the judge and the reference label differ, with both rationales."""
    out = []
    for item in items:
        verdict = verdicts.get(item.id)
        if verdict is None or item.reference is None or verdict.label == item.reference:
            continue
        out.append(
            {
                "item": item.id,
                "reference": item.reference,
                "judge": verdict.label,
                "judge_rationale": verdict.rationale,
                "judge_error": verdict.error,
                "human_rationales": item.rationales,
                "tags": list(item.tags),
            }
        )
        if len(out) == limit:
            break
    return out
