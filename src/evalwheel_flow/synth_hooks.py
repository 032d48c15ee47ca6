"""Flow's hooks for synthetic data: a workflow in plain English for the request writer, the
literals a faithful request must mention, the ideal tool trajectory from request to workflow, and
the replay of a trajectory through a fresh ``ToolBox``.

The trajectory is built by calling the real tools, so every tool result in it is what the agent
would have seen; the order is the one ``TOOLS_PROMPT`` teaches: find the trigger and the actions,
describe the actions, look up the condition fields, validate, create.
"""

from __future__ import annotations

import json
import re
from typing import Any

from evalwheel_flow.agent.compact import compact_or_reason
from evalwheel_flow.agent.tools import ToolBox
from evalwheel_flow.catalog import load_catalog
from evalwheel_flow.catalog.catalog import Catalog
from evalwheel_flow.conditions import ConditionSyntaxError, parse
from evalwheel_flow.conditions.ast import Comparison, Expr, Logical, Quantifier, Unary
from evalwheel_flow.workflow import Workflow

_OPS = {
    "==": "is",
    "!=": "is not",
    ">": "is more than",
    ">=": "is at least",
    "<": "is less than",
    "<=": "is at most",
    "include?": "contains",
    "not_include?": "does not contain",
    "start_with?": "starts with",
    "not_start_with?": "does not start with",
    "end_with?": "ends with",
    "not_end_with?": "does not end with",
    "in?": "is one of",
    "not_in?": "is not one of",
    "empty_or_nil?": "is empty",
    "not_empty_and_not_nil?": "is not empty",
    "nil?": "is missing",
    "not_nil?": "is present",
}
_QUANTIFIERS = {"any?": "any", "all?": "every", "none?": "no"}
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NOISE = {"set", "shop", "money", "v2"}
_STEP_KEYS = ("before", "actions", "else_actions")
DONE_MESSAGE = "Done: the workflow is created and validates."


class NoTrajectory(ValueError):
    """A workflow the agent's tools cannot build (it has no compact form); the message says why."""


def compact_of(artifact: Any, catalog: Catalog | None = None) -> dict[str, Any]:
    """The workflow's compact form without ``outcome`` (what ``create_workflow`` takes)."""
    compact, reason = compact_or_reason(Workflow.from_data(artifact), catalog or load_catalog())
    if compact is None:
        raise NoTrajectory(f"this workflow has no compact form for create_workflow: {reason}")
    return {k: v for k, v in compact.items() if k != "outcome"}


def _path_words(parts: tuple[str, ...], loop_vars: dict[str, str]) -> str:
    head, *rest = parts
    words = [loop_vars.get(head, head)]
    for part in rest:
        words += [w.lower() for w in _CAMEL.split(part) if w.lower() not in _NOISE]
    return " ".join(words)


