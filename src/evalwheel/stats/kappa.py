"""Two raters: raw agreement, Cohen's (weighted) kappa, Gwet's AC1, confusion, prevalence, TPR/TNR.

The vectorised statistics take cell sums for R resamples (R × K²) and return R values, NaN where
undefined; the point estimate runs through the same code with R = 1, so estimate and interval
cannot disagree on a formula.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from evalwheel.stats.bootstrap import _EPS, Interval, _interval, _point
from evalwheel.stats.encoding import (
    Labels,
    Matrix,
    Weights,
    _flat,
    _is_missing,
    _key,
    _pair,
    _table,
    encode,
)


def _disagreement_weights(k: int, weights: Weights) -> np.ndarray:
    i = np.arange(k, dtype=float)
    diff = np.abs(i[:, None] - i[None, :])
    if weights is None:
        return (diff > 0).astype(float)
    scale = max(k - 1, 1)
    if weights == "linear":
        return diff / scale
    if weights == "quadratic":
        return (diff / scale) ** 2
    raise ValueError(f"weights must be None, 'linear' or 'quadratic', got {weights!r}")


def _kappa_stat(k: int, w: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    def stat(sums: np.ndarray) -> np.ndarray:
        tables = sums.reshape(-1, k, k)
        n = tables.sum(axis=(1, 2))
        with np.errstate(invalid="ignore", divide="ignore"):
            rows = tables.sum(axis=2) / n[:, None]
            cols = tables.sum(axis=1) / n[:, None]
            observed = (tables * w).sum(axis=(1, 2)) / n
            expected = ((rows @ w) * cols).sum(axis=1)
            out = 1.0 - observed / expected
        out[~(expected > _EPS)] = np.nan
        return out

    return stat


def _ac1_stat(k: int) -> Callable[[np.ndarray], np.ndarray]:
    def stat(sums: np.ndarray) -> np.ndarray:
        tables = sums.reshape(-1, k, k)
        n = tables.sum(axis=(1, 2))
        if k < 2:
            return np.full(tables.shape[0], np.nan)
        with np.errstate(invalid="ignore", divide="ignore"):
            po = np.trace(tables, axis1=1, axis2=2) / n
            pi = (tables.sum(axis=2) + tables.sum(axis=1)) / (2 * n[:, None])
            pe = (pi * (1 - pi)).sum(axis=1) / (k - 1)
            return (po - pe) / (1 - pe)

    return stat


def _agreement_stat(k: int) -> Callable[[np.ndarray], np.ndarray]:
    def stat(sums: np.ndarray) -> np.ndarray:
        tables = sums.reshape(-1, k, k)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.trace(tables, axis1=1, axis2=2) / tables.sum(axis=(1, 2))

    return stat


def raw_agreement(a: Labels, b: Labels, *, categories: Sequence[Any] | None = None) -> float:
    """Share of items both raters labelled on which they agree; ValueError if there are none,
    since 'no shared items' is a data problem, not 0% agreement."""
    ca, cb, _ = _pair(a, b, categories)
    if ca.size == 0:
        raise ValueError("no item was labelled by both raters")
    return float(np.mean(ca == cb))


def cohen_kappa(
    a: Labels, b: Labels, *, categories: Sequence[Any] | None = None, weights: Weights = None
) -> float | None:
    """Cohen's (weighted) kappa; None when chance agreement is total (Pe = 1, e.g. both raters
    used one category throughout), where the coefficient is 0/0 rather than 0 or 1.

    Weighted variants use category positions, so pass ``categories`` in scale order when labels
    are not numbers.
    """
    ca, cb, cats = _pair(a, b, categories)
    k = len(cats)
    return _point(_table(ca, cb, k), None, _kappa_stat(k, _disagreement_weights(k, weights)))


def gwet_ac1(a: Labels, b: Labels, *, categories: Sequence[Any] | None = None) -> float | None:
    """Gwet's AC1 for two raters; q is len(categories), so declare the whole scale in
    ``categories`` if some category went unused. None with fewer than two categories."""
    ca, cb, cats = _pair(a, b, categories)
    k = len(cats)
    return _point(_table(ca, cb, k), None, _ac1_stat(k))


def confusion_matrix(a: Labels, b: Labels, categories: Sequence[Any]) -> list[list[int]]:
    """Counts with rows for ``a``'s labels and columns for ``b``'s, on items both labelled."""
    ca, cb, cats = _pair(a, b, categories)
    return _table(ca, cb, len(cats)).tolist()


def prevalence(labels: Labels | Matrix, categories: Sequence[Any]) -> dict[str, float]:
    """Share of the given (non-missing) labels in each category, keyed by str(category); all
    zeros when there are no labels, so the keys are always the full scale."""
    codes, cats = encode(labels, categories)
    valid = codes[codes >= 0]
    counts = np.bincount(valid, minlength=len(cats))
    total = counts.sum()
    return {str(c): (float(counts[i] / total) if total else 0.0) for i, c in enumerate(cats)}


def tpr_tnr(judge: Labels, reference: Labels, positive: Any) -> tuple[float | None, float | None]:
    """Judge's true-positive and true-negative rates against the reference, with ``positive``
    against every other label; None where the reference has no positives (or no negatives)."""
    if len(judge) != len(reference):
        raise ValueError(
            f"paired labels need the same length, got {len(judge)} and {len(reference)}"
        )
    tp = fn = tn = fp = 0
    for j, r in zip(_flat(judge), _flat(reference), strict=True):
        if _is_missing(j) or _is_missing(r):
            continue
        jp, rp = _key(j) == _key(positive), _key(r) == _key(positive)
        if rp:
            tp, fn = tp + jp, fn + (not jp)
        else:
            tn, fp = tn + (not jp), fp + jp
    tpr = tp / (tp + fn) if tp + fn else None
    tnr = tn / (tn + fp) if tn + fp else None
    return tpr, tnr


def raw_agreement_ci(
    a: Labels,
    b: Labels,
    *,
    categories: Sequence[Any] | None = None,
    resamples: int = 10_000,
    seed: int = 0,
    confidence: float = 0.95,
) -> Interval:
    ca, cb, cats = _pair(a, b, categories)
    k = len(cats)
    return _interval(
        _table(ca, cb, k),
        None,
        _agreement_stat(k),
        n=int(ca.size),
        resamples=resamples,
        seed=seed,
        confidence=confidence,
    )


def cohen_kappa_ci(
    a: Labels,
    b: Labels,
    *,
    categories: Sequence[Any] | None = None,
    weights: Weights = None,
    resamples: int = 10_000,
    seed: int = 0,
    confidence: float = 0.95,
) -> Interval:
    """Kappa with a bootstrap interval drawn as multinomial counts over the K² cells."""
    ca, cb, cats = _pair(a, b, categories)
    k = len(cats)
    return _interval(
        _table(ca, cb, k),
        None,
        _kappa_stat(k, _disagreement_weights(k, weights)),
        n=int(ca.size),
        resamples=resamples,
        seed=seed,
        confidence=confidence,
    )


def gwet_ac1_ci(
    a: Labels,
    b: Labels,
    *,
    categories: Sequence[Any] | None = None,
    resamples: int = 10_000,
    seed: int = 0,
    confidence: float = 0.95,
) -> Interval:
    ca, cb, cats = _pair(a, b, categories)
    k = len(cats)
    return _interval(
        _table(ca, cb, k),
        None,
        _ac1_stat(k),
        n=int(ca.size),
        resamples=resamples,
        seed=seed,
        confidence=confidence,
    )
