"""Agreement report from long-format labels: one (item_id, rater, label) row per rating.

The report puts every number the judge-calibration guidance asks for side by side, because any
one of them alone misleads: raw agreement (inflated by skewed prevalence), Cohen's kappa (deflated
by it), Gwet's AC1 (stable under it), Krippendorff's alpha (handles missing ratings and ordered
scales), the prevalence of each category, the confusion matrix and the judge's TPR/TNR. Each
coefficient carries a seeded bootstrap interval (see ``evalwheel.stats.agreement``).

Conventions:

- Blank labels (None, "" or whitespace) are missing ratings, not a category.
- Category order: ``categories`` when given; else numeric order if every label reads as a number;
  else sorted text. Sorted text is no scale, so ``ordinal`` and ``interval`` need ``categories``
  unless the labels are numbers (ValueError otherwise).
- Pairs are all unordered pairs of raters, in sorted order. With a ``reference``, pairs involving
  it put the reference as ``b``, so ``a`` is always the rater judged against ``b``.
- ``tpr``/``tnr`` are ``a``'s rates against ``b``'s labels as the truth, with ``positive`` against
  every other label. Without ``positive`` they are given only for two categories, taking the
  second in order as positive (1 for 0/1, "pass" for fail/pass, "yes" for no/yes); pass
  ``positive`` when that guess is wrong. They mean "judge against truth" only when ``b`` is the
  reference.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import combinations
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel

from evalwheel.stats.agreement import (
    Interval,
    cohen_kappa_ci,
    confusion_matrix,
    fleiss_kappa_ci,
    gwet_ac1_ci,
    gwet_ac1_multi_ci,
    infer_categories,
    krippendorff_alpha_ci,
    prevalence,
    raw_agreement_ci,
    tpr_tnr,
)

Level = Literal["nominal", "ordinal", "interval"]


class Confusion(BaseModel):
    labels: list[str]
    matrix: list[list[int]]


class PairAgreement(BaseModel):
    a: str
    b: str
    n: int
    raw_agreement: Interval
    cohen_kappa: Interval
    weighted_kappa_linear: Interval | None
    weighted_kappa_quadratic: Interval | None
    gwet_ac1: Interval
    krippendorff_alpha: Interval
    confusion: Confusion
    prevalence_a: dict[str, float]
    prevalence_b: dict[str, float]
    tpr: float | None
    tnr: float | None
    positive: str | None


class AllRaters(BaseModel):
    n_raters: int
    krippendorff_alpha: Interval
    fleiss_kappa: Interval | None
    fleiss_kappa_note: str | None = None
    gwet_ac1: Interval


class AgreementReport(BaseModel):
    n_items: int
    raters: list[str]
    categories: list[str]
    level: str
    prevalence: dict[str, float]
    pairs: list[PairAgreement]
    all: AllRaters
    reference: str | None


def _blank(label: Any) -> bool:
    return label is None or (isinstance(label, str) and not label.strip())


def _collect(
    rows: Iterable[tuple[str, str, str]],
) -> tuple[list[str], list[str], dict[tuple[str, str], str]]:
    items: dict[str, None] = {}
    raters: set[str] = set()
    labels: dict[tuple[str, str], str] = {}
    for item, rater, label in rows:
        item, rater = str(item), str(rater)
        items.setdefault(item, None)
        raters.add(rater)
        if _blank(label):
            continue
        label = str(label)
        previous = labels.setdefault((item, rater), label)
        if previous != label:
            raise ValueError(
                f"item {item!r} has two different labels from rater {rater!r}: "
                f"{previous!r} and {label!r}"
            )
    return list(items), sorted(raters), labels


def _categories(labels: Iterable[str], categories: Sequence[str] | None, level: Level) -> list[str]:
    if categories is not None:
        cats = [str(c) for c in categories]
        unknown = sorted(set(labels) - set(cats))
        if unknown:
            raise ValueError(f"labels {unknown!r} are not among the categories {cats!r}")
        return cats
    cats = [str(c) for c in infer_categories(list(labels))]
    if level != "nominal" and not _all_numeric(cats):
        raise ValueError(
            f"level {level!r} needs the scale order: pass categories (labels {cats!r} are not "
            "all numbers)"
        )
    return cats


def _all_numeric(values: Sequence[str]) -> bool:
    try:
        [float(v) for v in values]
    except ValueError:
        return False
    return True


def build_agreement_report(
    rows: Iterable[tuple[str, str, str]],
    *,
    level: Level = "nominal",
    reference: str | None = None,
    categories: Sequence[str] | None = None,
    positive: str | None = None,
    resamples: int = 10_000,
    seed: int = 0,
    confidence: float = 0.95,
) -> AgreementReport:
    """Every pairwise and all-rater statistic for (item_id, rater, label) rows.

    A repeated (item, rater) row with the same label is accepted; with a different label it is a
    ValueError naming both, because silently keeping one would pick a winner.
    """
    if level not in ("nominal", "ordinal", "interval"):
        raise ValueError(f"level must be 'nominal', 'ordinal' or 'interval', got {level!r}")
    items, raters, labels = _collect(rows)
    if reference is not None and reference not in raters:
        raise ValueError(f"reference rater {reference!r} is not among the raters {raters!r}")
    cats = _categories(labels.values(), categories, level)
    if positive is not None and positive not in cats:
        raise ValueError(f"positive label {positive!r} is not among the categories {cats!r}")
    positive_label = positive if positive is not None else (cats[1] if len(cats) == 2 else None)

    matrix = np.full((len(items), len(raters)), None, dtype=object)
    item_index = {item: i for i, item in enumerate(items)}
    rater_index = {rater: j for j, rater in enumerate(raters)}
    for (item, rater), label in labels.items():
        matrix[item_index[item], rater_index[rater]] = label

    options: dict[str, Any] = {"resamples": resamples, "seed": seed, "confidence": confidence}
    pairs = []
    for first, second in combinations(raters, 2):
        a, b = (second, first) if first == reference else (first, second)
        pairs.append(
            _pair_report(
                a,
                b,
                matrix[:, rater_index[a]],
                matrix[:, rater_index[b]],
                cats,
                level,
                positive_label,
                options,
            )
        )

    fleiss: Interval | None
    note = None
    try:
        fleiss = fleiss_kappa_ci(matrix, categories=cats, **options)
    except ValueError as err:
        fleiss, note = None, str(err)
    everyone = AllRaters(
        n_raters=len(raters),
        krippendorff_alpha=krippendorff_alpha_ci(matrix, level=level, categories=cats, **options),
        fleiss_kappa=fleiss,
        fleiss_kappa_note=note,
        gwet_ac1=gwet_ac1_multi_ci(matrix, categories=cats, **options),
    )
    return AgreementReport(
        n_items=len(items),
        raters=raters,
        categories=cats,
        level=level,
        prevalence=prevalence(list(labels.values()), cats),
        pairs=pairs,
        all=everyone,
        reference=reference,
    )


def _pair_report(
    a: str,
    b: str,
    col_a: np.ndarray,
    col_b: np.ndarray,
    cats: list[str],
    level: Level,
    positive: str | None,
    options: dict[str, Any],
) -> PairAgreement:
    both = np.array(
        [x is not None and y is not None for x, y in zip(col_a, col_b, strict=True)], dtype=bool
    )
    la, lb = col_a[both], col_b[both]
    ordered = level != "nominal"
    tpr, tnr = tpr_tnr(la, lb, positive) if positive is not None else (None, None)
    return PairAgreement(
        a=a,
        b=b,
        n=int(both.sum()),
        raw_agreement=raw_agreement_ci(la, lb, categories=cats, **options),
        cohen_kappa=cohen_kappa_ci(la, lb, categories=cats, **options),
        weighted_kappa_linear=(
            cohen_kappa_ci(la, lb, categories=cats, weights="linear", **options)
            if ordered
            else None
        ),
        weighted_kappa_quadratic=(
            cohen_kappa_ci(la, lb, categories=cats, weights="quadratic", **options)
            if ordered
            else None
        ),
        gwet_ac1=gwet_ac1_ci(la, lb, categories=cats, **options),
        krippendorff_alpha=krippendorff_alpha_ci(
            np.stack([la, lb], axis=1), level=level, categories=cats, **options
        ),
        confusion=Confusion(labels=cats, matrix=confusion_matrix(la, lb, cats)),
        prevalence_a=prevalence(la, cats),
        prevalence_b=prevalence(lb, cats),
        tpr=tpr,
        tnr=tnr,
        positive=positive,
    )


# --------------------------------------------------------------------------------------------
# Plain text for the CLI


def _fmt(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _row(name: str, interval: Interval | None) -> str:
    if interval is None:
        return f"  {name:<24}{'—':>8}"
    ci = (
        f"[{_fmt(interval.ci_low)}, {_fmt(interval.ci_high)}]"
        if interval.ci_low is not None
        else ""
    )
    return f"  {name:<24}{_fmt(interval.estimate):>8}  {ci}"


def _shares(shares: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.2f}" for k, v in shares.items())


def to_text(report: AgreementReport) -> str:
    """Aligned plain text: one block per pair, then the all-rater coefficients."""
    lines = [
        f"{report.n_items} items, {len(report.raters)} raters ({', '.join(report.raters)}), "
        f"level {report.level}" + (f", reference {report.reference}" if report.reference else ""),
        f"categories: {', '.join(report.categories)}",
        f"prevalence: {_shares(report.prevalence)}",
    ]
    for pair in report.pairs:
        role = " (reference)" if pair.b == report.reference else ""
        lines += ["", f"{pair.a} vs {pair.b}{role}: {pair.n} items rated by both"]
        lines.append(_row("raw agreement", pair.raw_agreement))
        lines.append(_row("Cohen's kappa", pair.cohen_kappa))
        if pair.weighted_kappa_linear is not None:
            lines.append(_row("weighted kappa (linear)", pair.weighted_kappa_linear))
            lines.append(_row("weighted kappa (quad.)", pair.weighted_kappa_quadratic))
        lines.append(_row("Gwet's AC1", pair.gwet_ac1))
        lines.append(_row("Krippendorff's alpha", pair.krippendorff_alpha))
        if pair.positive is not None:
            lines.append(
                f"  TPR {_fmt(pair.tpr)}  TNR {_fmt(pair.tnr)}  "
                f"({pair.a} against {pair.b}; positive = {pair.positive})"
            )
        lines.append(f"  prevalence {pair.a}: {_shares(pair.prevalence_a)}")
        lines.append(f"  prevalence {pair.b}: {_shares(pair.prevalence_b)}")
        labels = pair.confusion.labels
        width = max([len(x) for x in labels] + [5]) + 2
        lines.append(f"  confusion (rows {pair.a}, columns {pair.b}):")
        lines.append("    " + " " * width + "".join(f"{x:>{width}}" for x in labels))
        for label, row in zip(labels, pair.confusion.matrix, strict=True):
            lines.append("    " + f"{label:<{width}}" + "".join(f"{v:>{width}}" for v in row))
    everyone = report.all
    lines += ["", f"all {everyone.n_raters} raters:"]
    lines.append(_row("Krippendorff's alpha", everyone.krippendorff_alpha))
    lines.append(_row("Fleiss' kappa", everyone.fleiss_kappa))
    if everyone.fleiss_kappa_note:
        lines.append(f"    ({everyone.fleiss_kappa_note})")
    lines.append(_row("Gwet's AC1", everyone.gwet_ac1))
    return "\n".join(lines)
