"""The compact answer: a small JSON form of a workflow that a tiny model can write under a grammar,
and the deterministic conversions between it and the Flow document.

    {"outcome": "workflow", "trigger": "order_created",
     "conditions": ["(order.totalPriceSet.shopMoney.amount > 200)"],
     "actions": [{"action": "add_customer_tags", "tags": ["VIP"]}],
     "else_actions": [{"action": "add_customer_tags", "tags": ["regular"]}]}

- ``conditions`` are chained, each on the previous one's ``true`` port; ``actions`` run in order
  on the last one's ``true`` port (right after the trigger when there is none), ``else_actions``
  on its ``false`` port. ``before`` (optional) holds steps run before the first condition, such
  as a data look-up whose output the conditions test.
- A step is an action ``{"action": handle, field: value…}``, a wait ``{"action": "wait",
  "duration_minutes": 60}``, a loop ``{"action": "foreach", "list": "order.lineItems", "item":
  "li", "conditions": [...], "actions": [...]}`` whose body is again conditions, actions and
  optional else_actions (the steps after a loop follow its ``after`` port), or, last in a list, a
  nested branch ``{"action": "if", "conditions": [...], "actions": [...], "else_actions": [...]}``
  (an "else if").
- A trigger's own fields sit next to it (``"recurrence": "FREQ=DAILY"`` for ``scheduled_time``).
- Resource ids (``customer_id``…) are filled as Flow's editor does: from the loop item inside a
  loop, else from the trigger's data; an id that differs from that default is written out.
- ``outcome`` may instead be ``clarify`` with only a ``question``, or ``refuse`` with only a
  ``message``.

The conversions follow any nesting (up to ``MAX_DEPTH``); the grammar a tiny model decodes under
allows two levels (a loop or an ``if`` inside the top lists) so it stays small. A workflow with
several triggers, a step reached twice, parallel branches (a port leading to two steps) or fields
outside the catalog has no compact form: ``compact_or_reason`` says why.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from evalwheel_flow.catalog.catalog import Catalog, ConfigField, FieldType, PathError, Task
from evalwheel_flow.workflow import Step, Workflow

ADMIN = "shopify::admin::"
FLOW = "shopify::flow::"
CONDITION_TASK = FLOW + "condition"
FOREACH_TASK = FLOW + "foreach"
WAIT_TASK = FLOW + "wait"
MAX_DEPTH = 8  # nested blocks (loops, "if" steps) a conversion follows
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
RESOURCE_TYPE = {
    "customer": "Customer",
    "order": "Order",
    "product": "Product",
    "draftOrder": "DraftOrder",
}


class NotCompact(ValueError):
    """A workflow (or part of one) the compact form cannot express; the message says which."""


def field_order(task: Task) -> list[str]:
    """A task's visible fields in the order the grammar writes them (required ones first, as
    llama.cpp's schema converter orders them), so few-shot examples show the same order."""
    visible = [(n, f) for n, f in task.config_fields.items() if not f.hidden]
    return [n for n, f in visible if f.required] + [n for n, f in visible if not f.required]


# ---------------------------------------------------------------------------------------------
# Resource ids


def _step_task(catalog: Catalog, handle: Any) -> Task | None:
    if not isinstance(handle, str):
        return None
    if handle in ("wait", "foreach"):
        return catalog.task(FLOW + handle)
    task = catalog.task(ADMIN + handle)
    return task if task is not None and task.task_type == "ACTION" else None


class _Scope:
    """What is in scope at a step: the trigger's roots, data steps' outputs, loop items."""

    def __init__(self, catalog: Catalog, trigger: Task) -> None:
        self.catalog = catalog
        self.roots = set(trigger.payload)
        self.names: dict[str, FieldType] = catalog.scope(trigger)
        self.items: list[tuple[str, FieldType]] = []  # loop items, innermost last

    def with_outputs(self, task: Task) -> _Scope:
        if not task.outputs:
            return self
        scope = self._copy()
        for name, spec in task.outputs.items():
            scope.names[name] = self.catalog.parse_type(spec)
        return scope

    def with_item(self, list_path: str, item: str) -> _Scope:
        scope = self._copy()
        try:
            type_ = self.catalog.resolve(self.names, list_path)
        except (PathError, ValueError, KeyError):
            return scope
        if type_.kind == "list" and type_.item is not None:
            scope.names[item] = type_.item
            scope.items.append((item, type_.item))
        return scope

    def _copy(self) -> _Scope:
        scope = _Scope.__new__(_Scope)
        scope.catalog, scope.roots = self.catalog, self.roots
        scope.names, scope.items = dict(self.names), list(self.items)
        return scope

    def default_id(self, resource: str) -> str | None:
        """The id Flow's editor fills for an action on ``resource``: the loop item (or its field
        of that type), else the trigger's own resource (``{{order.customer.id}}``…)."""
        wanted = RESOURCE_TYPE.get(resource)
        for name, type_ in reversed(self.items):
            if type_.kind == "object" and type_.name == wanted:
                return "{{" + name + ".id}}"
            for field_name, field_type in self.catalog.fields_of(type_).items():
                if field_type.kind == "object" and field_type.name == wanted:
                    return "{{" + f"{name}.{field_name}" + ".id}}"
        for root in ("order", "customer", "product", "draftOrder"):
            if (resource, root) in ID_SOURCE and root in self.roots:
                return ID_SOURCE[(resource, root)]
        return None


