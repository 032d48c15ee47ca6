import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evalwheel.stats.intervals import bootstrap_mean, wilson
from evalwheel.stats.pass_k import pass_hat_k


def wilson_by_formula(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


@given(st.integers(1, 500).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_matches_the_closed_form(kn):
    k, n = kn
    est = wilson(k, n)
    low, high = wilson_by_formula(k, n)
    assert est.n == n and est.estimate == pytest.approx(k / n)
    assert est.ci_low == pytest.approx(max(0.0, low), abs=1e-9) and est.ci_high == pytest.approx(
        min(1.0, high), abs=1e-9
    )


def test_empty_sample_has_no_estimate():
    assert wilson(0, 0).estimate is None and bootstrap_mean([]).estimate is None


def test_bootstrap_is_seeded_and_brackets_the_mean():
    values = [0.1, 0.5, 0.9, 0.4, 0.7, 0.3]
    a, b = bootstrap_mean(values, seed=1), bootstrap_mean(values, seed=1)
    assert a == b and a.ci_low < a.estimate < a.ci_high


def test_pass_hat_k_is_the_mean_of_combination_ratios():
    # item 1: 3/4 passes; item 2: 4/4; item 3: 1/4
    tries = [(3, 4), (4, 4), (1, 4)]
    assert pass_hat_k(tries, 1).estimate == pytest.approx((0.75 + 1 + 0.25) / 3)
    assert pass_hat_k(tries, 2).estimate == pytest.approx((3 / 6 + 1 + 0) / 3)
    assert pass_hat_k(tries, 4).estimate == pytest.approx((0 + 1 + 0) / 3)
    assert pass_hat_k([(1, 1)], 2).n == 0  # fewer tries than k: undefined, not zero


def test_mcnemar_exact_and_paired_bootstrap():
    from evalwheel.stats.paired import mcnemar, paired_bootstrap

    a = [True] * 10 + [False] * 10
    b = [True] * 10 + [True] * 8 + [False] * 2
    result = mcnemar(a, b)
    assert (result.only_a, result.only_b, result.both, result.neither) == (0, 8, 10, 2)
    assert result.p_value == pytest.approx(2 * 0.5**8)  # exact two-sided binomial
    assert mcnemar(a, a).p_value is None  # no discordant pairs: nothing to test
    diff = paired_bootstrap([float(x) for x in a], [float(x) for x in b])
    assert diff.difference == pytest.approx(0.4) and diff.ci_low > 0