def _literal(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    return json.dumps(value)


def _expr_words(expr: Expr, loop_vars: dict[str, str]) -> str:
    if isinstance(expr, Comparison):
        return (
            f"{_path_words(expr.lhs.parts, loop_vars)} {_OPS[expr.op]} {_literal(expr.rhs.value)}"
        )
    if isinstance(expr, Unary):
        return f"{_path_words(expr.lhs.parts, loop_vars)} {_OPS[expr.op]}"
    if isinstance(expr, Quantifier):
        item = " ".join(w.lower() for w in _CAMEL.split(expr.path.parts[-1])).removesuffix("s")
        where = _path_words(expr.path.parts, loop_vars)
        body = _expr_words(expr.body, {**loop_vars, expr.var: item})
        return f"{_QUANTIFIERS[expr.op]} {item} of {where} where {body}"
    joiner = " and " if expr.op == "&&" else " or "
    return "(" + joiner.join(_expr_words(e, loop_vars) for e in expr.items) + ")"


def condition_words(text: str) -> str:
    """A condition in words, its literal values quoted (unparseable text is given as it is)."""
    try:
        return _expr_words(parse(text), {})
    except ConditionSyntaxError:
        return text


def _step_words(step: dict[str, Any], catalog: Catalog) -> str:
    handle = step.get("action")
    if handle == "wait":
        return f"wait {step.get('duration_minutes')} minutes"
    if handle == "foreach":
        inner = _block_words(step, catalog)
        return f"for each item of {step.get('list')}: {inner}"
    if handle == "if":
        return "then check: " + _block_words(step, catalog)
    task = catalog.task(f"shopify::admin::{handle}")
    name = task.name if task else str(handle)
    values = [f"{k} {_literal(v)}" for k, v in step.items() if k != "action"]
    return name + (f" ({', '.join(values)})" if values else "")


def _block_words(block: dict[str, Any], catalog: Catalog) -> str:
    parts = []
    if block.get("before"):
        parts.append("first " + "; ".join(_step_words(s, catalog) for s in block["before"]))
    conditions = block.get("conditions") or []
    if conditions:
        parts.append("if " + " and ".join(condition_words(c) for c in conditions))
    actions = "; ".join(_step_words(s, catalog) for s in block.get("actions") or [])
    parts.append(("then " if conditions else "") + actions)
    if block.get("else_actions"):
        parts.append(
            "otherwise " + "; ".join(_step_words(s, catalog) for s in block["else_actions"])
        )
    return ", ".join(parts)


def describe_artifact(artifact: Any) -> str:
    """The workflow in plain English: the trigger, the conditions with their literal values, the
    actions with theirs."""
    catalog = load_catalog()
    compact = compact_of(artifact, catalog)
    trigger = catalog.task(f"shopify::admin::{compact['trigger']}")
    when = trigger.name if trigger else compact["trigger"]
    recurrence = f" ({compact['recurrence']})" if compact.get("recurrence") else ""
    return f"When {when}{recurrence}: {_block_words(compact, catalog)}."


def _condition_literals(text: str) -> list[str]:
    try:
        expr = parse(text)
    except ConditionSyntaxError:
        return []
    found: list[str] = []

    def walk(node: Expr) -> None:
        if isinstance(node, Comparison):
            value = node.rhs.value
            if isinstance(value, str):
                found.extend(v.strip() for v in value.split(",") if v.strip())
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                found.append(_number(value))
        elif isinstance(node, Quantifier):
            walk(node.body)
        elif isinstance(node, Logical):
            for item in node.items:
                walk(item)

    walk(expr)
    return found


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _step_literals(step: dict[str, Any], catalog: Catalog) -> list[str]:
    handle = step.get("action")
    if handle in ("foreach", "if"):
        return _block_literals(step, catalog)
    if handle == "wait":
        return [_number(step["duration_minutes"])] if "duration_minutes" in step else []
    task = catalog.task(f"shopify::admin::{handle}")
    found: list[str] = []
    for name, value in step.items():
        spec = task.config_fields.get(name) if task else None
        if name == "action" or spec is None or spec.enum or spec.free or spec.hidden:
            continue
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, bool):
                continue
            if isinstance(item, (int, float)):
                found.append(_number(item))
            elif isinstance(item, str) and item.strip() and "{{" not in item and len(item) <= 40:
                found.append(item.strip())
    return found


def _block_literals(block: dict[str, Any], catalog: Catalog) -> list[str]:
    found: list[str] = []
    for condition in block.get("conditions") or []:
        found += _condition_literals(condition)
    for key in _STEP_KEYS:
        for step in block.get(key) or []:
            found += _step_literals(step, catalog)
    return found


def artifact_facts(artifact: Any) -> list[str]:
    """The literals a faithful request must mention: condition values (each of a list), tags,
    addresses, amounts and short texts the actions set (not enum choices, Liquid templates or
    free wording, which a merchant would not spell out)."""
    catalog = load_catalog()
    return list(dict.fromkeys(_block_literals(compact_of(artifact, catalog), catalog)))


