"""Agreement between raters (people and LLM judges), with bootstrap intervals.

Every chance-corrected coefficient here has the form (Po − Pe) / (1 − Pe): observed agreement Po
against the agreement Pe expected by chance. They differ in how Pe is modelled, and that is why
more than one is reported.

- Cohen's kappa (Cohen 1960), two fixed raters, nominal labels: Po = Σ_k p_kk, Pe = Σ_k pA_k·pB_k
  from the two raters' own marginals.
- Weighted kappa (Cohen 1968) for ordered categories: κ_w = 1 − Σ w_ij·O_ij / Σ w_ij·E_ij with
  disagreement weights w_ij = |i − j| / (K − 1) ("linear") or (i − j)² / (K − 1)² ("quadratic")
  on category positions, O the observed and E = outer(rows, cols) the chance table. The scale of
  w cancels, so these match the unnormalised weights scikit-learn uses. Unweighted kappa is the
  case w = 1 − I.
- Fleiss' kappa (Fleiss 1971), m ≥ 2 ratings on every item, raters exchangeable: with n_ij the
  number of ratings of item i in category j, P_i = (Σ_j n_ij² − m) / (m(m − 1)), Po = mean P_i,
  p_j = Σ_i n_ij / (N·m), Pe = Σ_j p_j².
- Krippendorff's alpha (Krippendorff 2011, "Computing Krippendorff's alpha-reliability"): any
  number of raters, missing ratings allowed. Items with m_u ≥ 2 ratings add
  (n_uc·n_uk − [c = k]·n_uc) / (m_u − 1) to the coincidence matrix o; n_c = Σ_k o_ck, n = Σ n_c;
  α = 1 − (n − 1)·Σ o_ck·δ²_ck / Σ n_c·n_k·δ²_ck. Metrics δ²: nominal [c ≠ k]; interval
  (v_c − v_k)²; ordinal (Σ_{g=c..k} n_g − (n_c + n_k)/2)², which uses the ranks of the categories
  as the data fill them, not their numeric values.
- Gwet's AC1 (Gwet 2008): Pe = Σ_k π_k(1 − π_k) / (q − 1), with π_k the mean share of category k
  and q the number of categories on the scale. Kappa collapses when one category dominates even
  if raw agreement is high (the "kappa paradox"); AC1 does not, so it is reported beside kappa.
  For many raters (Gwet 2008, 2014): Po = mean over items with r_i ≥ 2 ratings of
  Σ_k r_ik(r_ik − 1) / (r_i(r_i − 1)); π_k = mean over items with r_i ≥ 1 of r_ik / r_i. With two
  raters and no missing ratings this is the two-rater AC1.
- Judge-corrected pass rate (Rogan & Gladen 1978): a judge with true-positive rate TPR and
  true-negative rate TNR reports p_obs = θ·TPR + (1 − θ)(1 − TNR) passes when the true rate is θ,
  so θ = (p_obs + TNR − 1) / (TPR + TNR − 1).
- Items needed for a kappa of given precision: n ≈ z²·Po(1 − Po) / (h²·(1 − Pe)²) for half-width
  h, the leading term of the large-sample variance of kappa.
- McNemar (1947) on the items one judge gets right and the other wrong: see
  ``evalwheel.stats.paired.mcnemar``.

Intervals are percentile bootstrap intervals over items (Efron 1979; Efron & Tibshirani 1993),
10,000 resamples by default and seeded, so the same data and seed give the same interval.

Why the bootstrap is fast. Resampling n items with replacement and counting how often each
distinct item profile (the per-item row of ratings, or the per-item category counts) was drawn
gives counts distributed exactly Multinomial(n, observed profile shares). Every statistic here
depends on the items only through sums of per-profile features (the cells of the two raters'
table for kappa and AC1, the per-item coincidence matrices for alpha, the per-item category counts
for Fleiss and multi-rater AC1). So each resample is drawn as multinomial counts over the G
distinct profiles, the sums come from one matrix product with the G × D feature matrix, and the
statistic is computed for all resamples at once from those sums. The distribution is identical to
resampling items, and the cost is O(resamples × (G + D)) instead of O(resamples × n): for kappa on
binary labels G = 4 whatever n is. Resamples are processed in chunks to bound memory.

Missing ratings are None (or a float NaN). Two-rater statistics use the items both raters rated;
a resample on which a statistic is undefined (e.g. every item in one category, so Pe = 1) is left
out of the percentiles, which makes the interval conditional on the statistic being defined.
Undefined estimates are returned as None, never NaN, so they survive JSON.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Literal, TypeAlias

import numpy as np
from pydantic import BaseModel
from scipy.stats import norm

from evalwheel.stats.paired import McNemar, mcnemar

Labels: TypeAlias = Sequence[Any] | np.ndarray
Matrix: TypeAlias = Sequence[Sequence[Any]] | np.ndarray
Weights: TypeAlias = Literal["linear", "quadratic"] | None
Level: TypeAlias = Literal["nominal", "ordinal", "interval"]

METHOD = "bootstrap-percentile"
# Elements per chunk of resamples (multinomial draws and feature sums): about 16 MB of float64.
_CHUNK_ELEMENTS = 1 << 21
_EPS = 1e-12

__all__ = [
    "METHOD",
    "Interval",
    "PairedKappa",
    "category_values",
    "cohen_kappa",
    "cohen_kappa_ci",
    "confusion_matrix",
    "corrected_pass_rate",
    "encode",
    "fleiss_kappa",
    "fleiss_kappa_ci",
    "gwet_ac1",
    "gwet_ac1_ci",
    "gwet_ac1_multi",
    "gwet_ac1_multi_ci",
    "infer_categories",
    "judge_mcnemar",
    "krippendorff_alpha",
    "krippendorff_alpha_ci",
    "paired_kappa_difference",
    "prevalence",
    "raw_agreement",
    "raw_agreement_ci",
    "sample_size_for_kappa",
    "tpr_tnr",
]


class Interval(BaseModel):
    """A statistic with its bootstrap interval; None where the statistic is undefined."""

    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    method: str


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


# --------------------------------------------------------------------------------------------
# Encoding labels


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float | np.floating):
        return bool(np.isnan(value))
    return False


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool | np.bool_ | int | float | np.integer | np.floating):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _flat(ratings: Labels | Matrix | Iterable[Any]) -> list[Any]:
    if isinstance(ratings, np.ndarray):
        return ratings.ravel().tolist()
    out: list[Any] = []
    for value in ratings:
        if isinstance(value, list | tuple | np.ndarray):
            out.extend(_flat(value))
        else:
            out.append(value)
    return out


def infer_categories(ratings: Labels | Matrix | Iterable[Any]) -> list[Any]:
    """Numeric order when every label reads as a number ("10" after "9"), else sorted by text.

    Sorting, rather than order of first appearance, keeps the category order (and so confusion
    matrices and weighted statistics) independent of the order the rows arrive in. An ordinal
    scale of words ("low" < "mid" < "high") cannot be inferred; pass ``categories``.
    """
    if isinstance(ratings, np.ndarray) and ratings.dtype.kind in "biuf":
        values = ratings[~np.isnan(ratings)] if ratings.dtype.kind == "f" else ratings.ravel()
        return np.unique(values).tolist()
    seen = list(dict.fromkeys(v for v in _flat(ratings) if not _is_missing(v)))
    numbers = [_as_number(v) for v in seen]
    if seen and all(x is not None for x in numbers):
        order = sorted(range(len(seen)), key=lambda i: (numbers[i], str(seen[i])))
        return [seen[i] for i in order]
    return sorted(seen, key=str)


def encode(
    ratings: Labels | Matrix, categories: Sequence[Any] | None = None
) -> tuple[np.ndarray, list[Any]]:
    """Labels (a sequence, or an items × raters matrix) as integer codes, -1 for missing.

    Codes index ``categories``; labels are matched by equality, so 1 and "1" differ. A label
    outside given ``categories`` is an error rather than silently dropped, because dropping it
    would inflate agreement.
    """
    cats = infer_categories(ratings) if categories is None else list(categories)
    if len(set(map(_key, cats))) != len(cats):
        raise ValueError(f"categories must be distinct, got {cats!r}")
    if isinstance(ratings, np.ndarray) and ratings.dtype.kind in "biuf":
        numbers = [_as_number(c) for c in cats]
        if all(
            x is not None and not isinstance(c, str) for x, c in zip(numbers, cats, strict=True)
        ):
            return _encode_numeric(ratings, np.asarray(numbers, dtype=float), cats), cats
        ratings = ratings.astype(object)
    arr = _object_array(ratings)
    index = {_key(c): i for i, c in enumerate(cats)}
    codes = np.empty(arr.size, dtype=np.int64)
    for pos, value in enumerate(arr.ravel()):
        if _is_missing(value):
            codes[pos] = -1
            continue
        code = index.get(_key(value))
        if code is None:
            raise ValueError(f"label {value!r} is not one of the categories {cats!r}")
        codes[pos] = code
    return codes.reshape(arr.shape), cats


def _key(value: Any) -> Any:
    # numpy scalars hash like Python numbers, but numpy strings are kept as str keys.
    return value.item() if isinstance(value, np.generic) else value


def _encode_numeric(ratings: np.ndarray, values: np.ndarray, cats: list[Any]) -> np.ndarray:
    data = ratings.astype(float)
    missing = np.isnan(data)
    codes = np.full(data.shape, -1, dtype=np.int64)
    present = data[~missing]
    if present.size == 0:
        return codes
    if values.size == 0:
        raise ValueError(f"label {present[0]!r} is not one of the categories {cats!r}")
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    pos = np.clip(np.searchsorted(ordered, present), 0, values.size - 1)
    found = ordered[pos] == present
    if not found.all():
        raise ValueError(f"label {present[~found][0]!r} is not one of the categories {cats!r}")
    codes[~missing] = order[pos]
    return codes


def _object_array(ratings: Labels | Matrix) -> np.ndarray:
    if isinstance(ratings, np.ndarray):
        return ratings.astype(object)
    rows = list(ratings)
    if rows and any(isinstance(r, list | tuple | np.ndarray) for r in rows):
        widths = {len(r) for r in rows}
        if len(widths) != 1:
            raise ValueError(
                "every row of a ratings matrix needs one entry per rater (None where missing); "
                f"found rows of lengths {sorted(widths)}"
            )
        out = np.empty((len(rows), widths.pop()), dtype=object)
        for i, row in enumerate(rows):
            out[i, :] = list(row)
        return out
    out = np.empty(len(rows), dtype=object)
    out[:] = rows
    return out


def category_values(categories: Sequence[Any]) -> np.ndarray:
    """Numbers for the interval metric: each category's numeric value when every category reads
    as a number, else its position in ``categories`` (equal spacing is then an assumption)."""
    numbers = [_as_number(c) for c in categories]
    if all(x is not None for x in numbers):
        return np.asarray(numbers, dtype=float)
    return np.arange(len(categories), dtype=float)


def _pair(
    a: Labels, b: Labels, categories: Sequence[Any] | None
) -> tuple[np.ndarray, np.ndarray, list[Any]]:
    """Codes of the items both raters labelled."""
    if len(a) != len(b):
        raise ValueError(f"paired labels need the same length, got {len(a)} and {len(b)}")
    if categories is None:
        categories = _union_categories(a, b)
    ca, cats = encode(a, categories)
    cb, _ = encode(b, cats)
    keep = (ca >= 0) & (cb >= 0)
    return ca[keep], cb[keep], cats


def _union_categories(*seqs: Labels) -> list[Any]:
    if all(isinstance(s, np.ndarray) and s.dtype.kind in "biuf" for s in seqs):
        return infer_categories(np.concatenate([np.asarray(s).ravel() for s in seqs]))
    merged: list[Any] = []
    for s in seqs:
        merged.extend(_flat(s))
    return infer_categories(merged)


def _table(ca: np.ndarray, cb: np.ndarray, k: int) -> np.ndarray:
    return np.bincount(ca * k + cb, minlength=k * k).reshape(k, k)


# --------------------------------------------------------------------------------------------
# Vectorised statistics: each takes sums for R resamples (R × D) and returns R values, NaN where
# undefined. The point estimate runs through the same code with R = 1.


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


# --------------------------------------------------------------------------------------------
# The bootstrap engine


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


# --------------------------------------------------------------------------------------------
# Two raters


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


# --------------------------------------------------------------------------------------------
# Many raters: items × raters matrices, grouped into distinct per-item category-count profiles


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


# --------------------------------------------------------------------------------------------
# Comparing judges, correcting pass rates, planning sample sizes


def _triple(
    a: Labels, b: Labels, ref: Labels, categories: Sequence[Any] | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[Any]]:
    if not len(a) == len(b) == len(ref):
        raise ValueError(
            f"judges and reference need the same length, got {len(a)}, {len(b)}, {len(ref)}"
        )
    if categories is None:
        categories = _union_categories(a, b, ref)
    ca, cats = encode(a, categories)
    cb, _ = encode(b, cats)
    cr, _ = encode(ref, cats)
    keep = (ca >= 0) & (cb >= 0) & (cr >= 0)
    return ca[keep], cb[keep], cr[keep], cats


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


def sample_size_for_kappa(
    *,
    kappa: float,
    prevalence: float | Sequence[float],
    half_width: float = 0.10,
    confidence: float = 0.95,
) -> int:
    """Items to label so a kappa near ``kappa`` has an interval of ± ``half_width``.

    Uses n ≈ z²·Po(1 − Po) / (h²·(1 − Pe)²) with both raters at the given prevalence
    (a float p means the binary split p / 1 − p): Pe = Σ p_k², Po = κ(1 − Pe) + Pe. It ignores
    the marginals' own sampling error, so treat it as a planning figure: skewed prevalence
    raises Pe and the items needed (balanced κ ≈ 0.6: ~250; 90/10: ~800).
    """
    if not 0 < half_width < 1:
        raise ValueError("half_width must be in (0, 1)")
    if not 0 < confidence < 1:
        raise ValueError("confidence must be in (0, 1)")
    if isinstance(prevalence, int | float):
        if not 0 < prevalence < 1:
            raise ValueError("a binary prevalence must be in (0, 1)")
        shares = np.array([prevalence, 1 - prevalence], dtype=float)
    else:
        shares = np.asarray(prevalence, dtype=float)
        if shares.size < 2 or (shares < 0).any() or not math.isclose(shares.sum(), 1, abs_tol=1e-6):
            raise ValueError("prevalence shares must be >= 0, at least two, and sum to 1")
    pe = float((shares**2).sum())
    if pe >= 1:
        raise ValueError("kappa is undefined when one category has all the prevalence")
    po = kappa * (1 - pe) + pe
    if not 0 <= po <= 1:
        raise ValueError(f"kappa {kappa} is impossible at this prevalence (Po = {po:.3f})")
    z = float(norm.ppf(1 - (1 - confidence) / 2))
    return max(1, math.ceil(z**2 * po * (1 - po) / (half_width**2 * (1 - pe) ** 2)))
