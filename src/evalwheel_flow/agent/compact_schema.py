"""The JSON Schema a tiny model's compact answer is decoded under (llama.cpp turns it into a
grammar), and the limits and token budget that go with it. The form itself, and the conversions
between it and the Flow document, are in ``compact.py``.
"""

from __future__ import annotations

from typing import Any

from evalwheel_flow.agent.compact import FOREACH_TASK, WAIT_TASK, field_order
from evalwheel_flow.catalog.catalog import Catalog, ConfigField, Task

# Longest strings the grammar lets a model write (characters), about twice the longest in the
# benchmark's references: a tiny model that starts repeating itself inside a string ("big-spender.
# big-spender.…") is stopped there instead of running into the token budget.
DECISION_TEXT_LIMIT = 200
CONDITION_TEXT_LIMIT = 300
FIELD_TEXT_LIMIT = 200
TAG_LIMIT = 50
MAX_CONDITIONS = 3
MAX_STEPS = 3
# The token budget of one compact answer: at least twice the longest benchmark reference in
# compact form (194 tokens of SmolLM2's tokenizer when set; tests/flow/test_compact.py checks the
# factor), so a correct answer is never cut off; an answer that still is gets its own error.
COMPACT_MAX_TOKENS = 512


def _field_schema(field: ConfigField) -> dict[str, Any]:
    if field.type == "StringList":
        return {"type": "array", "items": {"$ref": "#/$defs/tag"}, "minItems": 1, "maxItems": 3}
    if field.type == "Enum" and field.enum:
        return {"enum": field.enum}
    if field.type == "Boolean":
        return {"type": "boolean"}
    if field.type == "Integer":
        return {"type": "integer"}
    return {"$ref": "#/$defs/string"}


def _task_schema(task: Task, handle: str) -> dict[str, Any]:
    properties: dict[str, Any] = {"action": {"const": handle}}
    for name in field_order(task):
        properties[name] = _field_schema(task.config_fields[name])
    required = ["action", *(n for n in field_order(task) if task.config_fields[n].required)]
    return {"type": "object", "properties": properties, "required": required}


def _conditions_schema() -> dict[str, Any]:
    return {"type": "array", "items": {"$ref": "#/$defs/condition"}, "maxItems": MAX_CONDITIONS}


def _steps_schema(ref: str, min_items: int = 1) -> dict[str, Any]:
    return {
        "type": "array",
        "items": {"$ref": f"#/$defs/{ref}"},
        "minItems": min_items,
        "maxItems": MAX_STEPS,
    }


def compact_schema(
    catalog: Catalog,
    triggers: list[str] | None = None,
    actions: list[str] | None = None,
    clarify: bool = True,
) -> dict[str, Any]:
    """The JSON Schema a tiny model's answer is constrained to (allowed handles may be narrowed).

    One alternative per outcome, so a clarifying question or a refusal needs no trigger or
    actions; workflow alternatives differ only in what comes before the conditions (a trigger's
    own fields, ``before`` steps), because the grammar writes required fields first and in order.
    ``clarify=False`` leaves the question out: an agent that can never ask.
    """
    action_options = [
        _task_schema(task, task.handle)
        for task in sorted(catalog.by_type("ACTION"), key=lambda t: t.handle)
        if not actions or task.handle in actions
    ]
    wait_task, foreach_task = catalog.task(WAIT_TASK), catalog.task(FOREACH_TASK)
    body = list(action_options)
    if wait_task is not None:
        body.append(_task_schema(wait_task, "wait"))
    steps = list(body)
    if foreach_task is not None:
        steps.append(
            {
                "type": "object",
                "properties": {
                    "action": {"const": "foreach"},
                    "list": {"$ref": "#/$defs/string"},
                    "item": {"$ref": "#/$defs/string"},
                    "conditions": _conditions_schema(),
                    "actions": _steps_schema("body"),
                    "else_actions": _steps_schema("body"),
                },
                "required": ["action", "list", "item", "conditions", "actions"],
            }
        )
    branch = {
        "type": "object",
        "properties": {
            "action": {"const": "if"},
            "conditions": {**_conditions_schema(), "minItems": 1},
            "actions": _steps_schema("step"),
            "else_actions": _steps_schema("step"),
        },
        "required": ["action", "conditions", "actions"],
    }
    all_triggers = sorted(catalog.by_type("TRIGGER"), key=lambda t: t.handle)
    allowed = [t for t in all_triggers if not triggers or t.handle in triggers]
    trigger_groups: list[tuple[dict[str, Any], dict[str, Any]]] = []
    plain = [t.handle for t in allowed if not t.config_fields]
    if plain:
        trigger_groups.append(({"enum": plain}, {}))
    for task in allowed:
        if task.config_fields:
            fields = {n: _field_schema(task.config_fields[n]) for n in field_order(task)}
            trigger_groups.append(({"const": task.handle}, fields))
    options: list[dict[str, Any]] = []
    for trigger_schema, trigger_fields in trigger_groups:
        for with_before in (False, True):
            properties: dict[str, Any] = {
                "outcome": {"const": "workflow"},
                "trigger": trigger_schema,
                **trigger_fields,
            }
            if with_before:
                properties["before"] = _steps_schema("step")
            properties["conditions"] = _conditions_schema()
            properties["actions"] = _steps_schema("top")
            properties["else_actions"] = _steps_schema("top")
            options.append(
                {
                    "type": "object",
                    "properties": properties,
                    "required": [p for p in properties if p != "else_actions"],
                }
            )
    for outcome, text in (("clarify", "question"), ("refuse", "message")):
        if outcome == "clarify" and not clarify:
            continue
        options.append(
            {
                "type": "object",
                "properties": {
                    "outcome": {"const": outcome},
                    text: {"$ref": "#/$defs/text"},
                },
                "required": ["outcome", text],
            }
        )
    defs = {
        "body": {"anyOf": body},
        "step": {"anyOf": steps},
        "top": {"anyOf": [*steps, branch]},
        "condition": {"type": "string", "maxLength": CONDITION_TEXT_LIMIT},
        "text": {"type": "string", "minLength": 1, "maxLength": DECISION_TEXT_LIMIT},
        "string": {"type": "string", "maxLength": FIELD_TEXT_LIMIT},
        "tag": {"type": "string", "minLength": 1, "maxLength": TAG_LIMIT},
    }
    return {"$defs": defs, "anyOf": options}
