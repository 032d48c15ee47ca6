"""The judge-corrected pass rate (Rogan & Gladen 1978) with a bootstrap over both sources of error."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from evalwheel.stats.bootstrap import _EPS, METHOD, Interval, _check, _finite, _percentiles


def corrected_pass_rate(
    p_obs_successes: int,
    p_obs_n: int,
    judge_on_labelled: Sequence[bool],
    human_on_labelled: Sequence[bool],
    *,
    resamples: int = 10_000,
    seed: int = 0,
    confidence: float = 0.95,
) -> Interval:
    """The true pass rate behind a judge's observed pass rate, given its errors on labelled data.

    θ = (p_obs + TNR − 1) / (TPR + TNR − 1), clipped to [0, 1]. The estimate is None when
    TPR + TNR ≤ 1: such a judge passes true passes no more often than true failures, so its
    verdicts carry no information about θ (at = 1 the formula divides by zero, below it the
    judge is inverted). Also None when the labelled set lacks human passes or human failures,
    since TPR or TNR is then unmeasured. The interval resamples both sources of error, the
    labelled pairs (multinomial over the four judge × human cells) and the observed outcomes
    (binomial); resamples where the judge looks uninformative are left out.
    """
    _check(resamples, confidence)
    if len(judge_on_labelled) != len(human_on_labelled):
        raise ValueError("judge and human verdicts on the labelled set need the same length")
    if not 0 <= p_obs_successes <= p_obs_n:
        raise ValueError("need 0 <= p_obs_successes <= p_obs_n")
    j = np.asarray(judge_on_labelled, dtype=bool)
    h = np.asarray(human_on_labelled, dtype=bool)
    # cells: (judge, human) = (1,1) tp, (0,1) fn, (0,0) tn, (1,0) fp
    cells = np.array([np.sum(j & h), np.sum(~j & h), np.sum(~j & ~h), np.sum(j & ~h)])

    def theta(
        tp: np.ndarray, fn: np.ndarray, tn: np.ndarray, fp: np.ndarray, p: np.ndarray
    ) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            tpr = tp / (tp + fn)
            tnr = tn / (tn + fp)
            youden = tpr + tnr - 1
            out = np.clip((p + tnr - 1) / youden, 0.0, 1.0)
        out[~(youden > _EPS)] = np.nan
        return out

    none = Interval(estimate=None, ci_low=None, ci_high=None, n=p_obs_n, method=METHOD)
    if p_obs_n == 0 or cells.sum() == 0:
        return none
    p_obs = p_obs_successes / p_obs_n
    estimate = _finite(float(theta(*(cells[i : i + 1] for i in range(4)), np.array([p_obs]))[0]))
    if estimate is None:
        return none
    if resamples == 0:
        return Interval(estimate=estimate, ci_low=None, ci_high=None, n=p_obs_n, method=METHOD)
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(int(cells.sum()), cells / cells.sum(), size=resamples).astype(float)
    passes = rng.binomial(p_obs_n, p_obs, size=resamples) / p_obs_n
    low, high = _percentiles(theta(*draws.T, passes), confidence)
    return Interval(estimate=estimate, ci_low=low, ci_high=high, n=p_obs_n, method=METHOD)
