"""The benchmark-to-production gap: one system's benchmark pass rate beside its judged pass rate on
traffic, and the MOVER/Newcombe interval of the difference (cross-checked with statsmodels)."""

from __future__ import annotations

import pytest
from statsmodels.stats.proportion import confint_proportions_2indep

import evalwheel as ew
from evalwheel.api import mirroring
from evalwheel.errors import InputError
from evalwheel.mirror.gap import difference
from evalwheel.project import Project
from evalwheel.stats.intervals import wilson


@pytest.mark.parametrize(("a", "n", "b", "m"), [(30, 40, 5, 45), (3, 4, 2, 18), (0, 10, 9, 10)])
def test_difference_is_newcombes_hybrid_score_interval(a: int, n: int, b: int, m: int) -> None:
    got = difference(wilson(a, n), wilson(b, m))
    low, high = confint_proportions_2indep(a, n, b, m, method="newcomb", compare="diff")
    assert got.estimate == pytest.approx(a / n - b / m)
    assert (got.ci_low, got.ci_high) == (pytest.approx(low), pytest.approx(high))


def test_gap_of_one_system_on_benchmark_and_traffic(mirror_project: Project) -> None:
    root = mirror_project.root
    text = mirror_project.config_path.read_text()
    mirror_project.config_path.write_text(
        text + '\n[judges.point]\nmodel = "judge"\nrubric = "Good?"\nlabels = ["good", "bad"]\n'
    )
    bench = [
        {"id": f"b{i}", "input": f"same {i}", "reference": f"ok same {i}"} for i in range(3)
    ] + [{"id": "b3", "input": "same 9", "reference": "something else"}]
    ew.import_examples(bench, "bench", project=root)
    b_run = ew.evaluate("cur", "bench", scorers=["exact_match"], project=root)
    gap = mirroring.mirror_gap(
        "cur",
        benchmark="bench",
        traffic="traffic",
        judge="point",
        split=None,
        scorers=["exact_match"],
        allow_untrusted_judge=True,
        project=root,
    )
    assert gap.benchmark.estimate == pytest.approx(0.75) and gap.benchmark.n == 4
    # The current system says GOOD on the two regress items only: the judge passes 2 of 18.
    assert gap.traffic.estimate == pytest.approx(2 / 18) and gap.traffic.n == 18
    assert gap.traffic_corrected is False and "no calibration" in gap.notes[0]
    assert gap.gap.estimate == pytest.approx(0.75 - 2 / 18)
    assert gap.gap.ci_low is not None and 0 < gap.gap.ci_low < gap.gap.estimate
    again = mirroring.gap_from_runs(gap.benchmark_run, gap.traffic_run, "point", project=root)
    assert again.gap == gap.gap
    with pytest.raises(InputError, match="different systems"):
        other = ew.evaluate("cand", "bench", scorers=["exact_match"], project=root)
        mirroring.gap_from_runs(other.run_id, gap.traffic_run, "point", project=root)
    assert b_run.complete
