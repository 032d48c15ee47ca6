"""Point estimates with their n and a 95% interval, as every headline number in evalwheel carries.

- Proportions: Wilson score interval (Wilson 1927; Brown, Cai & DasGupta 2001 recommend it over the
  Wald interval for small n and extreme p), via ``scipy.stats.binomtest``.
- Means of other values: percentile bootstrap over items (Efron & Tibshirani 1993), vectorised and
  seeded so the same data give the same interval.
- Pass rates of repeated runs: an item's repetitions are not independent trials (a deterministic
  system repeats itself exactly), so the interval is a cluster bootstrap over items (Davison &
  Hinkley 1997, §3.8): resample items, recompute pooled passes / tries; n is the number of items.
- pass^k (tau-bench): the mean over items of C(c, k) / C(n, k), the probability that k repetitions
  drawn without replacement from an item's n tries all pass; undefined for items tried fewer than k
  times.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.stats import binomtest

from evalwheel.stats.estimate import Estimate

__all__ = ["Estimate", "bootstrap_mean", "cluster_rate", "wilson"]


def wilson(successes: int, n: int, confidence: float = 0.95) -> Estimate:
    if n == 0:
        return Estimate(estimate=None, n=0, ci_low=None, ci_high=None, method="wilson")
    ci = binomtest(successes, n).proportion_ci(confidence_level=confidence, method="wilson")
    return Estimate(
        estimate=successes / n, n=n, ci_low=float(ci.low), ci_high=float(ci.high), method="wilson"
    )


def bootstrap_mean(
    values: Sequence[float], confidence: float = 0.95, resamples: int = 10_000, seed: int = 0
) -> Estimate:
    data = np.asarray(values, dtype=float)
    n = int(data.size)
    if n == 0:
        return Estimate(estimate=None, n=0, ci_low=None, ci_high=None, method="bootstrap")
    rng = np.random.default_rng(seed)
    means = data[rng.integers(0, n, size=(resamples, n))].mean(axis=1)
    alpha = (1 - confidence) / 2
    low, high = np.quantile(means, [alpha, 1 - alpha])
    return Estimate(
        estimate=float(data.mean()), n=n, ci_low=float(low), ci_high=float(high), method="bootstrap"
    )


def cluster_rate(
    successes_per_item: Sequence[tuple[int, int]],
    confidence: float = 0.95,
    resamples: int = 10_000,
    seed: int = 0,
    chunk: int = 500,
) -> Estimate:
    """Pooled pass rate of items tried several times each ((c, n) per item), with a percentile
    bootstrap over items; ``n`` counts items, not tries, because tries of one item are correlated."""
    pairs = [(c, n) for c, n in successes_per_item if n > 0]
    m = len(pairs)
    if m == 0:
        return Estimate(estimate=None, n=0, ci_low=None, ci_high=None, method="cluster bootstrap")
    passes = np.asarray([c for c, _ in pairs], dtype=float)
    tries = np.asarray([n for _, n in pairs], dtype=float)
    rng = np.random.default_rng(seed)
    draws = []
    for start in range(0, resamples, chunk):
        idx = rng.integers(0, m, size=(min(chunk, resamples - start), m))
        draws.append(passes[idx].sum(axis=1) / tries[idx].sum(axis=1))
    alpha = (1 - confidence) / 2
    low, high = np.quantile(np.concatenate(draws), [alpha, 1 - alpha])
    return Estimate(
        estimate=float(passes.sum() / tries.sum()),
        n=m,
        ci_low=float(low),
        ci_high=float(high),
        method="cluster bootstrap over items",
    )
