"""Promotion: a trained candidate is held to a tier's gate against the current system's run, and a
significant regression on any slice keeps it out even when the overall rate rises."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from evalwheel.api.promotion import _slice_checks, promote
from evalwheel.errors import InputError, NotFoundError
from evalwheel.project import Project
from evalwheel.runner.compare import Comparison, ComparisonBlock
from evalwheel.stats.paired import mcnemar, paired_bootstrap
from tests.training.runs import _run
from tests.training.test_trained_registry import _register


def _block(a: list[bool], b: list[bool]) -> ComparisonBlock:
    return ComparisonBlock(
        n=len(a),
        pass_rate_a=sum(a) / len(a),
        pass_rate_b=sum(b) / len(b),
        mcnemar=mcnemar(a, b),
        paired_bootstrap=paired_bootstrap([float(x) for x in a], [float(x) for x in b]),
    )


def test_a_slice_that_drops_significantly_fails_even_when_the_whole_rises() -> None:
    broken = _block([True] * 12, [False] * 12)  # the candidate breaks every item of one slice
    fixed = _block([False] * 40, [True] * 40)
    tiny = _block([True] * 3, [False] * 3)  # too few items to say anything
    comparison = Comparison(
        a="run-base",
        b="run-cand",
        scorer="flow.pass",
        shared_items=52,
        only_in_a=0,
        only_in_b=0,
        overall=_block([True] * 12 + [False] * 40, [False] * 12 + [True] * 40),
        slices={"shape:else": broken, "shape:simple": fixed, "style:terse": tiny},
    )
    checks = {c.check: c for c in _slice_checks(comparison, alpha=0.05, min_n=5)}
    assert set(checks) == {"slice shape:else vs baseline", "slice shape:simple vs baseline"}
    assert not checks["slice shape:else vs baseline"].passed
    assert checks["slice shape:else vs baseline"].regressions == 12
    assert checks["slice shape:simple vs baseline"].passed


def test_promotion_needs_a_baseline_and_a_registered_model(
    sqlite_project: Project, tmp_path: Path
) -> None:
    with sqlite_project.config_path.open("a", encoding="utf-8") as handle:
        handle.write('\n[gates.merge]\nsystem = "flow-local"\ndataset = "d"\n')
        handle.write('thresholds = { "flow.pass" = 0.0 }\n')
    with pytest.raises(NotFoundError, match="flow-nope"):
        promote("flow-nope", project=sqlite_project.root)
    _register(Project.load(sqlite_project.root), tmp_path)
    with pytest.raises(InputError, match="baseline"):
        promote("flow-tuned", project=sqlite_project.root)


@pytest.mark.parametrize(
    ("system", "dataset", "split", "done", "why"),
    [
        ("flow-tuned", "d", "test", True, "not the current system 'flow-local'"),
        ("flow-local", "other", "test", True, "not the gate's dataset 'd'"),
        ("flow-local", "d", "dev", True, "its split is dev"),
        ("flow-local", "d", "test", False, "it is pending"),
    ],
)
def test_the_baseline_must_be_a_finished_run_of_the_current_system_on_the_gates_items(
    sqlite_project: Project,
    tmp_path: Path,
    system: str,
    dataset: str,
    split: str,
    done: bool,
    why: str,
) -> None:
    with sqlite_project.config_path.open("a", encoding="utf-8") as handle:
        handle.write('\n[gates.merge]\nsystem = "flow-local"\ndataset = "d"\nsplit = "test"\n')
        handle.write('thresholds = { "flow.pass" = 0.0 }\n')
    project = Project.load(sqlite_project.root)
    _register(project, tmp_path)
    baseline = _run(project, system, dataset, split, done)
    with pytest.raises(InputError, match=why) as caught:
        promote("flow-tuned", baseline=baseline, project=sqlite_project.root)
    assert caught.value.field == "baseline"


def test_a_candidate_that_only_matches_the_baseline_is_not_an_improvement() -> None:
    from evalwheel.api.promotion import _improvement_check

    same = Comparison(
        a="run-base",
        b="run-cand",
        scorer="flow.pass",
        shared_items=20,
        only_in_a=0,
        only_in_b=0,
        overall=_block([True] * 10 + [False] * 10, [True] * 10 + [False] * 10),
    )
    assert not _improvement_check(same, 0.05).passed
    better = same.model_copy(update={"overall": _block([False] * 20, [True] * 15 + [False] * 5)})
    check = _improvement_check(better, 0.05)
    assert check.passed and check.p_value is not None and check.p_value < 0.05


def test_a_mirror_fails_the_candidate_when_a_check_collapses_on_traffic(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The pairwise judge may leave every pair undecided; the replay runs' own checks still
    say when the candidate breaks production answers."""
    from types import SimpleNamespace

    import evalwheel.api.promotion as promotion
    import evalwheel.runner.aggregate as aggregate
    from evalwheel.core.mirror import MirrorRecord

    blocks = {
        "flow.valid": _block([True] * 20 + [False] * 5, [False] * 20 + [True] * 5),
        "flow.outcome": _block([True] * 25, [True] * 25),
    }

    def fake_compare(store: object, a: str, b: str, scorer: str) -> SimpleNamespace:
        if scorer == "flow.equivalent":
            raise InputError("no scores")
        return SimpleNamespace(overall=blocks[scorer])

    scorers = {"flow.valid": 1, "flow.outcome": 1, "flow.equivalent": 1}
    monkeypatch.setattr(aggregate, "summarize", lambda store, run: SimpleNamespace(scorers=scorers))
    monkeypatch.setattr(promotion, "compare_runs", fake_compare)
    record = MirrorRecord(
        id="mir-1",
        source="replay",
        current="flow-local",
        candidate="flow-tuned",
        runs={"current": "run-a", "candidate": "run-b"},
        created_at=datetime.now(UTC),
    )
    checks = {c.check: c for c in promotion._mirror_scorer_checks(None, record, 0.05)}  # type: ignore[arg-type]
    valid = checks["mirror mir-1: flow.valid on traffic vs the current system"]
    assert not valid.passed and valid.regressions == 20
    assert checks["mirror mir-1: flow.outcome on traffic vs the current system"].passed
    assert len(checks) == 2  # flow.equivalent scored nothing on traffic: no check
