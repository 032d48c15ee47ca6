"""Validating a workflow the way Flow does, with errors in Flow's four buckets.

- ``taskErrors``: unknown tasks, not exactly one trigger, bad links and ports, unreachable steps,
  cycles, and actions whose required resource the trigger does not provide (context mismatch);
- ``configFieldErrors``: missing, unknown or mistyped config values, bad Liquid, Liquid over a
  resource limit (each field is trial-rendered on a sample event, see ``evalwheel_flow.limits``);
- ``conditionErrors``: condition syntax, unknown data paths, operators and literals that don't suit
  the field's type;
- ``foreachBodyErrors``: a for-each over something that is not a list, or with an empty body.

Warnings are kept apart: the workflow runs, but probably not as meant (the inventory-prior pitfall:
a threshold on a variant's quantity without the prior quantity fires on every later change too).

A workflow over the size limits (steps, links, one value's length) gets that one task error and is
not walked further: validating untrusted input must cost little whatever it holds.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field

from evalwheel_flow import liquid_fields
from evalwheel_flow.catalog.catalog import Catalog, FieldType, PathError, Task, load_catalog
from evalwheel_flow.conditions import ConditionSyntaxError, parse
from evalwheel_flow.conditions.ast import Comparison, atoms
from evalwheel_flow.conditions.typecheck import check as check_condition
from evalwheel_flow.limits import VALIDATION_WORK, WorkBudget, oversize
from evalwheel_flow.workflow import PORTS, Step, Workflow

BUCKETS = ("taskErrors", "configFieldErrors", "conditionErrors", "foreachBodyErrors")
RESOURCES = {
    "customer": "Customer",
    "order": "Order",
    "product": "Product",
    "draftOrder": "DraftOrder",
}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Problem(BaseModel):
    step_id: str | None = None
    field: str | None = None
    message: str


class ValidationReport(BaseModel):
    taskErrors: list[Problem] = Field(default_factory=list)
    configFieldErrors: list[Problem] = Field(default_factory=list)
    conditionErrors: list[Problem] = Field(default_factory=list)
    foreachBodyErrors: list[Problem] = Field(default_factory=list)
    warnings: list[Problem] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(getattr(self, bucket) for bucket in BUCKETS)

    def errors(self) -> list[tuple[str, Problem]]:
        return [(bucket, p) for bucket in BUCKETS for p in getattr(self, bucket)]


@dataclass
class _Context:
    catalog: Catalog
    report: ValidationReport
    workflow: Workflow
    visited: set[str] = field(default_factory=set)
    liquid: WorkBudget = field(
        default_factory=lambda: WorkBudget(VALIDATION_WORK, "trial-rendering its Liquid fields")
    )


def validate(workflow: Workflow, catalog: Catalog | None = None) -> ValidationReport:
    catalog = catalog or load_catalog()
    report = ValidationReport()
    too_big = oversize(workflow)
    if too_big:
        report.taskErrors.append(Problem(message=too_big))
        return report
    ctx = _Context(catalog, report, workflow)
    steps = workflow.root.steps
    ids = [s.step_id for s in steps]
    for dup in sorted({i for i in ids if ids.count(i) > 1}):
        report.taskErrors.append(Problem(step_id=dup, message="duplicate step_id"))
    for step in steps:
        task = catalog.task(step.task_id)
        if task is None:
            report.taskErrors.append(
                Problem(
                    step_id=step.step_id, field="task_id", message=f"unknown task {step.task_id!r}"
                )
            )
        elif task.task_type != step.task_type:
            report.taskErrors.append(
                Problem(
                    step_id=step.step_id,
                    field="task_type",
                    message=f"{step.task_id} is a {task.task_type}, not a {step.task_type}",
                )
            )
    triggers = workflow.triggers()
    if len(triggers) != 1:
        report.taskErrors.append(
            Problem(message=f"a workflow needs exactly one trigger, this one has {len(triggers)}")
        )
    _check_links(ctx)
    if len(triggers) == 1:
        trigger_task = catalog.task(triggers[0].task_id)
        if trigger_task is not None and trigger_task.task_type == "TRIGGER":
            if _has_cycle(workflow):
                report.taskErrors.append(Problem(message="the links form a cycle"))
            else:
                _walk(
                    ctx,
                    triggers[0],
                    catalog.scope(trigger_task),
                    _contexts(catalog, catalog.scope(trigger_task)),
                )
                for step in steps:
                    if step.step_id not in ctx.visited:
                        report.taskErrors.append(
                            Problem(step_id=step.step_id, message="not connected to the trigger")
                        )
            _inventory_pitfall(ctx, trigger_task)
    return report


def _check_links(ctx: _Context) -> None:
    steps = ctx.workflow.steps
    for link in ctx.workflow.root.links:
        source, target = steps.get(link.from_step_id), steps.get(link.to_step_id)
        if source is None or target is None:
            missing = link.from_step_id if source is None else link.to_step_id
            ctx.report.taskErrors.append(
                Problem(step_id=missing, message=f"a link refers to the missing step {missing!r}")
            )
            continue
        if link.from_port_id not in PORTS[source.task_type]:
            ctx.report.taskErrors.append(
                Problem(
                    step_id=source.step_id,
                    field="from_port_id",
                    message=f"a {source.task_type} has ports {', '.join(PORTS[source.task_type])}, not {link.from_port_id!r}",
                )
            )
        if link.to_port_id != "input":
            ctx.report.taskErrors.append(
                Problem(
                    step_id=target.step_id,
                    field="to_port_id",
                    message="links enter a step at 'input'",
                )
            )
        if target.task_type == "TRIGGER":
            ctx.report.taskErrors.append(
                Problem(step_id=target.step_id, message="nothing may link into the trigger")
            )


def _has_cycle(workflow: Workflow) -> bool:
    graph: dict[str, list[str]] = {}
    for link in workflow.root.links:
        graph.setdefault(link.from_step_id, []).append(link.to_step_id)
    state: dict[str, int] = {}

    def visit(node: str) -> bool:
        state[node] = 1
        for nxt in graph.get(node, []):
            if state.get(nxt) == 1 or (state.get(nxt) is None and visit(nxt)):
                return True
        state[node] = 2
        return False

    return any(state.get(n) is None and visit(n) for n in list(graph))


def _contexts(catalog: Catalog, scope: dict[str, FieldType]) -> set[str]:
    """Resource types an action can act on: roots, and objects one level down (order.customer)."""
    found = set()
    for type_ in scope.values():
        if type_.kind == "object":
            found.add(type_.name)
            found.update(t.name for t in catalog.fields_of(type_).values() if t.kind == "object")
    return found


def _walk(ctx: _Context, step: Step, scope: dict[str, FieldType], contexts: set[str]) -> None:
    if step.step_id in ctx.visited:
        return
    ctx.visited.add(step.step_id)
    task = ctx.catalog.task(step.task_id)
    if task is not None and task.task_type == step.task_type:
        _check_config(ctx, step, task, scope)
        if task.handle == "scheduled_time":
            problem = _check_rrule(step.config().get("recurrence", ""))
            if problem:
                ctx.report.configFieldErrors.append(
                    Problem(step_id=step.step_id, field="recurrence", message=problem)
                )
        if step.task_type == "CONDITION":
            _check_condition_step(ctx, step, scope)
        if (
            step.task_type == "ACTION"
            and task.requires
            and RESOURCES[task.requires] not in contexts
        ):
            ctx.report.taskErrors.append(
                Problem(
                    step_id=step.step_id,
                    message=f"{task.name} needs a {task.requires} but the trigger provides {', '.join(sorted(contexts)) or 'none'}",
                )
            )
        if step.task_type == "ACTION" and task.outputs:
            scope = {
                **scope,
                **{name: ctx.catalog.parse_type(spec) for name, spec in task.outputs.items()},
            }
    if step.task_type == "FOREACH":
        config = step.config()
        item_name = config.get("item") or "item"
        item_type = _foreach_item(ctx, step, config.get("list", ""), scope)
        body = ctx.workflow.next_steps(step.step_id, "loop_body")
        if not body:
            ctx.report.foreachBodyErrors.append(
                Problem(step_id=step.step_id, field="loop_body", message="the loop body is empty")
            )
        inner_scope = {**scope, item_name: item_type} if item_type else scope
        inner_contexts = contexts | (
            _contexts(ctx.catalog, {item_name: item_type}) if item_type else set()
        )
        for nxt in body:
            _walk(ctx, nxt, inner_scope, inner_contexts)
        for nxt in ctx.workflow.next_steps(step.step_id, "after"):
            _walk(ctx, nxt, scope, contexts)
        return
    for port in PORTS[step.task_type]:
        for nxt in ctx.workflow.next_steps(step.step_id, port):
            _walk(ctx, nxt, scope, contexts)


def _foreach_item(
    ctx: _Context, step: Step, path: str, scope: dict[str, FieldType]
) -> FieldType | None:
    try:
        type_ = ctx.catalog.resolve(scope, path)
    except PathError as exc:
        ctx.report.foreachBodyErrors.append(
            Problem(step_id=step.step_id, field="list", message=str(exc))
        )
        return None
    if type_.kind != "list" or type_.item is None:
        ctx.report.foreachBodyErrors.append(
            Problem(step_id=step.step_id, field="list", message=f"{path} is {type_}, not a list")
        )
        return None
    return type_.item


def _check_condition_step(ctx: _Context, step: Step, scope: dict[str, FieldType]) -> None:
    text = step.config().get("condition", "")
    if liquid_fields.has_liquid(text):
        ctx.report.conditionErrors.append(
            Problem(
                step_id=step.step_id,
                field="condition",
                message="Liquid is not allowed in conditions",
            )
        )
        return
    try:
        expr = parse(text)
    except ConditionSyntaxError as exc:
        ctx.report.conditionErrors.append(
            Problem(step_id=step.step_id, field="condition", message=str(exc))
        )
        return
    for problem in check_condition(expr, ctx.catalog, scope):
        ctx.report.conditionErrors.append(
            Problem(step_id=step.step_id, field="condition", message=problem)
        )


def _check_config(ctx: _Context, step: Step, task: Task, scope: dict[str, FieldType]) -> None:
    values = step.config()
    for name in values:
        if name not in task.config_fields:
            ctx.report.configFieldErrors.append(
                Problem(
                    step_id=step.step_id, field=name, message=f"{task.name} has no field {name!r}"
                )
            )
    for name, spec in task.config_fields.items():
        if spec.type in ("Condition", "Path") or (step.task_type == "FOREACH" and name == "item"):
            continue
        value = values.get(name)
        if value is None or value == "":
            if spec.required and not spec.hidden:
                ctx.report.configFieldErrors.append(
                    Problem(step_id=step.step_id, field=name, message="required")
                )
            continue
        problem = _check_value(
            ctx.catalog, scope, spec.type, spec.enum, spec.liquid, value, ctx.liquid
        )
        if problem:
            ctx.report.configFieldErrors.append(
                Problem(step_id=step.step_id, field=name, message=problem)
            )


def _check_value(
    catalog: Catalog,
    scope: dict[str, FieldType],
    type_: str,
    enum: list[str] | None,
    liquid_ok: bool,
    value: str,
    budget: WorkBudget | None = None,
) -> str | None:
    if liquid_fields.has_liquid(value):
        if not liquid_ok and type_ != "ID":
            return "this field does not take Liquid"
        problems = liquid_fields.check(value, catalog, scope, budget)
        if problems:
            return "; ".join(problems)
        if type_ != "StringList":
            return None
    if type_ == "StringList":
        try:
            items = json.loads(value)
        except json.JSONDecodeError:
            return 'must be a JSON array of strings, e.g. ["VIP"]'
        if (
            not isinstance(items, list)
            or not items
            or not all(isinstance(i, str) and i.strip() for i in items)
        ):
            return 'must be a non-empty JSON array of non-empty strings, e.g. ["VIP"]'
    elif type_ == "Boolean" and value not in ("true", "false"):
        return f"must be true or false, not {value!r}"
    elif type_ == "Integer" and not re.fullmatch(r"-?\d+", value):
        return f"must be an integer, not {value!r}"
    elif type_ == "Enum" and enum and value not in enum:
        return f"{value!r} is not one of {', '.join(enum)}"
    elif type_ == "Email" and not _EMAIL.match(value):
        return f"{value!r} is not an email address"
    elif type_ == "URL" and not re.match(r"^https?://[^\s/]+", value):
        return f"{value!r} is not an http(s) URL"
    elif type_ == "Headers":
        try:
            headers = json.loads(value)
        except json.JSONDecodeError:
            return 'must be a JSON array of {"key", "value"} objects'
        if not isinstance(headers, list) or not all(
            isinstance(h, dict) and {"key", "value"} <= set(h) for h in headers
        ):
            return 'must be a JSON array of {"key", "value"} objects'
    return None


_RRULE = re.compile(
    r"^FREQ=(MINUTELY|HOURLY|DAILY|WEEKLY|MONTHLY|YEARLY)(;[A-Z]+=[A-Za-z0-9,+\-]+)*$"
)


def _check_rrule(rule: str) -> str | None:
    """A recurrence Flow accepts: an RRULE running at most every 10 minutes."""
    if not rule:
        return None  # 'required' is reported by the config check
    if not _RRULE.match(rule):
        return f"{rule!r} is not an RRULE such as FREQ=WEEKLY;BYDAY=MO"
    if rule.startswith("FREQ=MINUTELY"):
        interval = re.search(r"INTERVAL=(\d+)", rule)
        if not interval or int(interval.group(1)) < 10:
            return "a schedule may run at most every 10 minutes (FREQ=MINUTELY needs INTERVAL=10 or more)"
    return None


def _inventory_pitfall(ctx: _Context, trigger: Task) -> None:
    if trigger.handle != "product_variant_inventory_quantity_changed":
        return
    paths: set[str] = set()
    for step in ctx.workflow.root.steps:
        if step.task_type == "CONDITION":
            try:
                expr = parse(step.config().get("condition", ""))
            except ConditionSyntaxError:
                continue
            paths.update(a.lhs.text for a in atoms(expr) if isinstance(a, Comparison))
    if "productVariant.inventoryQuantity" in paths and "inventoryQuantityPrior" not in paths:
        ctx.report.warnings.append(
            Problem(
                message="the condition tests productVariant.inventoryQuantity but not inventoryQuantityPrior: "
                "it will fire again on every later change below the threshold"
            )
        )


def report_lines(report: ValidationReport) -> list[str]:
    lines = []
    for bucket, problem in report.errors():
        where = ".".join(p for p in (problem.step_id, problem.field) if p) or "(workflow)"
        lines.append(f"{bucket}: {where}: {problem.message}")
    lines += [f"warning: {p.message}" for p in report.warnings]
    return lines


def as_dict(report: ValidationReport) -> dict[str, Any]:
    return {"ok": report.ok, **report.model_dump(mode="json")}
