"""The judges' library API without the CLI: typed results, errors as EvalwheelErrors, the stopping
rule agreeing with the gate, and drift measuring exactly what calibration measured."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from evalwheel.errors import EvalwheelError, InputError, NotFoundError
from evalwheel.judges import api
from evalwheel.judges.registry import UntrustedJudge
from evalwheel.project import Project, find_project
from evalwheel.testing.scripted_judge import ScriptedJudgeServer
from tests.helpers import cli, write_jsonl
from tests.judges.golden_data import judge_config, make_golden


def _golden(
    project: Project, tmp_path: Path, *, n: int, adjudicated: bool = True, noise: float = 0.05
) -> None:
    items, labels = make_golden(tmp_path, n=n, noise=noise)
    if not adjudicated:
        rows = [json.loads(line) for line in labels.read_text(encoding="utf-8").splitlines()]
        write_jsonl(labels, [r for r in rows if not r.get("adjudicated")])
    api.import_labels(labels, "gold", project=project)
    assert cli("dataset", "import", items, "--name", "gold", "--kind", "golden").exit_code == 0


@pytest.fixture
def scripted(sqlite_project: Project) -> Iterator[Project]:
    with ScriptedJudgeServer() as url:
        config = sqlite_project.config_path
        config.write_text(config.read_text() + judge_config(url), encoding="utf-8")
        yield find_project(sqlite_project.root)  # read again: the configuration changed


def test_calibrate_returns_typed_results_and_drift_right_after_finds_none(
    scripted: Project, tmp_path: Path
) -> None:
    _golden(scripted, tmp_path, n=200)
    seen: list[list[str]] = []
    result = api.calibrate(
        "scripted-quality",
        "gold",
        project=scripted,
        resamples=500,
        on_start=lambda golden, blockers: seen.append(blockers),
    )
    assert seen == [[]]  # 60 test items, two annotators: nothing blocks the gate
    assert result.trusted and result.gate.passed and result.pinned
    assert result.metrics.stop_reason == "target"
    assert "dev meets the gate's criterion" in result.metrics.stop_detail
    kappa = result.metrics.dev.vs_reference.cohen_kappa
    assert kappa is not None and kappa.ci_low is not None
    assert kappa.ci_low >= result.gate.target_kappa  # stopped on the gate's own criterion
    assert result.metrics.test.n_items == 60 and result.metrics.test.references
    assert result.calibration.metrics["test"]["vs_reference"]["cohen_kappa"]["estimate"] >= 0.6
    listed = {e.name: e for e in api.list_judges(project=scripted)}
    entry = listed["scripted-quality"]
    assert isinstance(entry, api.JudgeEntry) and entry.trusted
    shown = api.show_judge("scripted-quality", project=scripted)
    assert shown.version == result.version and shown.calibrations[0].stop_reason == "target"
    assert "[judges.scripted-quality]" in api.export_judge("scripted-quality", project=scripted)
    drift = api.check_drift("scripted-quality", project=scripted)
    assert not drift.drifted and drift.n == 60 and drift.skipped_no_reference == 0


def test_without_adjudication_drift_skips_what_calibration_skipped(
    scripted: Project, tmp_path: Path
) -> None:
    """Two annotators and no adjudicated label: items where they disagree have no reference. The
    calibration's kappa leaves them out, and so does drift (before, it counted them missing)."""
    _golden(scripted, tmp_path, n=200, adjudicated=False, noise=0.15)
    result = api.calibrate("scripted-quality", "gold", project=scripted, resamples=300)
    test = result.metrics.test
    assert test.n_without_reference > 0
    assert test.vs_reference.n == test.n_items - test.n_without_reference == len(test.references)
    drift = asyncio.run(api.acheck_drift("scripted-quality", project=scripted, resamples=300))
    assert not drift.drifted, drift.reasons
    assert drift.n == test.vs_reference.n
    assert drift.skipped_no_reference == test.n_without_reference


def test_a_small_test_split_is_a_blocker_reported_before_any_call(
    scripted: Project, tmp_path: Path
) -> None:
    _golden(scripted, tmp_path, n=100)
    seen: list[list[str]] = []
    result = api.calibrate(
        "scripted-quality",
        "gold",
        project=scripted,
        resamples=300,
        record=False,
        on_start=lambda golden, blockers: seen.append(blockers),
    )
    assert seen and "the test split has 30 items; the gate needs 50" in seen[0][0]
    assert not result.trusted and result.pinned is None  # nothing recorded
    assert result.gate.blockers == seen[0]
    assert any("only 30 test items" in r for r in result.gate.reasons)
    assert result.metrics.stop_detail  # why it stopped, in words
    assert api.show_judge("scripted-quality", project=scripted).calibrations == []


def test_errors_are_evalwheel_errors_not_exits(scripted: Project, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="unknown judge 'nope'"):
        api.calibrate("nope", "gold", project=scripted)
    with pytest.raises(NotFoundError):
        api.calibrate("scripted-quality", "missing-dataset", project=scripted)
    with pytest.raises(InputError, match="max_iterations"):
        api.calibrate("scripted-quality", "gold", project=scripted, max_iterations=-1)
    with pytest.raises(NotFoundError, match="no calibration"):
        api.check_drift("scripted-quality", project=scripted)
    with pytest.raises(InputError, match="single judge"):
        api.measure_panel("scripted-quality", "gold", project=scripted)
    store = scripted.open_store()
    try:
        with pytest.raises(UntrustedJudge, match="never been calibrated"):
            api.pin_judges(scripted, store, ["scripted-quality"])
        pins = api.pin_judges(scripted, store, ["scripted-quality"], allow_untrusted=True)
        scorers, clients = api.build_judge_scorers(scripted, store, pins)
        assert set(scorers) == {"scripted-quality"} and len(clients) == 1
        with pytest.raises(EvalwheelError, match="pinned 'scripted-quality' as a panel"):
            api.build_judge_scorers(
                scripted, store, {"scripted-quality/x": pins["scripted-quality"]}
            )
    finally:
        store.close()


def test_labels_and_agreement_from_python(sqlite_project: Project, tmp_path: Path) -> None:
    rows = [
        {"item": str(i), "annotator": rater, "label": label}
        for i, (a, b) in enumerate([("good", "good"), ("bad", "bad"), ("good", "bad")] * 4)
        for rater, label in (("ann", a), ("bob", b))
    ]
    path = write_jsonl(tmp_path / "l.jsonl", rows)
    imported = api.import_labels(path, "gold", project=sqlite_project)
    assert imported.added == 24 and imported.annotators == ["ann", "bob"]
    assert api.list_labels(project=sqlite_project)["gold"] == api.LabelCounts(
        raw=24, adjudicated=0, items=12
    )
    from_file = api.agreement(path, resamples=200)
    from_rows = api.agreement(
        [(r["item"], r["annotator"], r["label"]) for r in rows], resamples=200
    )
    assert from_file.model_dump() == from_rows.model_dump()
    from sklearn.metrics import cohen_kappa_score

    ann = [r["label"] for r in rows if r["annotator"] == "ann"]
    bob = [r["label"] for r in rows if r["annotator"] == "bob"]
    assert from_file.pairs[0].cohen_kappa.estimate == pytest.approx(cohen_kappa_score(ann, bob))
    with pytest.raises(InputError, match="no such file"):
        api.agreement(tmp_path / "missing.jsonl")
    with pytest.raises(InputError, match="nominal, ordinal or interval"):
        api.agreement(path, level="bogus")  # type: ignore[arg-type]
    assert api.review_queue(project=sqlite_project) == []
