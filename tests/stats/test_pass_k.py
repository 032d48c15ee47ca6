"""pass^k and pass@k over tasks: the estimator against brute-force enumeration of trial subsets,
and the properties a reliability curve must have."""

import random
from itertools import combinations, pairwise

import pytest

from evalwheel.errors import InputError
from evalwheel.stats.pass_k import pass_at_k_task, pass_hat_k_task, pass_k


def _random_tasks(rng: random.Random, n_tasks: int, trials: int) -> dict[str, list[bool]]:
    return {f"t{i}": [rng.random() < rng.random() for _ in range(trials)] for i in range(n_tasks)}


def _enumerated(trials: list[bool], k: int) -> tuple[float, float]:
    """(all succeed, at least one succeeds) over every k-subset of the trials."""
    subsets = list(combinations(trials, k))
    return (
        sum(all(s) for s in subsets) / len(subsets),
        sum(any(s) for s in subsets) / len(subsets),
    )


@pytest.mark.parametrize("case", range(20))
def test_estimator_equals_brute_force_enumeration_of_k_subsets(case: int) -> None:
    rng = random.Random(case)
    trials = rng.randint(1, 7)
    tasks = _random_tasks(rng, rng.randint(1, 6), trials)
    report = pass_k(tasks, resamples=200)
    assert [r.k for r in report.per_k] == list(range(1, trials + 1))
    for row in report.per_k:
        brute = [_enumerated(t, row.k) for t in tasks.values()]
        assert row.pass_hat_k.estimate == pytest.approx(sum(b[0] for b in brute) / len(brute))
        assert row.pass_at_k.estimate == pytest.approx(sum(b[1] for b in brute) / len(brute))
        assert row.pass_hat_k.n == row.pass_at_k.n == len(tasks)


def test_k1_is_the_mean_success_rate_of_the_tasks() -> None:
    tasks = {"a": [True, False, False, False], "b": [True, True, True, True], "c": [False] * 4}
    first = pass_k(tasks).per_k[0]
    assert first.pass_hat_k.estimate == pytest.approx((0.25 + 1 + 0) / 3)
    assert first.pass_at_k.estimate == pytest.approx((0.25 + 1 + 0) / 3)


def test_known_values_for_k2() -> None:
    # 2 of 4 trials succeed: 1 of the 6 pairs is all successes, 5 of 6 have one.
    assert pass_hat_k_task(2, 4, 2) == pytest.approx(1 / 6)
    assert pass_at_k_task(2, 4, 2) == pytest.approx(5 / 6)


@pytest.mark.parametrize("case", range(10))
def test_pass_hat_k_never_rises_and_pass_at_k_never_falls_with_k(case: int) -> None:
    rng = random.Random(100 + case)
    report = pass_k(_random_tasks(rng, 8, 6), resamples=200)
    hats = [r.pass_hat_k.estimate for r in report.per_k]
    ats = [r.pass_at_k.estimate for r in report.per_k]
    assert all(b <= a + 1e-12 for a, b in pairwise(hats))
    assert all(b >= a - 1e-12 for a, b in pairwise(ats))
    assert hats[0] == pytest.approx(ats[0])


def test_a_task_that_always_succeeds_gives_one_for_every_k() -> None:
    report = pass_k({"sure": [True] * 5})
    for row in report.per_k:
        assert row.pass_hat_k.estimate == 1.0
        assert (row.pass_hat_k.ci_low, row.pass_hat_k.ci_high) == (1.0, 1.0)


def test_a_flaky_task_separates_pass_hat_k_from_pass_at_k() -> None:
    report = pass_k({"flaky": [True, False, True, False]})
    last = report.per_k[-1]
    assert last.pass_hat_k.estimate == 0.0
    assert last.pass_at_k.estimate == 1.0


@pytest.mark.parametrize("case", range(10))
def test_intervals_contain_the_estimate(case: int) -> None:
    rng = random.Random(200 + case)
    report = pass_k(_random_tasks(rng, 15, 4), resamples=2000, seed=case)
    for row in report.per_k:
        for est in (row.pass_hat_k, row.pass_at_k):
            assert est.ci_low <= est.estimate <= est.ci_high
            assert est.ci_low >= 0.0 and est.ci_high <= 1.0


def test_the_interval_is_seeded_and_narrows_with_more_tasks() -> None:
    rng = random.Random(7)
    small = _random_tasks(rng, 10, 3)
    large = {f"{k}-{i}": v for i in range(10) for k, v in small.items()}
    a, b = pass_k(small, seed=3), pass_k(small, seed=3)
    assert a == b
    width = [
        r.pass_hat_k.ci_high - r.pass_hat_k.ci_low for r in (a.per_k[1], pass_k(large).per_k[1])
    ]
    assert width[1] < width[0]


def test_tasks_with_fewer_trials_than_k_are_left_out_and_counted() -> None:
    tasks = {"long": [True, True, False], "short": [False], "none": []}
    report = pass_k(tasks)
    assert (report.n_tasks, report.min_trials, report.max_trials) == (3, 0, 3)
    one, two, three = report.per_k
    assert (one.excluded, two.excluded, three.excluded) == (1, 2, 2)
    assert one.pass_hat_k.n == 2 and one.pass_hat_k.estimate == pytest.approx((2 / 3 + 0) / 2)
    assert two.pass_hat_k.n == 1 and two.pass_hat_k.estimate == pytest.approx(1 / 3)
    assert three.pass_hat_k.estimate == 0.0


def test_max_k_beyond_every_task_reports_nothing_measured_for_that_k() -> None:
    report = pass_k({"a": [True, True]}, max_k=3)
    assert report.per_k[2].pass_hat_k.estimate is None
    assert report.per_k[2].pass_hat_k.n == 0 and report.per_k[2].excluded == 1


def test_bad_input_is_an_input_error() -> None:
    with pytest.raises(InputError, match="max_k"):
        pass_k({"a": [True]}, max_k=0)
    with pytest.raises(InputError, match="true or false"):
        pass_k({"a": [1, 0]})  # type: ignore[list-item]
    with pytest.raises(InputError, match="confidence"):
        pass_k({"a": [True]}, confidence=1.5)