def _condition_paths(text: str) -> list[tuple[str, ...]]:
    try:
        expr = parse(text)
    except ConditionSyntaxError:
        return []
    paths: list[tuple[str, ...]] = []

    def walk(node: Expr, bound: frozenset[str]) -> None:
        if isinstance(node, (Comparison, Unary)):
            parts = node.lhs.parts
            if parts[0] not in bound:
                paths.append(parts)
        elif isinstance(node, Quantifier):
            if node.path.parts[0] not in bound:
                paths.append(node.path.parts)
            walk(node.body, bound | {node.var})
        else:
            for item in node.items:
                walk(item, bound)

    walk(expr, frozenset())
    return paths


def _all_conditions(block: dict[str, Any]) -> list[str]:
    found = list(block.get("conditions") or [])
    for key in _STEP_KEYS:
        for step in block.get(key) or []:
            if step.get("action") in ("foreach", "if"):
                found += _all_conditions(step)
    return found


def _all_actions(block: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for key in _STEP_KEYS:
        for step in block.get(key) or []:
            handle = step.get("action")
            if handle in ("foreach", "if"):
                found += _all_actions(step)
            elif handle != "wait":
                found.append(str(handle))
    return found


def _planned_calls(compact: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    trigger = compact["trigger"]
    actions = list(dict.fromkeys(_all_actions(compact)))
    calls: list[tuple[str, dict[str, Any]]] = [
        ("search_tasks", {"query": trigger.replace("_", " "), "task_type": "TRIGGER"})
    ]
    calls += [
        ("search_tasks", {"query": a.replace("_", " "), "task_type": "ACTION"}) for a in actions
    ]
    calls += [("describe_task", {"handle": a}) for a in actions]
    queries = []
    for condition in _all_conditions(compact):
        for parts in _condition_paths(condition):
            queries.append(" ".join(parts[1:] or parts))
    calls += [
        ("search_data_paths", {"trigger": trigger, "query": q}) for q in dict.fromkeys(queries)
    ]
    calls += [("validate_workflow", compact), ("create_workflow", compact)]
    return calls


def _call_messages(
    toolbox: ToolBox, number: int, name: str, arguments: dict[str, Any]
) -> list[dict[str, Any]]:
    call_id = f"call_{number}"
    text = json.dumps(arguments)
    return [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": call_id, "type": "function", "function": {"name": name, "arguments": text}}
            ],
        },
        {"role": "tool", "tool_call_id": call_id, "content": toolbox.call(name, text)},
    ]


def ideal_trajectory(
    request: str, artifact: Any, clarification: str | None = None
) -> list[dict[str, Any]]:
    """The agent's ideal conversation from ``request`` to ``artifact``, with the real tool results.
    With ``clarification`` the request was too vague: the agent first asks the merchant, whose
    answer is ``clarification``, then builds the workflow."""
    catalog = load_catalog()
    compact = compact_of(artifact, catalog)
    toolbox = ToolBox(catalog)
    messages: list[dict[str, Any]] = [{"role": "user", "content": request}]
    number = 0
    if clarification is not None:
        number += 1
        question = {
            "question": "Which exact values should the workflow use (what triggers it, which "
            "conditions, and what it should do)?"
        }
        messages += _call_messages(toolbox, number, "ask_merchant", question)
        messages.append({"role": "user", "content": clarification})
        toolbox.question = None
    for name, arguments in _planned_calls(compact):
        number += 1
        messages += _call_messages(toolbox, number, name, arguments)
    if toolbox.created is None:
        raise NoTrajectory(f"the tools did not create the workflow: {toolbox.calls[-1]['result']}")
    messages.append({"role": "assistant", "content": DONE_MESSAGE})
    return messages


def execute_trajectory(messages: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Run every tool call of a trajectory through a fresh ``ToolBox``, in order; the workflow the
    last successful ``create_workflow`` made (None when none did)."""
    toolbox = ToolBox(load_catalog())
    for message in messages:
        if message.get("role") != "assistant":
            continue
        for call in message.get("tool_calls") or []:
            function = call.get("function") or {}
            toolbox.call(str(function.get("name")), str(function.get("arguments") or "{}"))
    return None if toolbox.created is None else toolbox.created.to_data()
