"""Agreement statistics cross-checked against scikit-learn, statsmodels and ``krippendorff`` on
random data, and against published worked examples (irrCAC README; Krippendorff 2011)."""

from __future__ import annotations

import json
import math
import warnings
from fractions import Fraction

import krippendorff
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score
from sklearn.metrics import confusion_matrix as sk_confusion_matrix
from statsmodels.stats.inter_rater import aggregate_raters
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa

from evalwheel.stats import agreement as ag
from evalwheel.stats.agreement_report import build_agreement_report, to_text

SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
N = None

# irrCAC README: two abstractors, 3 categories (Cohen 0.7964094, AC1 0.8493305, Pa 0.89).
ABSTRACTORS = [[13, 0, 0], [0, 20, 7], [0, 4, 56]]
# irrCAC's cac.raw4raters, which is Krippendorff's (2011) worked example: 12 units, 4 observers.
RAW4 = [
    [1, 1, N, 1],
    [2, 2, 3, 2],
    [3, 3, 3, 3],
    [3, 3, 3, 3],
    [2, 2, 2, 2],
    [1, 2, 3, 4],
    [4, 4, 4, 4],
    [1, 1, 2, 1],
    [2, 2, 2, 2],
    [N, 5, 5, 5],
    [N, N, 1, 1],
    [N, N, 3, N],
]
# irrCAC's distrib.6raters: raters per subject and category (AC1 0.4448007, Fleiss 0.4139265,
# alpha 0.4204384).
SIX_RATERS = [
    [0, 0, 0, 6, 0],
    [0, 3, 0, 0, 3],
    [0, 1, 4, 0, 1],
    [0, 0, 0, 0, 6],
    [0, 3, 0, 3, 0],
    [2, 0, 4, 0, 0],
    [0, 0, 4, 0, 2],
    [2, 0, 3, 1, 0],
    [2, 0, 0, 4, 0],
    [0, 0, 0, 0, 6],
    [1, 0, 0, 5, 0],
    [1, 1, 0, 4, 0],
    [0, 3, 3, 0, 0],
    [1, 0, 0, 5, 0],
    [0, 2, 0, 3, 1],
]


def _expand_table(table: list[list[int]]) -> tuple[list[int], list[int]]:
    a: list[int] = []
    b: list[int] = []
    for i, row in enumerate(table):
        for j, count in enumerate(row):
            a += [i] * count
            b += [j] * count
    return a, b


def _expand_distribution(distribution: list[list[int]]) -> list[list[int]]:
    return [[c for c, n in enumerate(row) for _ in range(n)] for row in distribution]


def _sklearn_kappa(a, b, labels, weights=None) -> float | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = cohen_kappa_score(a, b, labels=labels, weights=weights)
    return None if math.isnan(value) else float(value)


def _close(ours: float | None, theirs: float | None, tol: float = 1e-9) -> bool:
    if ours is None or theirs is None:
        return ours is None and theirs is None
    return math.isclose(ours, theirs, rel_tol=tol, abs_tol=tol)


@st.composite
def label_pairs(draw, missing: bool = True):
    k = draw(st.integers(2, 5))
    n = draw(st.integers(2, 60))
    label = st.integers(0, k - 1)
    maybe = st.one_of(st.none(), label) if missing else label
    a = draw(st.lists(maybe, min_size=n, max_size=n))
    b = draw(st.lists(maybe, min_size=n, max_size=n))
    return a, b, list(range(k))


@st.composite
def rating_matrices(draw, missing: bool = True):
    k = draw(st.integers(2, 5))
    raters = draw(st.integers(2, 5))
    label = st.integers(0, k - 1)
    cell = st.one_of(st.none(), label) if missing else label
    row = st.lists(cell, min_size=raters, max_size=raters)
    return draw(st.lists(row, min_size=1, max_size=30)), list(range(k))


# ------------------------------------------------------------------------------------------
# Cohen's kappa, confusion matrix, raw agreement