# ---------------------------------------------------------------------------------------------
# Compact → document


def config_text(value: Any) -> str:
    """A compact value as Flow stores it: every config value is a string (lists and objects as
    JSON, Booleans as ``true``/``false``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value)


def _list(block: dict[str, Any], key: str) -> list[Any]:
    value = block.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"{key!r} must be a list, not {type(value).__name__}")
    return value


class _Builder:
    """Writes steps in the order a reader meets them (a condition, its ``true`` side, its
    ``false`` side; a loop, its body, what follows), ids numbered per kind: ``action1``…"""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.steps: list[dict[str, Any]] = []
        self.links: list[dict[str, Any]] = []
        self.counts: Counter[str] = Counter()

    def add(
        self, kind: str, task: Task, values: list[dict[str, str]], source: str, port: str
    ) -> str:
        self.counts[kind] += 1
        step_id = f"{kind}{self.counts[kind]}"
        self.steps.append(
            {
                "step_id": step_id,
                "task_id": task.task_id,
                "task_version": "0.1",
                "task_type": task.task_type,
                "config_field_values": values,
            }
        )
        link = {"from_step_id": source, "from_port_id": port, "to_step_id": step_id}
        self.links.append({**link, "to_port_id": "input"})
        return step_id

    def block(
        self, block: dict[str, Any], source: str, port: str, scope: _Scope, depth: int
    ) -> None:
        """Conditions chained on ``true``, then ``actions`` on the last one's ``true`` port and
        ``else_actions`` on its ``false`` port (``actions`` right here without conditions)."""
        if depth > MAX_DEPTH:
            raise ValueError(f"nested deeper than {MAX_DEPTH} levels")
        conditions = _list(block, "conditions")
        task = self.catalog.task(CONDITION_TASK)
        assert task is not None
        for text in conditions:
            if not isinstance(text, str):
                raise ValueError(f"a condition must be a string, not {text!r}")
            value = [{"config_field_id": "condition", "value": text}]
            source, port = self.add("condition", task, value, source, port), "true"
        actions, otherwise = _list(block, "actions"), _list(block, "else_actions")
        if not actions and not otherwise:
            raise ValueError("'actions' is empty: there is nothing to do")
        if otherwise and not conditions:
            raise ValueError("'else_actions' need a condition to be the else of")
        self.sequence(actions, source, port, scope, depth)
        if otherwise:
            self.sequence(otherwise, source, "false", scope, depth)

    def sequence(
        self, items: list[Any], source: str, port: str, scope: _Scope, depth: int
    ) -> tuple[str, str, _Scope]:
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                raise ValueError(f"a step must be an object, not {item!r}")
            if item.get("action") == "if":
                if index != len(items) - 1:
                    raise ValueError("an 'if' step ends its list (put what follows inside it)")
                self.block(item, source, port, scope, depth + 1)
                return source, port, scope
            task = _step_task(self.catalog, item.get("action"))
            if task is None:
                raise ValueError(f"unknown action {item.get('action')!r}")
            if task.task_type == "FOREACH":
                source, port = self.loop(item, task, source, port, scope, depth), "after"
                continue
            values = self.values(task, item, scope)
            kind = "wait" if task.task_type == "WAIT" else "action"
            source, port = self.add(kind, task, values, source, port), "output"
            scope = scope.with_outputs(task)
        return source, port, scope

    def loop(
        self, item: dict[str, Any], task: Task, source: str, port: str, scope: _Scope, depth: int
    ) -> str:
        list_path, name = str(item.get("list", "")), str(item.get("item") or "item")
        values = [
            {"config_field_id": "list", "value": list_path},
            {"config_field_id": "item", "value": name},
        ]
        step_id = self.add("foreach", task, values, source, port)
        self.block(item, step_id, "loop_body", scope.with_item(list_path, name), depth + 1)
        return step_id

    def values(self, task: Task, item: dict[str, Any], scope: _Scope) -> list[dict[str, str]]:
        values = []
        id_field = ID_FIELD.get(task.requires or "")
        if id_field and id_field not in item:
            default = scope.default_id(task.requires or "")
            if default:
                values.append({"config_field_id": id_field, "value": default})
        for key, value in item.items():
            if key != "action" and key in task.config_fields:
                values.append({"config_field_id": key, "value": config_text(value)})
        return values


def to_workflow(answer: dict[str, Any], catalog: Catalog, name: str = "") -> Workflow:
    """Build the Flow document for a compact answer (raises ValueError on unknown tasks and on
    malformed parts, with a message a model can act on)."""
    if not isinstance(answer, dict):
        raise ValueError("the answer must be a JSON object")
    trigger = catalog.task(ADMIN + str(answer.get("trigger")))
    if trigger is None or trigger.task_type != "TRIGGER":
        raise ValueError(f"unknown trigger {answer.get('trigger')!r}")
    builder = _Builder(catalog)
    config = [
        {"config_field_id": key, "value": config_text(answer[key])}
        for key in trigger.config_fields
        if key in answer
    ]
    builder.steps.append(
        {
            "step_id": "trigger",
            "task_id": trigger.task_id,
            "task_version": "0.1",
            "task_type": "TRIGGER",
            "config_field_values": config,
        }
    )
    before = _list(answer, "before")
    if before and not _list(answer, "conditions"):
        raise ValueError("'before' steps come before conditions; without conditions use 'actions'")
    if any(isinstance(item, dict) and item.get("action") == "if" for item in before):
        raise ValueError("'before' cannot hold an 'if' step")
    source, port, scope = builder.sequence(before, "trigger", "output", _Scope(catalog, trigger), 0)
    builder.block(answer, source, port, scope, 0)
    root = {"workflow_name": name, "steps": builder.steps, "links": builder.links}
    return Workflow.from_data(
        {"__metadata": {"version": 0.1}, "root": {**root, "patched_fields": []}}
    )


# ---------------------------------------------------------------------------------------------
# Document → compact


def _decode(field: ConfigField, value: str) -> Any:
    """A config value as the grammar types it; a value that does not read back as its type is
    kept as the string it is (the conversion stays lossless)."""
    if field.type == "StringList":
        try:
            items = json.loads(value)
        except json.JSONDecodeError:
            return value
        return items if isinstance(items, list) else value
    if field.type == "Boolean" and value in ("true", "false"):
        return value == "true"
    if field.type == "Integer":
        try:
            number = int(value)
        except ValueError:
            return value
        return number if str(number) == value else value
    return value


def _block(conditions: list[str], actions: list[Any], otherwise: list[Any]) -> dict[str, Any]:
    block: dict[str, Any] = {"conditions": conditions, "actions": actions}
    if otherwise:
        block["else_actions"] = otherwise
    return block


class _Reader:
    def __init__(self, workflow: Workflow, catalog: Catalog) -> None:
        self.workflow = workflow
        self.catalog = catalog
        self.seen: set[str] = set()

    def next(self, step: Step, port: str) -> Step | None:
        following = self.workflow.next_steps(step.step_id, port)
        if len(following) > 1:
            raise NotCompact(f"{step.step_id} leads to {len(following)} steps on {port!r}")
        if not following:
            return None
        nxt = following[0]
        if nxt.step_id in self.seen:
            raise NotCompact(f"{nxt.step_id} is reached twice (a join or a cycle)")
        self.seen.add(nxt.step_id)
        return nxt

    def sequence(self, step: Step | None, scope: _Scope, depth: int) -> list[dict[str, Any]]:
        """The steps in a row from ``step``; a condition ends the row as an ``if`` step."""
        if depth > MAX_DEPTH:
            raise NotCompact(f"nested deeper than {MAX_DEPTH} levels")
        items: list[dict[str, Any]] = []
        while step is not None:
            if step.task_type == "CONDITION":
                items.append({"action": "if", **self.branch(step, scope, depth + 1)})
                break
            if step.task_type == "FOREACH":
                items.append(self.loop(step, scope, depth + 1))
                step = self.next(step, "after")
                continue
            task = self.catalog.task(step.task_id)
            if step.task_type not in ("ACTION", "WAIT") or task is None:
                raise NotCompact(f"{step.step_id}: a {step.task_type} step ({step.task_id})")
            if task.task_type != step.task_type:
                raise NotCompact(f"{step.step_id}: {step.task_id} is not a {step.task_type}")
            items.append(self.action(step, task, scope))
            scope = scope.with_outputs(task)
            step = self.next(step, "output")
        return items

    def branch(self, step: Step, scope: _Scope, depth: int) -> dict[str, Any]:
        """Conditions chained on ``true`` from ``step`` (while none has an else), what follows the
        last one on ``true`` and what follows it on ``false``."""
        conditions = [step.config().get("condition", "")]
        while not self.workflow.next_steps(step.step_id, "false"):
            following = self.workflow.next_steps(step.step_id, "true")
            if len(following) != 1 or following[0].task_type != "CONDITION":
                break
            step = self.next(step, "true") or step
            conditions.append(step.config().get("condition", ""))
        actions = self.sequence(self.next(step, "true"), scope, depth)
        otherwise = self.sequence(self.next(step, "false"), scope, depth)
        if not actions and not otherwise:
            raise NotCompact(f"{step.step_id}: nothing follows the condition")
        return _block(conditions, actions, otherwise)

    def action(self, step: Step, task: Task, scope: _Scope) -> dict[str, Any]:
        config = step.config()
        extra = [k for k in config if k not in task.config_fields]
        if extra:
            raise NotCompact(f"{step.step_id}: fields not in the catalog: {', '.join(extra)}")
        item: dict[str, Any] = {"action": "wait" if task.task_type == "WAIT" else task.handle}
        for name in field_order(task):
            if name in config:
                item[name] = _decode(task.config_fields[name], config[name])
        id_field = ID_FIELD.get(task.requires or "")
        if id_field in config and config[id_field] != scope.default_id(task.requires or ""):
            item[id_field] = config[id_field]
        return item

    def loop(self, step: Step, scope: _Scope, depth: int) -> dict[str, Any]:
        config = step.config()
        list_path, name = config.get("list", ""), config.get("item") or "item"
        body = self.sequence(self.next(step, "loop_body"), scope.with_item(list_path, name), depth)
        if not body:
            raise NotCompact(f"{step.step_id}: the loop body is empty")
        return {"action": "foreach", "list": list_path, "item": name, **_unwrap(body)}


def _unwrap(items: list[dict[str, Any]]) -> dict[str, Any]:
    """A row of steps as a block: a row that is one ``if`` step is that step's conditions and
    branches; any other row is the block's actions (its last step may be an ``if``)."""
    if len(items) == 1 and items[0].get("action") == "if":
        return {k: v for k, v in items[0].items() if k != "action"}
    return _block([], items, [])


