"""Krippendorff's alpha (nominal, ordinal, interval; missing ratings allowed), with its interval."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from evalwheel.stats.bootstrap import _EPS, Interval, _interval, _point
from evalwheel.stats.encoding import Level, Matrix, category_values
from evalwheel.stats.many_raters import _item_counts, _profiles


def _alpha_setup(
    matrix: Matrix, level: Level, categories: Sequence[Any] | None
) -> tuple[np.ndarray, np.ndarray, Callable[[np.ndarray], np.ndarray], int]:
    if level not in ("nominal", "ordinal", "interval"):
        raise ValueError(f"level must be 'nominal', 'ordinal' or 'interval', got {level!r}")
    counts, cats = _item_counts(matrix, categories)
    pairable = counts[counts.sum(axis=1) >= 2]
    k = len(cats)
    groups, multiplicity = _profiles(pairable)
    m = groups.sum(axis=1, keepdims=True).astype(float)
    g = groups.astype(float)
    coincidences = (g[:, :, None] * g[:, None, :] - g[:, :, None] * np.eye(k)) / (m[:, :, None] - 1)
    features = coincidences.reshape(len(groups), k * k)

    fixed: np.ndarray | None = None
    if level == "nominal":
        fixed = 1.0 - np.eye(k)
    elif level == "interval":
        values = category_values(cats)
        fixed = (values[:, None] - values[None, :]) ** 2

    def stat(sums: np.ndarray) -> np.ndarray:
        o = sums.reshape(-1, k, k)
        n_c = o.sum(axis=2)
        n = n_c.sum(axis=1)
        if fixed is None:  # ordinal: distances depend on the marginals of this resample
            cum = np.cumsum(n_c, axis=1)
            d = (cum[:, None, :] - cum[:, :, None] + (n_c[:, :, None] - n_c[:, None, :]) / 2) ** 2
        else:
            d = np.broadcast_to(fixed, o.shape)
        observed = (o * d).sum(axis=(1, 2))
        expected = np.einsum("ri,rij,rj->r", n_c, d, n_c)
        scale = np.maximum(n**2 * d.max(axis=(1, 2)), 1.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = 1.0 - (n - 1) * observed / expected
        out[~(expected > _EPS * scale)] = np.nan
        return out

    return multiplicity, features, stat, int(pairable.shape[0])


def krippendorff_alpha(
    matrix: Matrix, *, level: Level = "nominal", categories: Sequence[Any] | None = None
) -> float | None:
    """Krippendorff's alpha on an items × raters matrix with None for missing ratings.

    Only items with at least two ratings are pairable and count. ``ordinal`` uses the order of
    ``categories`` (pass them for word scales); ``interval`` uses the categories' numeric values,
    or their positions when they are not numbers. None when fewer than two distinct values were
    used (no disagreement is possible, so alpha is 0/0).
    """
    multiplicity, features, stat, _ = _alpha_setup(matrix, level, categories)
    return _point(multiplicity, features, stat)


def krippendorff_alpha_ci(
    matrix: Matrix,
    *,
    level: Level = "nominal",
    categories: Sequence[Any] | None = None,
    resamples: int = 10_000,
    seed: int = 0,
    confidence: float = 0.95,
) -> Interval:
    """Alpha with items resampled (pairable items only). Krippendorff's own bootstrap resamples
    pairs of values instead; resampling items keeps each item's ratings together, as the other
    intervals here do."""
    multiplicity, features, stat, n = _alpha_setup(matrix, level, categories)
    return _interval(
        multiplicity, features, stat, n=n, resamples=resamples, seed=seed, confidence=confidence
    )
