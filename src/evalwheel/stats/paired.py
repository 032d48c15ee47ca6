"""Paired comparisons of two systems on the same items.

- McNemar's test (McNemar 1947) on the discordant pairs: with b items passing only in A and c only in
  B, the exact two-sided p-value is the binomial test of b successes in b + c trials at p = 0.5
  (the exact form is preferred for small b + c; Fagerland et al. 2013).
- Paired bootstrap of the difference in mean score, over items, seeded.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel
from scipy.stats import binomtest


class McNemar(BaseModel):
    n: int
    only_a: int
    only_b: int
    both: int
    neither: int
    p_value: float | None


def mcnemar(a: Sequence[bool], b: Sequence[bool]) -> McNemar:
    if len(a) != len(b):
        raise ValueError("paired samples must have the same length")
    only_a = sum(1 for x, y in zip(a, b, strict=True) if x and not y)
    only_b = sum(1 for x, y in zip(a, b, strict=True) if y and not x)
    both = sum(1 for x, y in zip(a, b, strict=True) if x and y)
    discordant = only_a + only_b
    p = float(binomtest(only_a, discordant, 0.5).pvalue) if discordant else None
    return McNemar(
        n=len(a),
        only_a=only_a,
        only_b=only_b,
        both=both,
        neither=len(a) - discordant - both,
        p_value=p,
    )


class PairedDifference(BaseModel):
    n: int
    difference: float | None
    ci_low: float | None
    ci_high: float | None


def paired_bootstrap(
    a: Sequence[float],
    b: Sequence[float],
    resamples: int = 10_000,
    seed: int = 0,
    confidence: float = 0.95,
) -> PairedDifference:
    """Mean of (b - a) over items with a percentile bootstrap interval."""
    diffs = np.asarray(b, dtype=float) - np.asarray(a, dtype=float)
    n = int(diffs.size)
    if n == 0:
        return PairedDifference(n=0, difference=None, ci_low=None, ci_high=None)
    rng = np.random.default_rng(seed)
    means = diffs[rng.integers(0, n, size=(resamples, n))].mean(axis=1)
    alpha = (1 - confidence) / 2
    low, high = np.quantile(means, [alpha, 1 - alpha])
    return PairedDifference(
        n=n, difference=float(diffs.mean()), ci_low=float(low), ci_high=float(high)
    )
