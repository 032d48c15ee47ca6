"""The compact answer: a small JSON form of a workflow that a tiny model can produce under a grammar,
and the deterministic conversions between it and the Flow document.

    {"outcome": "workflow", "trigger": "order_created",
     "conditions": ["(order.totalPriceSet.shopMoney.amount > 200)"],
     "actions": [{"action": "add_customer_tags", "tags": ["VIP"]}]}

Conditions are chained (each on the previous one's ``true`` port); actions run in order after the
last one. Resource ids (``customer_id``…) are filled from the trigger's data, as Flow's editor does.
``outcome`` may also be ``clarify`` (with ``question``) or ``refuse`` (with ``message``).
"""

from __future__ import annotations

import json
from typing import Any

from evalwheel_flow.catalog.catalog import Catalog
from evalwheel_flow.workflow import Workflow

ID_FIELD = {
    "customer": "customer_id",
    "order": "order_id",
    "product": "product_id",
    "draftOrder": "draft_order_id",
}
ID_SOURCE = {
    ("customer", "order"): "{{order.customer.id}}",
    ("customer", "customer"): "{{customer.id}}",
    ("customer", "draftOrder"): "{{draftOrder.customer.id}}",
    ("order", "order"): "{{order.id}}",
    ("product", "product"): "{{product.id}}",
    ("draftOrder", "draftOrder"): "{{draftOrder.id}}",
}
T = "shopify::admin::"


def compact_schema(
    catalog: Catalog, triggers: list[str] | None = None, actions: list[str] | None = None
) -> dict[str, Any]:
    """The JSON Schema a tiny model's answer is constrained to (allowed handles may be narrowed)."""
    trigger_handles = triggers or sorted(t.handle for t in catalog.by_type("TRIGGER"))
    action_options = []
    for task in sorted(catalog.by_type("ACTION"), key=lambda t: t.handle):
        if actions and task.handle not in actions:
            continue
        properties: dict[str, Any] = {"action": {"const": task.handle}}
        required = ["action"]
        for name, field in task.config_fields.items():
            if field.hidden:
                continue
            if field.type == "StringList":
                properties[name] = {
                    "type": "array",
                    "items": {"type": "string"},
                    "minItems": 1,
                    "maxItems": 3,
                }
            elif field.type == "Enum" and field.enum:
                properties[name] = {"enum": field.enum}
            elif field.type == "Boolean":
                properties[name] = {"type": "boolean"}
            elif field.type == "Integer":
                properties[name] = {"type": "integer"}
            else:
                properties[name] = {"type": "string"}
            if field.required:
                required.append(name)
        action_options.append({"type": "object", "properties": properties, "required": required})
    return {
        "type": "object",
        "properties": {
            "outcome": {"enum": ["workflow", "clarify", "refuse"]},
            "trigger": {"enum": trigger_handles},
            "conditions": {"type": "array", "items": {"type": "string"}, "maxItems": 2},
            "actions": {
                "type": "array",
                "items": {"anyOf": action_options},
                "minItems": 1,
                "maxItems": 3,
            },
            "question": {"type": "string"},
            "message": {"type": "string"},
        },
        "required": ["outcome", "trigger", "conditions", "actions"],
    }


def to_workflow(answer: dict[str, Any], catalog: Catalog, name: str = "") -> Workflow:
    """Build the Flow document for a compact answer (raises ValueError on unknown tasks)."""
    trigger = catalog.task(T + str(answer.get("trigger")))
    if trigger is None or trigger.task_type != "TRIGGER":
        raise ValueError(f"unknown trigger {answer.get('trigger')!r}")
    steps: list[dict[str, Any]] = [
        {
            "step_id": "trigger",
            "task_id": trigger.task_id,
            "task_version": "0.1",
            "task_type": "TRIGGER",
            "config_field_values": [],
        }
    ]
    links: list[dict[str, Any]] = []
    source, port = "trigger", "output"
    for i, condition in enumerate(answer.get("conditions") or []):
        step_id = f"condition{i + 1}"
        steps.append(
            {
                "step_id": step_id,
                "task_id": "shopify::flow::condition",
                "task_version": "0.1",
                "task_type": "CONDITION",
                "config_field_values": [{"config_field_id": "condition", "value": condition}],
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
    roots = set(trigger.payload)
    for i, action in enumerate(answer.get("actions") or []):
        task = catalog.task(T + str(action.get("action")))
        if task is None or task.task_type != "ACTION":
            raise ValueError(f"unknown action {action.get('action')!r}")
        values = []
        if task.requires:
            source_root = next(
                (
                    r
                    for r in ("order", "customer", "product", "draftOrder")
                    if (task.requires, r) in ID_SOURCE and r in roots
                ),
                None,
            )
            if source_root:
                values.append(
                    {
                        "config_field_id": ID_FIELD[task.requires],
                        "value": ID_SOURCE[(task.requires, source_root)],
                    }
                )
        for key, value in action.items():
            if key == "action" or key not in task.config_fields:
                continue
            if isinstance(value, bool):
                text = "true" if value else "false"
            elif isinstance(value, (list, dict)):
                text = json.dumps(value)
            else:
                text = str(value)
            values.append({"config_field_id": key, "value": text})
        step_id = f"action{i + 1}"
        steps.append(
            {
                "step_id": step_id,
                "task_id": task.task_id,
                "task_version": "0.1",
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
            "root": {"workflow_name": name, "steps": steps, "links": links, "patched_fields": []},
        }
    )


def from_workflow(workflow: Workflow, catalog: Catalog) -> dict[str, Any] | None:
    """The compact form of a linear workflow (trigger → conditions on true → actions), else None."""
    steps = workflow.steps
    triggers = workflow.triggers()
    if len(triggers) != 1:
        return None
    answer: dict[str, Any] = {
        "outcome": "workflow",
        "trigger": triggers[0].task_id.split("::")[-1],
        "conditions": [],
        "actions": [],
    }
    current = triggers[0]
    port = "output"
    while True:
        nxt = workflow.next_steps(current.step_id, port)
        if not nxt:
            break
        if len(nxt) > 1:
            return None
        step = nxt[0]
        if step.task_type == "CONDITION":
            if answer["actions"] or workflow.next_steps(step.step_id, "false"):
                return None
            answer["conditions"].append(step.config().get("condition", ""))
            port = "true"
        elif step.task_type == "ACTION":
            task = catalog.task(step.task_id)
            if task is None:
                return None
            action: dict[str, Any] = {"action": task.handle}
            for key, value in step.config().items():
                field = task.config_fields.get(key)
                if field is None or field.hidden:
                    continue
                if field.type == "StringList":
                    action[key] = json.loads(value)
                elif field.type == "Boolean":
                    action[key] = value == "true"
                elif field.type == "Integer":
                    action[key] = int(value)
                else:
                    action[key] = value
            answer["actions"].append(action)
            port = "output"
        else:
            return None
        current = step
        del steps
        steps = workflow.steps
    return answer if answer["actions"] else None