@SETTINGS
@given(label_pairs(), st.sampled_from([None, "linear", "quadratic"]))
def test_cohen_kappa_matches_sklearn(data, weights):
    a, b, cats = data
    both = [(x, y) for x, y in zip(a, b, strict=True) if x is not None and y is not None]
    ours = ag.cohen_kappa(a, b, categories=cats, weights=weights)
    if not both:
        assert ours is None
        return
    xa, xb = zip(*both, strict=True)
    assert _close(ours, _sklearn_kappa(xa, xb, cats, weights))


@SETTINGS
@given(label_pairs())
def test_confusion_and_raw_agreement_match_sklearn(data):
    a, b, cats = data
    both = [(x, y) for x, y in zip(a, b, strict=True) if x is not None and y is not None]
    matrix = ag.confusion_matrix(a, b, cats)
    if not both:
        assert matrix == [[0] * len(cats) for _ in cats]
        with pytest.raises(ValueError, match="both raters"):
            ag.raw_agreement(a, b)
        return
    xa, xb = zip(*both, strict=True)
    assert matrix == sk_confusion_matrix(xa, xb, labels=cats).tolist()
    assert ag.raw_agreement(a, b) == pytest.approx(np.mean(np.array(xa) == np.array(xb)))


def test_cohen_kappa_on_strings_and_numpy_inputs():
    a = ["pass", "fail", "pass", None, "pass", "fail"]
    b = ["pass", "fail", "fail", "pass", "pass", "pass"]
    expected = _sklearn_kappa(
        ["pass", "fail", "pass", "pass", "fail"], ["pass", "fail", "fail", "pass", "pass"], None
    )
    assert _close(ag.cohen_kappa(a, b), expected)
    ints = np.array([1, 0, 1, 1, 0, 2])
    floats = np.array([1.0, 0.0, np.nan, 1.0, 0.0, 2.0])
    assert _close(
        ag.cohen_kappa(ints, floats),
        _sklearn_kappa([1, 0, 1, 0, 2], [1, 0, 1, 0, 2], None),
    )


def test_published_two_rater_example():
    a, b = _expand_table(ABSTRACTORS)
    assert ag.cohen_kappa(a, b) == pytest.approx(0.7964094, abs=1e-7)
    assert ag.gwet_ac1(a, b) == pytest.approx(0.8493305, abs=1e-7)
    assert ag.raw_agreement(a, b) == pytest.approx(0.89)


# ------------------------------------------------------------------------------------------
# Gwet's AC1


def _ac1_by_hand(table: list[list[int]]) -> Fraction:
    q = len(table)
    n = sum(map(sum, table))
    po = Fraction(sum(table[i][i] for i in range(q)), n)
    pi = [Fraction(sum(table[k]) + sum(row[k] for row in table), 2 * n) for k in range(q)]
    pe = sum(p * (1 - p) for p in pi) / (q - 1)
    return (po - pe) / (1 - pe)


@pytest.mark.parametrize(
    "table",
    [
        [[40, 10], [5, 45]],
        [[90, 3], [4, 3]],  # skewed: the kappa paradox case
        [[5, 1, 0], [2, 7, 1], [0, 3, 9]],
        ABSTRACTORS,
    ],
)
def test_gwet_ac1_by_hand(table):
    a, b = _expand_table(table)
    assert ag.gwet_ac1(a, b, categories=list(range(len(table)))) == pytest.approx(
        float(_ac1_by_hand(table)), abs=1e-12
    )


def test_kappa_paradox_ac1_stays_high():
    a, b = _expand_table([[90, 3], [4, 3]])
    kappa = ag.cohen_kappa(a, b)
    ac1 = ag.gwet_ac1(a, b)
    assert ag.raw_agreement(a, b) == pytest.approx(0.93)
    assert kappa is not None and ac1 is not None
    assert kappa < 0.45 < 0.9 < ac1


def test_gwet_ac1_multi_published_examples():
    assert ag.gwet_ac1_multi(RAW4) == pytest.approx(0.77544, abs=1e-5)
    six = _expand_distribution(SIX_RATERS)
    assert ag.gwet_ac1_multi(six, categories=range(5)) == pytest.approx(0.4448007, abs=1e-7)


