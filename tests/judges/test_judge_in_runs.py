"""The judge tier in runs and gates: judge scorers record label and rationale, untrusted judges are
refused unless allowed, and a merge gate thresholds on a judge score."""

from __future__ import annotations

import json
from pathlib import Path

from evalwheel.testing.openai_stub import StubServer
from evalwheel.testing.scripted_judge import ScriptedJudgeServer
from tests.helpers import cli, cli_json, write_jsonl
from tests.judges.golden_data import judge_config, make_golden

ANSWER = {
    "outcome": "workflow",
    "trigger": "order_created",
    "conditions": [],
    "actions": [{"action": "add_order_tags", "tags": ["vip"]}],
}


def _items(tmp_path: Path) -> Path:
    rows = []
    for i in range(6):
        flaw = "none" if i % 2 == 0 else "wrong_tag"
        rows.append(
            {
                "id": f"r-{i}",
                "request": f'Tag every new order vip ("flaw": "{flaw}") [[reply:{json.dumps(ANSWER)}]]',
                "expect": "workflow",
                "tags": [flaw],
            }
        )
    return write_jsonl(tmp_path / "bench.jsonl", rows)


def _import_items(tmp_path: Path) -> None:
    command = ("dataset", "import", _items(tmp_path), "-n", "bench", "-k", "benchmark")
    assert cli(*command, "--field", "input=request").exit_code == 0


def _stub_system(url: str) -> str:
    """A Flow system whose model is the stub server (items carry its replies)."""
    return f"""
[models.stub]
base_url = "{url}"
model = "stub"
max_retries = 0

[systems.flow-stub]
app = "flow"
model = "stub"
"""


def test_judge_scores_in_a_run_and_the_merge_gate(sqlite_project, tmp_path: Path) -> None:
    with StubServer() as system_url, ScriptedJudgeServer() as judge_url:
        config = sqlite_project.config_path
        config.write_text(
            config.read_text()
            + judge_config(judge_url, extra='criteria = ["An output with flaw wrong_tag is bad."]')
            + _stub_system(system_url)
            + """
[gates.merge]
system = "flow-stub"
dataset = "bench"
judges = ["scripted-quality"]
thresholds = { "judge:scripted-quality" = 0.4 }
""",
            encoding="utf-8",
        )
        _import_items(tmp_path)
        refused = cli(
            "run",
            "--system",
            "flow-stub",
            "--dataset",
            "bench",
            "--scorer",
            "judge:scripted-quality",
        )
        assert refused.exit_code == 2
        assert "is not trusted: it has never been calibrated" in refused.stderr
        gate_refused = cli("gate", "--tier", "merge")
        assert gate_refused.exit_code == 2 and "not trusted" in gate_refused.stderr

        result = cli_json(
            "run",
            "--system",
            "flow-stub",
            "--dataset",
            "bench",
            "--scorer",
            "judge:scripted-quality",
            "--allow-untrusted-judge",
        )
        judged = result["summary"]["scorers"]["judge:scripted-quality"]
        assert judged["pass_rate"]["n"] == 6
        assert judged["pass_rate"]["estimate"] == 0.5  # the three wrong_tag items are "bad"
        run_id = result["summary"]["run_id"]
        from sqlalchemy import select

        from evalwheel.project import find_project
        from evalwheel.store.tables import ScoreRow

        store = find_project().open_store()
        try:
            with store.read() as session:
                rows = session.scalars(
                    select(ScoreRow).where(
                        ScoreRow.run_id == run_id, ScoreRow.scorer == "judge:scripted-quality"
                    )
                ).all()
                assert sorted(r.label for r in rows) == ["bad"] * 3 + ["good"] * 3
                assert all(r.explanation for r in rows)
        finally:
            store.close()

        # Calibrated and promoted, the judge is used without the override, and its measured
        # TPR/TNR give the judge-corrected pass rate beside the observed one.
        items, labels = make_golden(tmp_path)
        assert cli("dataset", "import", items, "-n", "gold", "-k", "golden").exit_code == 0
        assert cli("labels", "import", labels, "--dataset", "gold").exit_code == 0
        calibrated = cli(
            "calibrate",
            "-j",
            "scripted-quality",
            "-g",
            "gold",
            "--target-kappa",
            "0.95",
            "--resamples",
            "300",
        )
        assert calibrated.exit_code == 0, calibrated.stdout
        trusted = cli_json(
            "run",
            "--system",
            "flow-stub",
            "--dataset",
            "bench",
            "--scorer",
            "judge:scripted-quality",
        )
        entry = trusted["summary"]["scorers"]["judge:scripted-quality"]
        assert entry["pass_rate"]["estimate"] == 0.5
        corrected = entry["corrected_pass_rate"]
        assert corrected["estimate"] == 0.5 and corrected["calibration"].startswith("cal-")
        page = tmp_path / "report.html"
        assert cli("report", trusted["summary"]["run_id"], "-o", page).exit_code == 0
        html = page.read_text()
        assert "corrected for the judge" in html and "judge:scripted-quality: <b>bad</b>" in html

        text = config.read_text().replace(
            'judges = ["scripted-quality"]',
            'judges = ["scripted-quality"]\nallow_untrusted_judge = true',
        )
        config.write_text(text, encoding="utf-8")
        passed = cli("gate", "--tier", "merge")
        assert passed.exit_code == 0, passed.stdout + passed.stderr
        config.write_text(
            text.replace('"judge:scripted-quality" = 0.4', '"judge:scripted-quality" = 0.9'),
            encoding="utf-8",
        )
        failed = cli("gate", "--tier", "merge")
        assert failed.exit_code == 1
        assert "judge:scripted-quality" in failed.stdout


def test_panel_escalations_wait_in_the_queue_until_a_human_decides(
    sqlite_project, tmp_path: Path
) -> None:
    with StubServer() as system_url, ScriptedJudgeServer() as judge_url:
        config = sqlite_project.config_path
        config.write_text(
            config.read_text()
            + judge_config(
                judge_url,
                name="strict",
                extra='criteria = ["An output with flaw wrong_tag is bad."]',
            )
            + """
[judges.lenient]
model = "scripted"
rubric = "Is the automation right for the request?"

[judges.pair]
kind = "panel"
members = ["strict", "lenient"]
"""
            + _stub_system(system_url),
            encoding="utf-8",
        )
        _import_items(tmp_path)
        result = cli_json(
            "run",
            "--system",
            "flow-stub",
            "--dataset",
            "bench",
            "--scorer",
            "judge:pair",
            "--allow-untrusted-judge",
        )
        entry = result["summary"]["scorers"]["judge:pair"]
        # The members agree on the three clean items and split on the three wrong_tag ones.
        assert entry["pass_rate"]["n"] == 3 and entry["not_scored"] == 3
        queue = cli_json("labels", "queue")
        assert len(queue) == 3 and all("panel pair" in q["details"]["source"] for q in queue)
        first = queue[0]["id"]
        assert cli("labels", "resolve", first, "--label", "great", "-a", "ann").exit_code == 2
        done = cli(
            "labels", "resolve", first, "--label", "bad", "-a", "ann", "--rationale", "wrong tag"
        )
        assert done.exit_code == 0, done.stderr
        assert cli("labels", "resolve", first, "--label", "bad", "-a", "ann").exit_code == 2
        shown = cli_json("runs", "show", result["summary"]["run_id"])["scorers"]["judge:pair"]
        assert shown["pass_rate"]["n"] == 4 and shown["not_scored"] == 2
        assert len(cli_json("labels", "queue")) == 2
