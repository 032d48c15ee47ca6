"""Building workflows in tests without writing the export format by hand."""

from __future__ import annotations

import json
from typing import Any

from evalwheel_flow.workflow import Workflow

T = "shopify::admin::"


def workflow(
    trigger: str,
    condition: str | None,
    actions: list[tuple[str, dict[str, Any]]],
    conditions: list[str] | None = None,
) -> Workflow:
    """trigger → [condition(s) chained on 'true'] → actions in sequence."""
    steps: list[dict[str, Any]] = [
        {
            "step_id": "trigger",
            "task_id": T + trigger,
            "task_type": "TRIGGER",
            "config_field_values": [],
        }
    ]
    links = []
    source, port = "trigger", "output"
    for i, text in enumerate(([condition] if condition else []) + (conditions or [])):
        step_id = f"condition{i}"
        steps.append(
            {
                "step_id": step_id,
                "task_id": "shopify::flow::condition",
                "task_type": "CONDITION",
                "config_field_values": [{"config_field_id": "condition", "value": text}],
            }
        )
        links.append(
            {
                "from_step_id": source,
                "from_port_id": port,
                "to_step_id": step_id,
                "to_port_id": "input",
            }
        )
        source, port = step_id, "true"
    for i, (task, fields) in enumerate(actions):
        step_id = f"action{i}"
        values = [
            {"config_field_id": k, "value": v if isinstance(v, str) else json.dumps(v)}
            for k, v in fields.items()
        ]
        steps.append(
            {
                "step_id": step_id,
                "task_id": T + task,
                "task_type": "ACTION",
                "config_field_values": values,
            }
        )
        links.append(
            {
                "from_step_id": source,
                "from_port_id": port,
                "to_step_id": step_id,
                "to_port_id": "input",
            }
        )
        source, port = step_id, "output"
    return Workflow.from_data(
        {
            "__metadata": {"version": 0.1},
            "root": {"workflow_name": "t", "steps": steps, "links": links, "patched_fields": []},
        }
    )