@SETTINGS
@given(label_pairs(missing=False))
def test_gwet_multi_with_two_complete_raters_is_two_rater_ac1(data):
    a, b, cats = data
    matrix = [[x, y] for x, y in zip(a, b, strict=True)]
    assert _close(ag.gwet_ac1_multi(matrix, categories=cats), ag.gwet_ac1(a, b, categories=cats))


# ------------------------------------------------------------------------------------------
# Fleiss' kappa


@SETTINGS
@given(rating_matrices(missing=False))
def test_fleiss_kappa_matches_statsmodels(data):
    rows, cats = data
    table, _ = aggregate_raters(np.array(rows), n_cat=len(cats))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = float(sm_fleiss_kappa(table, method="fleiss"))
    assert _close(ag.fleiss_kappa(rows, categories=cats), None if math.isnan(theirs) else theirs)


@SETTINGS
@given(rating_matrices(missing=False), st.integers(0, 2), st.randoms(use_true_random=False))
def test_fleiss_kappa_with_missing_but_equal_counts(data, extra, rnd):
    """Spreading each item's m ratings over more rater columns changes nothing."""
    rows, cats = data
    spread = []
    for row in rows:
        wide = [*row, *([None] * extra)]
        rnd.shuffle(wide)
        spread.append(wide)
    assert _close(ag.fleiss_kappa(spread, categories=cats), ag.fleiss_kappa(rows, categories=cats))


def test_fleiss_kappa_published_and_errors():
    six = _expand_distribution(SIX_RATERS)
    assert ag.fleiss_kappa(six) == pytest.approx(0.4139265, abs=1e-7)
    with pytest.raises(ValueError, match="same number of ratings"):
        ag.fleiss_kappa(RAW4)
    with pytest.raises(ValueError, match="one entry per rater"):
        ag.fleiss_kappa([[1, 2], [1]])


# ------------------------------------------------------------------------------------------
# Krippendorff's alpha


def _kripp_reference(rows, level, domain) -> float | None:
    data = np.array([[np.nan if x is None else x for x in row] for row in rows], dtype=float).T
    if not (np.sum(~np.isnan(data), axis=0) >= 2).any():
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = krippendorff.alpha(
            reliability_data=data, value_domain=domain, level_of_measurement=level
        )
    return None if math.isnan(value) else float(value)


@SETTINGS
@given(rating_matrices(), st.sampled_from(["nominal", "ordinal", "interval"]))
def test_krippendorff_alpha_matches_package(data, level):
    rows, cats = data
    ours = ag.krippendorff_alpha(rows, level=level, categories=cats)
    assert _close(ours, _kripp_reference(rows, level, cats), tol=1e-8)


@SETTINGS
@given(rating_matrices())
def test_krippendorff_interval_uses_numeric_values(data):
    rows, cats = data
    values = [0.0, 1.0, 2.5, 7.0, 10.0][: len(cats)]
    mapped = [[None if x is None else values[x] for x in row] for row in rows]
    ours = ag.krippendorff_alpha(mapped, level="interval", categories=values)
    assert _close(ours, _kripp_reference(mapped, "interval", values), tol=1e-8)


def test_krippendorff_ordinal_words_use_category_order():
    words = ["low", "mid", "high", "top"]
    rows = [[1, 1, 2], [0, 1, None], [2, 3, 3], [0, 0, 1], [3, 2, None]]
    named = [[None if x is None else words[x] for x in row] for row in rows]
    expected = _kripp_reference(rows, "ordinal", [0, 1, 2, 3])
    assert _close(ag.krippendorff_alpha(named, level="ordinal", categories=words), expected)
    # Interval on words falls back to positions, i.e. the same as the codes 0..3.
    assert _close(
        ag.krippendorff_alpha(named, level="interval", categories=words),
        _kripp_reference(rows, "interval", [0, 1, 2, 3]),
    )


