"""Flow documents from a small tree: actions, conditions with both branches, for-each and waits.

The library of intents writes workflows as ``flow(trigger, [nodes...])``; a sequence links its
nodes in order (an ``If`` ends a sequence: what follows it lives in its branches; after an
``Each`` the sequence continues on the ``after`` port). Resource ids of actions are filled from
the trigger's data as Flow's editor does, unless given (inside a loop they are).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from evalwheel_flow.agent.compact import ID_FIELD, ID_SOURCE, config_text
from evalwheel_flow.catalog import load_catalog

CATALOG = load_catalog()
ADMIN = "shopify::admin::"


@dataclass(frozen=True)
class A:
    """An action step: a catalog handle and its visible fields (ids optional)."""

    handle: str
    fields: dict[str, Any] = field(default_factory=dict)


def act(handle: str, **fields: Any) -> A:
    return A(handle, fields)


@dataclass(frozen=True)
class If:
    condition: str
    then: list[Any] = field(default_factory=list)
    otherwise: list[Any] = field(default_factory=list)


@dataclass(frozen=True)
class Each:
    items: str
    var: str
    body: list[Any]


@dataclass(frozen=True)
class Wait:
    minutes: int


class _Builder:
    def __init__(self, trigger: str, recurrence: str | None) -> None:
        task = CATALOG.task(ADMIN + trigger)
        if task is None or task.task_type != "TRIGGER":
            raise ValueError(f"unknown trigger {trigger!r}")
        self.roots = set(task.payload)
        self.counts: Counter[str] = Counter()
        config = (
            [] if recurrence is None else [{"config_field_id": "recurrence", "value": recurrence}]
        )
        self.steps: list[dict[str, Any]] = [
            {
                "step_id": "trigger",
                "task_id": task.task_id,
                "task_version": "0.1",
                "task_type": "TRIGGER",
                "config_field_values": config,
            }
        ]
        self.links: list[dict[str, Any]] = []

    def _step(self, kind: str, task_id: str, task_type: str, values: list[dict[str, str]]) -> str:
        self.counts[kind] += 1
        step_id = f"{kind}{self.counts[kind]}"
        self.steps.append(
            {
                "step_id": step_id,
                "task_id": task_id,
                "task_version": "0.1",
                "task_type": task_type,
                "config_field_values": values,
            }
        )
        return step_id

    def _link(self, source: str, port: str, target: str) -> None:
        self.links.append(
            {
                "from_step_id": source,
                "from_port_id": port,
                "to_step_id": target,
                "to_port_id": "input",
            }
        )

    def _action(self, node: A) -> str:
        task = CATALOG.task(ADMIN + node.handle)
        if task is None or task.task_type != "ACTION":
            raise ValueError(f"unknown action {node.handle!r}")
        values: list[dict[str, str]] = []
        id_field = ID_FIELD.get(task.requires or "")
        if id_field and id_field not in node.fields:
            root = next(
                (
                    r
                    for r in ("order", "customer", "product", "draftOrder")
                    if (task.requires, r) in ID_SOURCE and r in self.roots
                ),
                None,
            )
            if root:
                values.append(
                    {"config_field_id": id_field, "value": ID_SOURCE[(task.requires, root)]}
                )
        for key, value in node.fields.items():
            if key not in task.config_fields:
                raise ValueError(f"{node.handle} has no field {key!r}")
            values.append({"config_field_id": key, "value": config_text(value)})
        return self._step("action", task.task_id, "ACTION", values)

    def sequence(self, source: str, port: str, nodes: list[Any]) -> None:
        for index, node in enumerate(nodes):
            if isinstance(node, A):
                step = self._action(node)
            elif isinstance(node, Wait):
                step = self._step(
                    "wait",
                    "shopify::flow::wait",
                    "WAIT",
                    [{"config_field_id": "duration_minutes", "value": str(node.minutes)}],
                )
            elif isinstance(node, If):
                if index != len(nodes) - 1:
                    raise ValueError("a condition ends its sequence (put what follows in a branch)")
                step = self._step(
                    "condition",
                    "shopify::flow::condition",
                    "CONDITION",
                    [{"config_field_id": "condition", "value": node.condition}],
                )
                self._link(source, port, step)
                self.sequence(step, "true", node.then)
                self.sequence(step, "false", node.otherwise)
                return
            elif isinstance(node, Each):
                step = self._step(
                    "foreach",
                    "shopify::flow::foreach",
                    "FOREACH",
                    [
                        {"config_field_id": "list", "value": node.items},
                        {"config_field_id": "item", "value": node.var},
                    ],
                )
                self._link(source, port, step)
                self.sequence(step, "loop_body", node.body)
                source, port = step, "after"
                continue
            else:
                raise TypeError(f"not a node: {node!r}")
            self._link(source, port, step)
            source, port = step, "output"


def flow(trigger: str, nodes: list[Any], recurrence: str | None = None) -> dict[str, Any]:
    """The Flow document (export format) for a trigger and a sequence of nodes."""
    builder = _Builder(trigger, recurrence)
    builder.sequence("trigger", "output", nodes)
    return {
        "__metadata": {"version": 0.1},
        "root": {
            "workflow_name": "",
            "steps": builder.steps,
            "links": builder.links,
            "patched_fields": [],
        },
    }


def shapes(document: dict[str, Any]) -> list[str]:
    """Shape slices of a workflow: else, foreach, wait, scheduled, multi_condition, multi_action,
    or simple when none applies."""
    steps = document["root"]["steps"]
    links = document["root"]["links"]
    conditions = [s for s in steps if s["task_type"] == "CONDITION"]
    found = set()
    if any(link["from_port_id"] == "false" for link in links):
        found.add("else")
    if any(s["task_type"] == "FOREACH" for s in steps):
        found.add("foreach")
    if any(s["task_type"] == "WAIT" for s in steps):
        found.add("wait")
    if steps[0]["task_id"].endswith("::scheduled_time"):
        found.add("scheduled")
    logic = any(
        op in c["config_field_values"][0]["value"] for c in conditions for op in ("&&", "||")
    )
    if len(conditions) > 1 or logic:
        found.add("multi_condition")
    if sum(s["task_type"] == "ACTION" for s in steps) > 1:
        found.add("multi_action")
    return sorted(found) or ["simple"]
