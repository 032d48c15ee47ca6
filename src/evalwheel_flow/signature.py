"""A workflow's structural signature ("skeleton"): what it does with the values left out.

Two workflows share a skeleton when they have the same trigger, the same conditions once the
literals are masked (``> 300`` and ``> 50`` are one shape; ``>`` and ``>=`` are two), the same
action handles and the same graph (which port leads where). A benchmark whose test items share
skeletons with the few-shot bank measures template retrieval, not generalisation, so splits group
by this signature and contamination checks compare it.

Numbers and strings in conditions are masked; ``true``, ``false`` and ``nil`` stay (they decide
the shape). Loop variables are renamed in order of appearance. Action configuration is left out
except what changes the shape: the task handle. The walk from the trigger follows ports in their
fixed order, so step ids and the order of steps in the document do not matter.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from evalwheel_flow.conditions import ConditionSyntaxError, parse
from evalwheel_flow.conditions.ast import Comparison, Expr, Literal, Logical, Quantifier, Unary
from evalwheel_flow.conditions.printer import to_text
from evalwheel_flow.workflow import PORTS, Workflow

MASK = "?"


def mask_condition(text: str) -> str:
    """The condition with its string and number literals replaced by ``?`` (unparseable text is
    kept whole: a broken condition is its own shape)."""
    try:
        expr = parse(text)
    except ConditionSyntaxError:
        return " ".join(text.split())
    return to_text(_mask(expr, {}))


def _rename(path_parts: tuple[str, ...], names: dict[str, str]) -> tuple[str, ...]:
    head = names.get(path_parts[0])
    return (head, *path_parts[1:]) if head else path_parts


def _mask(expr: Expr, names: dict[str, str]) -> Expr:
    if isinstance(expr, Comparison):
        value = expr.rhs.value
        masked = value if value is None or isinstance(value, bool) else MASK
        lhs = type(expr.lhs)(_rename(expr.lhs.parts, names))
        return Comparison(lhs, expr.op, Literal(masked))
    if isinstance(expr, Unary):
        return Unary(type(expr.lhs)(_rename(expr.lhs.parts, names)), expr.op)
    if isinstance(expr, Quantifier):
        inner = {**names, expr.var: f"v{len(names) + 1}"}
        path = type(expr.path)(_rename(expr.path.parts, names))
        return Quantifier(expr.op, path, inner[expr.var], _mask(expr.body, inner))
    assert isinstance(expr, Logical)
    return Logical(expr.op, tuple(_mask(item, names) for item in expr.items))


def _handle(task_id: str) -> str:
    return task_id.split("::")[-1]


def skeleton(workflow: Workflow) -> list[Any]:
    """The skeleton as nested lists: one entry per trigger, each a tree of steps by port."""
    seen: set[str] = set()

    def walk(step_id: str) -> list[Any]:
        step = workflow.steps[step_id]
        if step_id in seen:
            return ["cycle"]
        seen.add(step_id)
        node: list[Any] = [step.task_type, _handle(step.task_id)]
        if step.task_type == "CONDITION":
            node.append(mask_condition(step.config().get("condition", "")))
        elif step.task_type == "FOREACH":
            node.append(step.config().get("list", step.config().get("items", "")))
        for port in PORTS.get(step.task_type, ()):
            children = sorted(
                (walk(nxt.step_id) for nxt in workflow.next_steps(step_id, port)),
                key=json.dumps,
            )
            if children:
                node.append({port: children})
        seen.discard(step_id)
        return node

    return sorted((walk(t.step_id) for t in workflow.triggers()), key=json.dumps)


def skeleton_text(workflow: Workflow) -> str:
    """The skeleton as one canonical JSON line (readable in reports and datasheets)."""
    return json.dumps(skeleton(workflow), separators=(",", ":"), ensure_ascii=False)


def signature(workflow: Workflow | dict[str, Any]) -> str:
    """A short stable id of the skeleton (16 hex digits of its SHA-256)."""
    if not isinstance(workflow, Workflow):
        workflow = Workflow.from_data(workflow)
    return hashlib.sha256(skeleton_text(workflow).encode()).hexdigest()[:16]