def test_krippendorff_published_example():
    assert ag.krippendorff_alpha(RAW4, level="nominal") == pytest.approx(0.743, abs=5e-4)
    assert ag.krippendorff_alpha(RAW4, level="ordinal") == pytest.approx(0.815, abs=5e-4)
    assert ag.krippendorff_alpha(RAW4, level="interval") == pytest.approx(0.849, abs=5e-4)
    six = _expand_distribution(SIX_RATERS)
    assert ag.krippendorff_alpha(six) == pytest.approx(0.4204384, abs=1e-7)


# ------------------------------------------------------------------------------------------
# Degenerate inputs


def test_one_label_everywhere_is_undefined_not_zero():
    a = b = ["yes"] * 20
    assert ag.raw_agreement(a, b) == 1.0
    assert ag.cohen_kappa(a, b) is None
    assert ag.cohen_kappa(a, b, categories=["no", "yes"], weights="quadratic") is None
    interval = ag.cohen_kappa_ci(a, b, resamples=50)
    assert (interval.estimate, interval.ci_low, interval.ci_high) == (None, None, None)
    assert interval.n == 20
    # AC1 needs a scale of at least two categories; with one declared it is defined (and 1).
    assert ag.gwet_ac1(a, b) is None
    assert ag.gwet_ac1(a, b, categories=["no", "yes"]) == 1.0
    matrix = [["yes", "yes", "yes"]] * 5
    assert ag.fleiss_kappa(matrix) is None
    assert ag.krippendorff_alpha(matrix) is None
    assert ag.krippendorff_alpha_ci(matrix, resamples=20).estimate is None


def test_empty_and_invalid_inputs():
    assert ag.cohen_kappa([None, 1], [2, None]) is None
    assert ag.cohen_kappa_ci([None], [None], resamples=10).estimate is None
    assert ag.krippendorff_alpha([[1, None], [None, 2]]) is None  # nothing pairable
    with pytest.raises(ValueError, match="not one of the categories"):
        ag.cohen_kappa(["a", "b"], ["a", "c"], categories=["a", "b"])
    with pytest.raises(ValueError, match="not one of the categories"):
        ag.cohen_kappa(np.array([0, 1]), np.array([0, 3]), categories=[0, 1])
    with pytest.raises(ValueError, match="same length"):
        ag.cohen_kappa([1, 2], [1])
    with pytest.raises(ValueError, match="distinct"):
        ag.encode([1], [1, 1])


def test_encode_orders_numbers_numerically_and_marks_missing():
    codes, cats = ag.encode(["10", "9", None, "9", float("nan")])
    assert cats == ["9", "10"]
    assert codes.tolist() == [1, 0, -1, 0, -1]
    fast, fast_cats = ag.encode(np.array([3.0, np.nan, 1.0]))
    slow, slow_cats = ag.encode([3.0, None, 1.0])
    assert fast.tolist() == slow.tolist() == [1, -1, 0]
    assert fast_cats == slow_cats == [1.0, 3.0]
    assert ag.encode(["b", "a", "c"])[1] == ["a", "b", "c"]


# ------------------------------------------------------------------------------------------
# Bootstrap intervals


