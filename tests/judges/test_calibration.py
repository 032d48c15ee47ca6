"""Calibration end to end, through the CLI, against a scripted judge model behind a real local HTTP
server whose verdicts change with the few-shot examples and criteria it is given."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from evalwheel.testing.scripted_judge import ScriptedJudgeServer
from tests.helpers import cli, cli_json
from tests.judges.golden_data import judge_config, make_golden


@pytest.fixture
def golden_project(sqlite_project, tmp_path: Path):
    with ScriptedJudgeServer() as url:
        config = sqlite_project.config_path
        config.write_text(config.read_text() + judge_config(url), encoding="utf-8")
        items, labels = make_golden(tmp_path)
        assert cli("dataset", "import", items, "--name", "gold", "--kind", "golden").exit_code == 0
        assert cli("labels", "import", labels, "--dataset", "gold").exit_code == 0
        yield sqlite_project


def test_the_loop_improves_a_learnable_judge_and_promotes_it(golden_project) -> None:
    result = cli(
        "calibrate",
        "--judge",
        "scripted-quality",
        "--golden",
        "gold",
        "--target-kappa",
        "0.95",
        "--resamples",
        "500",
        "--json",
    )
    assert result.exit_code == 0, result.stderr
    import json

    data = json.loads(result.stdout)
    calibration = data["calibration"]
    trail = [e["dev_kappa"] for e in calibration["iterations"] if e["chosen"]]
    assert trail[0] is not None and trail[0] < 0.2  # "good" for everything: chance level
    assert trail[-1] >= 0.95 and len(trail) >= 2
    assert all(b > a for a, b in itertools.pairwise(trail))
    optimisers = {e["optimiser"] for e in calibration["iterations"]}
    assert {"baseline", "fewshot", "rubric"} <= optimisers
    test = calibration["metrics"]["test"]
    assert test["vs_reference"]["cohen_kappa"]["estimate"] >= 0.95
    assert set(test["vs_humans"]) == {"ann_a", "ann_b"}
    assert test["human_pairs"]["ann_a~ann_b"]["cohen_kappa"]["estimate"] > 0.5
    assert calibration["trusted"] is True and calibration["gate"]["passed"] is True
    assert calibration["metrics"]["stop_reason"] in ("target", "ceiling")
    # The chosen judge is pinned: `judge show` reports it trusted, with its trail.
    shown = cli_json("judge", "show", "scripted-quality")
    assert shown["trusted"] is True and shown["version"] == data["version"]
    assert shown["calibrations"][0]["kappa_trail"] == trail
    # No drift when nothing changed (the model is called again, not the cache).
    drift = cli("judge", "drift", "--judge", "scripted-quality")
    assert drift.exit_code == 0, drift.stdout + drift.stderr
    assert "no drift" in drift.stdout


def test_default_settings_promote_and_drift_straight_after_passes(golden_project) -> None:
    """The loop stops on the gate's own criterion read on dev (not on the dev point estimate),
    so with every default the scripted judge is promoted, and a drift check right after finds
    the items calibration measured and no drift."""
    result = cli("calibrate", "--judge", "scripted-quality", "--golden", "gold")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert (
        "why it stopped: dev meets the gate's criterion (lower bound of dev kappa" in result.stdout
    )
    assert "promotion gate: TRUSTED" in result.stdout
    drift = cli("judge", "drift", "--judge", "scripted-quality")
    assert drift.exit_code == 0, drift.stdout + drift.stderr
    assert "n=60" in drift.stdout and "no drift" in drift.stdout


def test_a_gate_that_cannot_pass_is_said_before_any_call_and_after(golden_project) -> None:
    result = cli(
        "calibrate", "--judge", "scripted-quality", "--golden", "gold", "--split", "0.6,0.3,0.1"
    )
    assert result.exit_code == 1
    blocker = "the test split has 20 items; the gate needs 50"
    assert f"note: the gate cannot pass on this split: {blocker}" in result.stderr
    assert "not trusted: only 20 test items" in result.stdout
    assert f"known before any call: {blocker}" in result.stdout
    assert "why it stopped:" in result.stdout


def test_measure_only_reports_honestly_and_refuses_promotion(golden_project) -> None:
    result = cli(
        "calibrate",
        "--judge",
        "scripted-quality",
        "--golden",
        "gold",
        "--max-iterations",
        "0",
        "--resamples",
        "500",
    )
    assert result.exit_code == 1  # not promoted
    assert "not trusted" in result.stdout
    assert "human ceiling ann_a~ann_b" in result.stdout
    listing = cli_json("judge", "list")
    entry = next(j for j in listing if j["name"] == "scripted-quality")
    assert entry["trusted"] is False


def test_drift_is_detected_when_the_model_changes(golden_project, tmp_path: Path) -> None:
    assert (
        cli(
            "calibrate",
            "--judge",
            "scripted-quality",
            "--golden",
            "gold",
            "--target-kappa",
            "0.95",
            "--resamples",
            "500",
        ).exit_code
        == 0
    )
    # The endpoint now serves a model that has forgotten what two flaws mean. The endpoint is not
    # part of the judge's hash (the model name is), so the calibrated pin still holds.
    server = ScriptedJudgeServer()
    server.model.forget = {"wrong_tag", "threshold"}
    with server as url:
        config = golden_project.config_path
        text = config.read_text()
        start = text.index('\nbase_url = "') + len('\nbase_url = "')
        config.write_text(text.replace(text[start : text.index('"', start)], url), encoding="utf-8")
        drift = cli("judge", "drift", "--judge", "scripted-quality", "--json")
    assert server.model.requests > 0  # called again, not answered from the cache
    assert drift.exit_code == 1, drift.stdout + drift.stderr
    import json

    report = json.loads(drift.stdout)
    assert report["drifted"] and report["flipped"] > 0
    assert report["kappa_after"] < report["kappa_before"]
    # Drift withdraws trust: runs and gates now refuse the judge.
    listing = cli_json("judge", "list")
    assert next(j for j in listing if j["name"] == "scripted-quality")["trusted"] is False
    # An endpoint that does not answer is not drift: the check is incomplete (exit 2).
    text = golden_project.config_path.read_text()
    start = text.index('\nbase_url = "') + len('\nbase_url = "')
    dead = text.replace(text[start : text.index('"', start)], "http://127.0.0.1:9/v1")
    golden_project.config_path.write_text(dead, encoding="utf-8")
    down = cli("judge", "drift", "--judge", "scripted-quality")
    assert down.exit_code == 2 and "incomplete" in down.stderr


def test_a_panel_reports_members_arbiter_and_escalations(golden_project) -> None:
    config = golden_project.config_path
    base = config.read_text()
    url = base.split('\nbase_url = "')[1].split('"')[0]
    knows = {
        "tags": "An output with flaw wrong_tag is bad.",
        "extras": "An output with flaw extra_action is needs_improvement.",
    }
    extra = ""
    for name, criterion in knows.items():
        extra += f"""
[judges.{name}]
model = "scripted"
rubric = "Is the automation right?"
criteria = ["{criterion}"]
"""
    extra += """
[judges.arbiter]
model = "scripted"
rubric = "Is the automation right?"
criteria = ["An output with flaw wrong_tag is bad.", "An output with flaw extra_action is needs_improvement.", "An output with flaw wrong_trigger is bad.", "An output with flaw threshold is bad."]

[judges.panel]
kind = "panel"
members = ["tags", "extras"]
arbiter = "arbiter"
"""
    assert url
    config.write_text(base + extra, encoding="utf-8")
    result = cli_json("calibrate", "--judge", "panel", "--golden", "gold", "--resamples", "300")
    assert set(result["members"]) == {"tags", "extras"}
    panel = result["panel"]
    # Members disagree exactly on the flaws only one of them knows: the arbiter settles those.
    assert panel["arbiter_calls"] > 0 and panel["n_escalated"] == 0
    best_member = max(m["cohen_kappa"]["estimate"] for m in result["members"].values())
    assert panel["cohen_kappa_all_items"]["estimate"] > best_member