def compact_or_reason(
    workflow: Workflow, catalog: Catalog
) -> tuple[dict[str, Any] | None, str | None]:
    """The compact form of a workflow, or None and the reason it has none."""
    triggers = workflow.triggers()
    if len(triggers) != 1:
        return None, f"{len(triggers)} triggers"
    trigger = catalog.task(triggers[0].task_id)
    if trigger is None or trigger.task_type != "TRIGGER":
        return None, f"unknown trigger {triggers[0].task_id!r}"
    config = triggers[0].config()
    if any(k not in trigger.config_fields for k in config):
        return None, "the trigger has fields not in the catalog"
    answer: dict[str, Any] = {"outcome": "workflow", "trigger": trigger.handle}
    for name in field_order(trigger):
        if name in config:
            answer[name] = _decode(trigger.config_fields[name], config[name])
    reader = _Reader(workflow, catalog)
    reader.seen.add(triggers[0].step_id)
    try:
        items = reader.sequence(reader.next(triggers[0], "output"), _Scope(catalog, trigger), 0)
    except NotCompact as exc:
        return None, str(exc)
    if items and items[-1]["action"] == "if":
        if items[:-1]:
            answer["before"] = items[:-1]
        answer.update(_unwrap(items[-1:]))
    else:
        answer.update(_block([], items, []))
    unread = [s.step_id for s in workflow.root.steps if s.step_id not in reader.seen]
    if unread:
        return None, f"steps not reached from the trigger: {', '.join(unread)}"
    if not items:
        return None, "no steps after the trigger"
    return answer, None


def from_workflow(workflow: Workflow, catalog: Catalog) -> dict[str, Any] | None:
    """The compact form of a workflow, or None when the form cannot express it."""
    return compact_or_reason(workflow, catalog)[0]
