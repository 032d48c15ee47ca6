"""Long-format label import and the ``agreement`` command."""

from __future__ import annotations

import json
from pathlib import Path

from evalwheel.labels.longformat import LabelFileError, read_labels
from tests.helpers import cli, cli_json, write_jsonl


def test_csv_and_jsonl_read_the_same_rows(tmp_path: Path) -> None:
    csv = tmp_path / "l.csv"
    csv.write_text(
        "item_id,rater,label,rationale\n1,ann,good,fine\n1,bob,bad,\n2,ann,3,\n", encoding="utf-8"
    )
    rows = read_labels(csv)
    assert [(r.item, r.annotator, r.label, r.rationale) for r in rows] == [
        ("1", "ann", "good", "fine"),
        ("1", "bob", "bad", None),
        ("2", "ann", "3", None),
    ]
    jsonl = write_jsonl(
        tmp_path / "l.jsonl",
        [
            {"item": 1, "annotator": "ann", "label": "good", "rationale": "fine"},
            {"item": 1, "annotator": "gold", "label": "good"},
        ],
    )
    rows = read_labels(jsonl)
    assert rows[0].item == "1" and rows[1].adjudicated


def test_bad_rows_name_file_line_and_field(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "bad.jsonl",
        [
            {"item": "a", "annotator": "x", "label": "good"},
            {"item": "a", "annotator": "x", "label": "bad"},
            {"item": "b", "label": "good"},
            {"item": "c", "annotator": "x", "label": "good", "adjudicated": "maybe"},
        ],
    )
    try:
        read_labels(path)
    except LabelFileError as exc:
        problems = exc.problems
    else:
        raise AssertionError("expected errors")
    assert f"{path}:2: label: x already labelled a 'good' on line 1" in problems
    assert f"{path}:3: annotator: required" in problems
    assert any(p.startswith(f"{path}:4: adjudicated: expected true/false") for p in problems)


def test_import_is_additive_and_refuses_silent_changes(project, tmp_path: Path) -> None:
    first = write_jsonl(
        tmp_path / "a.jsonl",
        [
            {"item": "1", "annotator": "ann", "label": "good"},
            {"item": "1", "annotator": "adjudicated", "label": "good", "adjudicated": True},
        ],
    )
    result = cli_json("labels", "import", first, "--dataset", "gold")
    assert result["added"] == 2
    assert cli_json("labels", "import", first, "--dataset", "gold")["unchanged"] == 2
    changed = write_jsonl(tmp_path / "b.jsonl", [{"item": "1", "annotator": "ann", "label": "bad"}])
    refused = cli("labels", "import", changed, "--dataset", "gold")
    assert refused.exit_code == 2
    assert f"{changed}:1: label: ann on 1 is stored as 'good'" in refused.stderr
    listing = cli_json("labels", "list")
    assert listing["gold"] == {"raw": 1, "adjudicated": 1, "items": 1}
    assert cli_json("labels", "import", changed, "--dataset", "gold", "--replace")["replaced"] == 1


def test_agreement_json_shape_and_values(tmp_path: Path) -> None:
    rows = []
    a = ["good", "bad", "good", "bad", "good", "good", "bad", "good"]
    b = ["good", "bad", "bad", "bad", "good", "good", "bad", "good"]
    c = ["good", "bad", "good", "good", "good", "bad", "bad", "good"]
    for i, labels in enumerate(zip(a, b, c, strict=True)):
        for rater, label in zip(("a", "b", "c"), labels, strict=True):
            rows.append({"item": str(i), "annotator": rater, "label": label})
    path = write_jsonl(tmp_path / "l.jsonl", rows)
    report = cli_json(
        "agreement", path, "--resamples", "500", "--reference", "a", "--positive", "good"
    )
    assert report["n_items"] == 8 and report["raters"] == ["a", "b", "c"]
    pair = next(p for p in report["pairs"] if {p["a"], p["b"]} == {"a", "b"})
    assert pair["b"] == "a"  # the reference is always b
    from sklearn.metrics import cohen_kappa_score

    assert abs(pair["cohen_kappa"]["estimate"] - cohen_kappa_score(a, b)) < 1e-12
    assert (
        pair["cohen_kappa"]["ci_low"]
        <= pair["cohen_kappa"]["estimate"]
        <= pair["cohen_kappa"]["ci_high"]
    )
    assert {"krippendorff_alpha", "fleiss_kappa"} <= set(report["all"])
    text = cli("agreement", path, "--resamples", "200")
    assert text.exit_code == 0 and "kappa" in text.stdout.lower()
    assert cli("agreement", path, "--level", "bogus").exit_code == 2
    json.dumps(report)


def test_sample_size_planner_command() -> None:
    balanced = cli_json("judge", "sample-size", "--kappa", "0.6")
    skewed = cli_json("judge", "sample-size", "--kappa", "0.6", "--prevalence", "0.9,0.1")
    assert 200 <= balanced["items"] <= 300 and skewed["items"] > 3 * balanced["items"]
    assert cli("judge", "sample-size", "--prevalence", "0.8,0.3").exit_code == 2
