"""Two judges on the same items against one reference: McNemar on who is right, and a paired
bootstrap of the kappa difference (two separate intervals would be too wide to see a change).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from pydantic import BaseModel

from evalwheel.stats.bootstrap import METHOD, _bootstrap, _check, _finite, _percentiles
from evalwheel.stats.encoding import Labels, _triple
from evalwheel.stats.kappa import _disagreement_weights, _kappa_stat
from evalwheel.stats.paired import McNemar, mcnemar


class PairedKappa(BaseModel):
    """Two judges scored against one reference on the same items; difference = kappa_b − kappa_a
    (the same orientation as ``paired.paired_bootstrap``), so a positive value favours judge b."""

    n: int
    kappa_a: float | None
    kappa_b: float | None
    difference: float | None
    ci_low: float | None
    ci_high: float | None
    method: str
    mcnemar: McNemar | None


def judge_mcnemar(
    judge_a: Labels, judge_b: Labels, reference: Labels, *, categories: Sequence[Any] | None = None
) -> McNemar:
    """McNemar's test on which items each judge gets right against the reference (items all
    three labelled); ``only_a`` counts items only judge a got right."""
    ca, cb, cr, _ = _triple(judge_a, judge_b, reference, categories)
    return mcnemar((ca == cr).tolist(), (cb == cr).tolist())


def paired_kappa_difference(
    judge_a: Labels,
    judge_b: Labels,
    reference: Labels,
    *,
    categories: Sequence[Any] | None = None,
    resamples: int = 10_000,
    seed: int = 0,
    confidence: float = 0.95,
) -> PairedKappa:
    """kappa(b, reference) − kappa(a, reference) with a paired bootstrap interval.

    Both kappas are computed on the same resampled items (multinomial counts over the K³ cells of
    the three-way table), so the interval reflects the correlation between the judges; two
    separate intervals would be too wide to detect a real change.
    """
    _check(resamples, confidence)
    ca, cb, cr, cats = _triple(judge_a, judge_b, reference, categories)
    k = len(cats)
    n = int(ca.size)
    cells = np.bincount((ca * k + cb) * k + cr, minlength=k**3)
    kappa = _kappa_stat(k, _disagreement_weights(k, None))

    def both(sums: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cube = sums.reshape(-1, k, k, k)
        return kappa(cube.sum(axis=2)), kappa(cube.sum(axis=1))

    def difference(sums: np.ndarray) -> np.ndarray:
        ka, kb = both(sums)
        return kb - ka

    mc = mcnemar((ca == cr).tolist(), (cb == cr).tolist()) if n else None
    if n == 0:
        return PairedKappa(
            n=0,
            kappa_a=None,
            kappa_b=None,
            difference=None,
            ci_low=None,
            ci_high=None,
            method=METHOD,
            mcnemar=None,
        )
    ka, kb = (_finite(float(x[0])) for x in both(cells[None, :].astype(float)))
    diff = None if ka is None or kb is None else kb - ka
    low = high = None
    if diff is not None:
        low, high = _percentiles(_bootstrap(cells, None, difference, resamples, seed), confidence)
    return PairedKappa(
        n=n,
        kappa_a=ka,
        kappa_b=kb,
        difference=diff,
        ci_low=low,
        ci_high=high,
        method=METHOD,
        mcnemar=mc,
    )
