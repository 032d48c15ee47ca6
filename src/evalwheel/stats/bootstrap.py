"""The bootstrap engine: multinomial resamples over distinct item profiles (see
``evalwheel.stats.agreement`` for why this equals resampling items), percentile intervals.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from pydantic import BaseModel

METHOD = "bootstrap-percentile"
# Elements per chunk of resamples (multinomial draws and feature sums): about 16 MB of float64.
_CHUNK_ELEMENTS = 1 << 21
_EPS = 1e-12


class Interval(BaseModel):
    """A statistic with its bootstrap interval; None where the statistic is undefined."""

    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    method: str


def _check(resamples: int, confidence: float) -> None:
    if resamples < 0:
        raise ValueError(f"resamples must be >= 0, got {resamples}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")


def _bootstrap(
    counts: np.ndarray,
    features: np.ndarray | None,
    statistic: Callable[[np.ndarray], np.ndarray],
    resamples: int,
    seed: int,
) -> np.ndarray:
    """The statistic on ``resamples`` multinomial resamples of the groups (see module docstring).

    ``counts`` holds how many items share each profile; ``features`` (G × D) their features, or
    None when the statistic takes the group counts themselves (cells of a contingency table).
    """
    counts = np.asarray(counts, dtype=np.int64).ravel()
    n = int(counts.sum())
    out = np.full(resamples, np.nan)
    if n == 0 or resamples == 0:
        return out
    present = np.flatnonzero(counts)
    shares = counts[present] / n
    width = counts.size if features is None else features.shape[1]
    chunk = max(1, _CHUNK_ELEMENTS // max(present.size, width, 1))
    feats = None if features is None else np.asarray(features, dtype=float)[present]
    rng = np.random.default_rng(seed)
    for start in range(0, resamples, chunk):
        size = min(chunk, resamples - start)
        draws = rng.multinomial(n, shares, size=size)
        if feats is None:
            sums = np.zeros((size, counts.size))
            sums[:, present] = draws
        else:
            sums = draws @ feats
        out[start : start + size] = statistic(sums)
    return out


def _percentiles(values: np.ndarray, confidence: float) -> tuple[float | None, float | None]:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return None, None
    tail = (1 - confidence) / 2
    low, high = np.quantile(finite, [tail, 1 - tail])
    return float(low), float(high)


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def _interval(
    counts: np.ndarray,
    features: np.ndarray | None,
    statistic: Callable[[np.ndarray], np.ndarray],
    *,
    n: int,
    resamples: int,
    seed: int,
    confidence: float,
) -> Interval:
    _check(resamples, confidence)
    counts = np.asarray(counts, dtype=np.int64).ravel()
    if counts.sum() == 0:
        return Interval(estimate=None, ci_low=None, ci_high=None, n=n, method=METHOD)
    observed = counts[None, :].astype(float) if features is None else counts @ features
    estimate = _finite(float(statistic(np.atleast_2d(observed))[0]))
    if estimate is None:
        return Interval(estimate=None, ci_low=None, ci_high=None, n=n, method=METHOD)
    low, high = _percentiles(_bootstrap(counts, features, statistic, resamples, seed), confidence)
    return Interval(estimate=estimate, ci_low=low, ci_high=high, n=n, method=METHOD)


def _point(
    counts: np.ndarray, features: np.ndarray | None, statistic: Callable[[np.ndarray], np.ndarray]
) -> float | None:
    counts = np.asarray(counts, dtype=np.int64).ravel()
    if counts.sum() == 0:
        return None
    observed = counts[None, :].astype(float) if features is None else counts @ features
    return _finite(float(statistic(np.atleast_2d(observed))[0]))