def _binary_pair(n: int, agree: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = (rng.random(n) < 0.4).astype(int)
    b = np.where(rng.random(n) < agree, a, 1 - a)
    return a, b


def test_bootstrap_is_deterministic_per_seed():
    a, b = _binary_pair(300, 0.8, 1)
    first = ag.cohen_kappa_ci(a, b, resamples=500, seed=7)
    assert first == ag.cohen_kappa_ci(a, b, resamples=500, seed=7)
    assert first != ag.cohen_kappa_ci(a, b, resamples=500, seed=8)
    matrix = np.stack([a, b, b[::-1]], axis=1)
    assert ag.krippendorff_alpha_ci(matrix, resamples=300, seed=3) == ag.krippendorff_alpha_ci(
        matrix, resamples=300, seed=3
    )


def test_bootstrap_independent_of_item_order():
    a, b = _binary_pair(200, 0.8, 2)
    perm = np.random.default_rng(0).permutation(200)
    assert ag.cohen_kappa_ci(a, b, resamples=300) == ag.cohen_kappa_ci(
        a[perm], b[perm], resamples=300
    )
    matrix = np.stack([a, b], axis=1)
    assert ag.fleiss_kappa_ci(matrix, resamples=300) == ag.fleiss_kappa_ci(
        matrix[perm], resamples=300
    )


@pytest.mark.parametrize(
    "ci",
    [
        lambda a, b, m: ag.cohen_kappa_ci(a, b, resamples=400),
        lambda a, b, m: ag.cohen_kappa_ci(a, b, weights="quadratic", resamples=400),
        lambda a, b, m: ag.gwet_ac1_ci(a, b, resamples=400),
        lambda a, b, m: ag.raw_agreement_ci(a, b, resamples=400),
        lambda a, b, m: ag.krippendorff_alpha_ci(m, level="nominal", resamples=400),
        lambda a, b, m: ag.krippendorff_alpha_ci(m, level="ordinal", resamples=400),
        lambda a, b, m: ag.krippendorff_alpha_ci(m, level="interval", resamples=400),
        lambda a, b, m: ag.fleiss_kappa_ci(m, resamples=400),
        lambda a, b, m: ag.gwet_ac1_multi_ci(m, resamples=400),
    ],
)
def test_intervals_contain_their_estimate(ci):
    rng = np.random.default_rng(5)
    a = rng.integers(0, 4, 250)
    b = np.where(rng.random(250) < 0.7, a, rng.integers(0, 4, 250))
    c = np.where(rng.random(250) < 0.6, a, rng.integers(0, 4, 250))
    interval = ci(a, b, np.stack([a, b, c], axis=1))
    assert interval.method == "bootstrap-percentile"
    assert interval.n == 250
    assert interval.ci_low < interval.estimate < interval.ci_high
    assert interval.ci_high - interval.ci_low < 0.3


def test_multinomial_bootstrap_matches_item_resampling():
    """Drawing cell counts is the same distribution as resampling items (sklearn per resample)."""
    a, b = _binary_pair(400, 0.8, 3)
    ours = ag.cohen_kappa_ci(a, b, resamples=4000, seed=0)
    rng = np.random.default_rng(123)
    naive = []
    for _ in range(1000):
        idx = rng.integers(0, a.size, a.size)
        naive.append(cohen_kappa_score(a[idx], b[idx]))
    low, high = np.quantile(naive, [0.025, 0.975])
    assert ours.estimate == pytest.approx(cohen_kappa_score(a, b), abs=1e-12)
    assert ours.ci_low == pytest.approx(low, abs=0.025)
    assert ours.ci_high == pytest.approx(high, abs=0.025)


def test_grouped_alpha_bootstrap_matches_item_resampling():
    rng = np.random.default_rng(4)
    truth = rng.integers(0, 3, 150)
    matrix = np.stack(
        [np.where(rng.random(150) < 0.75, truth, rng.integers(0, 3, 150)) for _ in range(3)],
        axis=1,
    ).astype(float)
    matrix[rng.random(matrix.shape) < 0.2] = np.nan
    ours = ag.krippendorff_alpha_ci(matrix, level="ordinal", resamples=3000)
    pairable = matrix[(~np.isnan(matrix)).sum(axis=1) >= 2]
    naive = []
    for _ in range(400):
        sample = pairable[rng.integers(0, len(pairable), len(pairable))]
        naive.append(ag.krippendorff_alpha(sample, level="ordinal", categories=[0.0, 1.0, 2.0]))
    low, high = np.quantile(naive, [0.025, 0.975])
    assert ours.ci_low == pytest.approx(low, abs=0.04)
    assert ours.ci_high == pytest.approx(high, abs=0.04)


def test_paired_kappa_difference():
    rng = np.random.default_rng(6)
    ref = rng.integers(0, 2, 400)
    judge_a = np.where(rng.random(400) < 0.75, ref, 1 - ref)
    judge_b = np.where(rng.random(400) < 0.9, ref, 1 - ref)
    result = ag.paired_kappa_difference(judge_a, judge_b, ref, resamples=1000)
    assert result.kappa_a == pytest.approx(ag.cohen_kappa(judge_a, ref))
    assert result.kappa_b == pytest.approx(ag.cohen_kappa(judge_b, ref))
    assert result.difference == pytest.approx(result.kappa_b - result.kappa_a)
    assert 0 < result.ci_low < result.difference < result.ci_high
    assert result.mcnemar is not None
    right_a, right_b = judge_a == ref, judge_b == ref
    assert result.mcnemar.only_a == int(np.sum(right_a & ~right_b))
    assert result.mcnemar.only_b == int(np.sum(right_b & ~right_a))
    same = ag.paired_kappa_difference(judge_a, judge_a, ref, resamples=200)
    assert (same.difference, same.ci_low, same.ci_high) == (0.0, 0.0, 0.0)
    assert ag.judge_mcnemar(judge_a, judge_b, ref) == result.mcnemar


# ------------------------------------------------------------------------------------------
# Judge-corrected pass rate, TPR/TNR, prevalence, sample size


def _labelled(tp: int, fn: int, tn: int, fp: int) -> tuple[list[bool], list[bool]]:
    judge = [True] * tp + [False] * fn + [False] * tn + [True] * fp
    human = [True] * (tp + fn) + [False] * (tn + fp)
    return judge, human


def test_corrected_pass_rate_formula():
    judge, human = _labelled(tp=40, fn=10, tn=45, fp=5)  # TPR 0.8, TNR 0.9
    result = ag.corrected_pass_rate(70, 100, judge, human, resamples=2000)
    assert result.estimate == pytest.approx((0.7 + 0.9 - 1) / (0.8 + 0.9 - 1))
    assert result.ci_low <= result.estimate <= result.ci_high
    assert result.ci_low >= 0 and result.ci_high <= 1
    assert result.n == 100
    # A perfect judge needs no correction.
    perfect = ag.corrected_pass_rate(30, 100, *_labelled(20, 0, 20, 0), resamples=100)
    assert perfect.estimate == pytest.approx(0.3)
    # Fewer passes than the judge's false-positive rate alone would give: clipped to 0.
    assert ag.corrected_pass_rate(5, 100, judge, human, resamples=100).estimate == 0.0


def test_corrected_pass_rate_undefined_for_uninformative_judge():
    coin = ag.corrected_pass_rate(50, 100, *_labelled(25, 25, 25, 25), resamples=100)
    assert (coin.estimate, coin.ci_low, coin.ci_high) == (None, None, None)
    inverted = ag.corrected_pass_rate(50, 100, *_labelled(5, 45, 5, 45), resamples=100)
    assert inverted.estimate is None
    no_failures = ag.corrected_pass_rate(50, 100, [True, True], [True, True], resamples=100)
    assert no_failures.estimate is None


def test_corrected_pass_rate_recovers_truth_in_simulation():
    rng = np.random.default_rng(8)
    theta, tpr, tnr = 0.3, 0.9, 0.8
    truth = rng.random(20_000) < theta
    verdict = np.where(truth, rng.random(truth.size) < tpr, rng.random(truth.size) > tnr)
    human = rng.random(2000) < 0.5
    judged = np.where(human, rng.random(2000) < tpr, rng.random(2000) > tnr)
    result = ag.corrected_pass_rate(int(verdict.sum()), verdict.size, judged, human, resamples=2000)
    assert verdict.mean() == pytest.approx(0.41, abs=0.02)  # what the judge alone reports
    assert result.ci_low < theta < result.ci_high
    assert result.estimate == pytest.approx(theta, abs=0.03)


def test_tpr_tnr_and_prevalence():
    judge = ["pass", "pass", "fail", "fail", "pass", None]
    human = ["pass", "fail", "fail", "fail", "pass", "pass"]
    assert ag.tpr_tnr(judge, human, "pass") == (1.0, pytest.approx(2 / 3))
    assert ag.tpr_tnr(["x"], ["y"], "pass") == (None, 1.0)
    assert ag.prevalence(human, ["fail", "pass"]) == {"fail": 0.5, "pass": 0.5}
    assert ag.prevalence([None], ["fail", "pass"]) == {"fail": 0.0, "pass": 0.0}


def test_sample_size_planner():
    z2 = 1.959963984540054**2
    for p, expected in [(0.5, 250), (0.8, 420), (0.9, 800)]:
        pe = p**2 + (1 - p) ** 2
        po = 0.6 * (1 - pe) + pe
        n = ag.sample_size_for_kappa(kappa=0.6, prevalence=p)
        assert n == math.ceil(z2 * po * (1 - po) / (0.01 * (1 - pe) ** 2))
        assert n == pytest.approx(expected, rel=0.05)
    assert ag.sample_size_for_kappa(kappa=0.6, prevalence=[0.5, 0.5]) == 246
    assert ag.sample_size_for_kappa(kappa=0.6, prevalence=0.5, half_width=0.15) < 120
    with pytest.raises(ValueError):
        ag.sample_size_for_kappa(kappa=0.6, prevalence=[0.5, 0.6])


def test_sample_size_agrees_with_simulated_interval():
    """At the planned n the bootstrap half-width is close to the requested ±0.10."""
    n = ag.sample_size_for_kappa(kappa=0.6, prevalence=0.5)
    # Balanced binary raters with kappa 0.6: agreement 0.8, symmetric errors.
    a = np.array([0] * (n // 2) + [1] * (n - n // 2))
    flip = np.zeros(n, dtype=bool)
    flip[::5] = True
    b = np.where(flip, 1 - a, a)
    interval = ag.cohen_kappa_ci(a, b, resamples=4000)
    assert interval.estimate == pytest.approx(0.6, abs=0.02)
    assert (interval.ci_high - interval.ci_low) / 2 == pytest.approx(0.10, abs=0.015)


# ------------------------------------------------------------------------------------------
# Report


def _rows(n: int = 120, seed: int = 0) -> list[tuple[str, str, str]]:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        truth = "pass" if rng.random() < 0.6 else "fail"
        other = "fail" if truth == "pass" else "pass"
        for rater, accuracy in [("human", 1.0), ("zed", 0.9), ("judge", 0.8)]:
            if rater == "zed" and rng.random() < 0.2:
                continue
            rows.append((f"item{i}", rater, truth if rng.random() < accuracy else other))
    return rows


INTERVAL_KEYS = {"estimate", "ci_low", "ci_high", "n", "method"}
PAIR_KEYS = {
    "a",
    "b",
    "n",
    "raw_agreement",
    "cohen_kappa",
    "weighted_kappa_linear",
    "weighted_kappa_quadratic",
    "gwet_ac1",
    "krippendorff_alpha",
    "confusion",
    "prevalence_a",
    "prevalence_b",
    "tpr",
    "tnr",
}


def test_report_shape():
    report = build_agreement_report(_rows(), reference="human", resamples=200)
    dumped = json.loads(json.dumps(report.model_dump(), allow_nan=False))
    assert set(dumped) == {
        "n_items",
        "raters",
        "categories",
        "level",
        "prevalence",
        "pairs",
        "all",
        "reference",
    }
    assert dumped["n_items"] == 120
    assert dumped["raters"] == ["human", "judge", "zed"]
    assert dumped["categories"] == ["fail", "pass"]
    assert dumped["level"] == "nominal"
    assert dumped["reference"] == "human"
    assert sum(dumped["prevalence"].values()) == pytest.approx(1)
    # Sorted unordered pairs; the reference is always b.
    assert [(p["a"], p["b"]) for p in dumped["pairs"]] == [
        ("judge", "human"),
        ("zed", "human"),
        ("judge", "zed"),
    ]
    for pair in dumped["pairs"]:
        assert set(pair) >= PAIR_KEYS
        for key in ("raw_agreement", "cohen_kappa", "gwet_ac1", "krippendorff_alpha"):
            assert set(pair[key]) == INTERVAL_KEYS
            assert pair[key]["n"] == pair["n"]
        assert pair["weighted_kappa_linear"] is None
        assert pair["weighted_kappa_quadratic"] is None
        assert pair["confusion"]["labels"] == ["fail", "pass"]
        assert sum(map(sum, pair["confusion"]["matrix"])) == pair["n"]
        assert set(pair["prevalence_a"]) == set(pair["prevalence_b"]) == {"fail", "pass"}
    judge = dumped["pairs"][0]
    assert judge["n"] == 120
    rows = _rows()
    by = {(i, r): lab for i, r, lab in rows}
    items = sorted({i for i, _, _ in rows})
    judge_labels = [by[(i, "judge")] for i in items]
    human_labels = [by[(i, "human")] for i in items]
    assert judge["cohen_kappa"]["estimate"] == pytest.approx(
        _sklearn_kappa(judge_labels, human_labels, None)
    )
    tpr, tnr = ag.tpr_tnr(judge_labels, human_labels, "pass")
    assert (judge["tpr"], judge["tnr"]) == (pytest.approx(tpr), pytest.approx(tnr))
    everyone = dumped["all"]
    assert everyone["n_raters"] == 3
    assert set(everyone["krippendorff_alpha"]) == INTERVAL_KEYS
    assert set(everyone["gwet_ac1"]) == INTERVAL_KEYS
    assert everyone["fleiss_kappa"] is None  # zed skipped some items
    assert "same number of ratings" in everyone["fleiss_kappa_note"]
    text = to_text(report)
    assert "judge vs human" in text and "Cohen's kappa" in text and "Fleiss" in text


def test_report_complete_design_has_fleiss_and_ordinal_weights():
    rows = [
        (f"i{i}", rater, str(label))
        for i, labels in enumerate([[1, 2, 2], [3, 3, 3], [9, 10, 10], [2, 1, 2], [10, 10, 9]])
        for rater, label in zip(["r1", "r2", "r3"], labels, strict=True)
    ]
    report = build_agreement_report(rows, level="ordinal", resamples=100)
    assert report.categories == ["1", "2", "3", "9", "10"]
    assert report.all.fleiss_kappa is not None and report.all.fleiss_kappa_note is None
    assert report.pairs[0].weighted_kappa_quadratic is not None
    assert report.pairs[0].tpr is None  # five categories and no positive label
    matrix = [
        [str(x) for x in row] for row in [[1, 2, 2], [3, 3, 3], [9, 10, 10], [2, 1, 2], [10, 10, 9]]
    ]
    assert report.all.krippendorff_alpha.estimate == pytest.approx(
        ag.krippendorff_alpha(matrix, level="ordinal", categories=report.categories)
    )


def test_report_input_errors():
    with pytest.raises(ValueError, match=r"'item1'.*'judge'"):
        build_agreement_report(
            [("item1", "judge", "pass"), ("item1", "judge", "fail")], resamples=10
        )
    # The same label twice is just a repeated row.
    report = build_agreement_report(
        [("i", "a", "x"), ("i", "a", "x"), ("i", "b", "y"), ("j", "a", "y"), ("j", "b", "y")],
        resamples=10,
    )
    assert report.pairs[0].n == 2
    with pytest.raises(ValueError, match="categories"):
        build_agreement_report([("i", "a", "low"), ("i", "b", "high")], level="ordinal")
    with pytest.raises(ValueError, match="reference"):
        build_agreement_report([("i", "a", "x")], reference="nobody")
    with pytest.raises(ValueError, match="not among the categories"):
        build_agreement_report([("i", "a", "x")], categories=["y"])
    ordinal = build_agreement_report(
        [("i", "a", "low"), ("i", "b", "high"), ("j", "a", "mid"), ("j", "b", "mid")],
        level="ordinal",
        categories=["low", "mid", "high"],
        positive="high",
        resamples=10,
    )
    assert ordinal.pairs[0].positive == "high"
    assert ordinal.pairs[0].confusion.matrix == [[0, 0, 1], [0, 1, 0], [0, 0, 0]]
