"""The simulator's one-line summary that judges read."""

from __future__ import annotations

import json

from evalwheel.apps.interface import AppOutput
from evalwheel.core.example import Example
from evalwheel_flow import DATA_DIR
from evalwheel_flow.app import APP
from evalwheel_flow.simulation_summary import simulate_summary
from evalwheel_flow.workflow import Workflow


def _golden(n: int) -> list[dict]:
    with open(DATA_DIR / "golden.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for _, line in zip(range(n), f, strict=False)]


def test_summary_counts_events_actions_and_effects() -> None:
    row = _golden(1)[0]  # "When an order number starts with #W, tag it test."
    summary = simulate_summary(Workflow.from_data(row["output"]))
    events = int(summary.split()[0])
    acted = int(summary.split("actions ran on ")[1].split(",")[0])
    assert 0 < acted < events  # the prefix condition filters some events, not all
    assert 'add_order_tags(tags=["test"])' in summary


def test_a_condition_that_never_filters_shows_in_the_summary() -> None:
    row = _golden(1)[0]
    data = json.loads(json.dumps(row["output"]))
    steps = data["root"]["steps"]
    data["root"]["steps"] = [s for s in steps if s["task_type"] != "CONDITION"]
    data["root"]["links"] = [
        {
            "from_port_id": "output",
            "from_step_id": "trigger",
            "to_port_id": "input",
            "to_step_id": "action1",
        }
    ]
    summary = simulate_summary(Workflow.from_data(data))
    events = int(summary.split()[0])
    assert f"actions ran on {events}," in summary


def test_render_includes_validator_and_simulator() -> None:
    row = _golden(1)[0]
    text = APP.render(Example(id="x", input=row["input"]), AppOutput(artifact=row["output"]))
    assert "Validator: no errors or warnings" in text and "Simulator: " in text


def test_rendering_is_the_same_in_every_process() -> None:
    """The judge's prompt (and so its call-cache key) must not depend on string hash seeds."""
    import os
    import subprocess
    import sys

    script = (
        "import json, hashlib\n"
        "from evalwheel_flow import DATA_DIR\n"
        "from evalwheel_flow.app import APP\n"
        "from evalwheel.core.example import Example\n"
        "from evalwheel.apps.interface import AppOutput\n"
        "h = hashlib.sha256()\n"
        "for line in list(open(DATA_DIR / 'golden.jsonl'))[:40]:\n"
        "    row = json.loads(line)\n"
        "    h.update(APP.render(Example(id='x', input=row['input']), AppOutput(artifact=row['output'])).encode())\n"
        "print(h.hexdigest())\n"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    assert len(digests) == 1
