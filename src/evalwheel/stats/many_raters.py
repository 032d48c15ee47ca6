"""Many raters on items × raters matrices: Fleiss' kappa and Gwet's multi-rater AC1.

Items are grouped into distinct per-item category-count profiles, so the bootstrap draws over
profiles rather than items (Krippendorff's alpha, which shares the grouping, is in ``alpha``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from evalwheel.stats.bootstrap import _EPS, Interval, _interval, _point
from evalwheel.stats.encoding import Matrix, encode


def _item_counts(matrix: Matrix, categories: Sequence[Any] | None) -> tuple[np.ndarray, list[Any]]:
    codes, cats = encode(matrix, categories)
    if codes.ndim != 2:
        raise ValueError("expected an items × raters matrix (one row per item)")
    k = len(cats)
    items, _ = np.nonzero(codes >= 0)
    flat = items * k + codes[codes >= 0]
    counts = np.bincount(flat, minlength=codes.shape[0] * k).reshape(codes.shape[0], k)
    return counts, cats


def _profiles(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct per-item count rows and how many items share each."""
    if counts.shape[0] == 0:
        return counts, np.zeros(0, dtype=np.int64)
    unique, multiplicity = np.unique(counts, axis=0, return_counts=True)
    return unique, multiplicity


def _fleiss_setup(
    matrix: Matrix, categories: Sequence[Any] | None
) -> tuple[np.ndarray, np.ndarray, Callable[[np.ndarray], np.ndarray], int]:
    counts, cats = _item_counts(matrix, categories)
    m_per_item = counts.sum(axis=1)
    counts = counts[m_per_item > 0]
    m_per_item = m_per_item[m_per_item > 0]
    if counts.shape[0] == 0:
        raise ValueError("Fleiss' kappa needs at least one rated item")
    ratings = np.unique(m_per_item)
    if ratings.size > 1:
        raise ValueError(
            "Fleiss' kappa needs the same number of ratings on every item; found between "
            f"{ratings.min()} and {ratings.max()} ratings per item. Use Krippendorff's alpha "
            "(or Gwet's AC1) for incomplete designs."
        )
    m = int(ratings[0])
    if m < 2:
        raise ValueError("Fleiss' kappa needs at least two ratings per item")
    k = len(cats)
    groups, multiplicity = _profiles(counts)
    features = np.hstack([groups, (groups**2).sum(axis=1, keepdims=True)]).astype(float)

    def stat(sums: np.ndarray) -> np.ndarray:
        n_items = sums[:, :k].sum(axis=1) / m
        with np.errstate(invalid="ignore", divide="ignore"):
            p = sums[:, :k] / (n_items * m)[:, None]
            po = (sums[:, k] - n_items * m) / (n_items * m * (m - 1))
            pe = (p**2).sum(axis=1)
            out = (po - pe) / (1 - pe)
        out[~(1 - pe > _EPS)] = np.nan
        return out

    return multiplicity, features, stat, int(counts.shape[0])


def fleiss_kappa(matrix: Matrix, *, categories: Sequence[Any] | None = None) -> float | None:
    """Fleiss' kappa on an items × raters matrix (None = missing).

    Items nobody rated are ignored; otherwise every item needs the same number m ≥ 2 of ratings,
    because Fleiss' Po averages per-item agreement over a fixed m(m − 1) pairs. ValueError
    otherwise (use Krippendorff's alpha). None when all ratings share one category.
    """
    multiplicity, features, stat, _ = _fleiss_setup(matrix, categories)
    return _point(multiplicity, features, stat)


def fleiss_kappa_ci(
    matrix: Matrix,
    *,
    categories: Sequence[Any] | None = None,
    resamples: int = 10_000,
    seed: int = 0,
    confidence: float = 0.95,
) -> Interval:
    multiplicity, features, stat, n = _fleiss_setup(matrix, categories)
    return _interval(
        multiplicity, features, stat, n=n, resamples=resamples, seed=seed, confidence=confidence
    )


def _gwet_multi_setup(
    matrix: Matrix, categories: Sequence[Any] | None
) -> tuple[np.ndarray, np.ndarray, Callable[[np.ndarray], np.ndarray], int]:
    counts, cats = _item_counts(matrix, categories)
    counts = counts[counts.sum(axis=1) >= 1]
    k = len(cats)
    groups, multiplicity = _profiles(counts)
    g = groups.astype(float)
    r = g.sum(axis=1)
    two = (r >= 2).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        agree = np.where(r >= 2, (g * (g - 1)).sum(axis=1) / (r * (r - 1)), 0.0)
    features = np.hstack([two[:, None], agree[:, None], np.ones((len(g), 1)), g / r[:, None]])

    def stat(sums: np.ndarray) -> np.ndarray:
        if k < 2:
            return np.full(sums.shape[0], np.nan)
        with np.errstate(invalid="ignore", divide="ignore"):
            pa = sums[:, 1] / sums[:, 0]
            pi = sums[:, 3:] / sums[:, 2:3]
            pe = (pi * (1 - pi)).sum(axis=1) / (k - 1)
            return (pa - pe) / (1 - pe)

    return multiplicity, features, stat, int(counts.shape[0])


def gwet_ac1_multi(matrix: Matrix, *, categories: Sequence[Any] | None = None) -> float | None:
    """Gwet's AC1 for any number of raters with missing ratings (items × raters). Agreement
    comes from items with ≥ 2 ratings, category shares from every rated item, as in Gwet (2014).
    None with no item rated twice or fewer than two categories."""
    multiplicity, features, stat, _ = _gwet_multi_setup(matrix, categories)
    return _point(multiplicity, features, stat)


def gwet_ac1_multi_ci(
    matrix: Matrix,
    *,
    categories: Sequence[Any] | None = None,
    resamples: int = 10_000,
    seed: int = 0,
    confidence: float = 0.95,
) -> Interval:
    multiplicity, features, stat, n = _gwet_multi_setup(matrix, categories)
    return _interval(
        multiplicity, features, stat, n=n, resamples=resamples, seed=seed, confidence=confidence
    )
