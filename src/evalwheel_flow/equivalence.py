"""Behavioural equivalence of two workflows: the truth oracle.

Both workflows run on the same suite of events and their end states (tags, notes, metafields,
statuses, cancellations, captures, holds, captured emails and HTTP requests) are compared. The
suite is built from both workflows, so it probes what either one looks at:

- every trigger either workflow uses (an event for the other's trigger fires only one of them);
- for every path a condition reads: boundary values around each literal (199.99 / 200 / 200.01 /
  199 / 201 around ``> 200``), each enum value, true/false, nil and empty, case variants and
  affixes of strings, each member of an ``in?`` list and a non-member;
- for lists under ``any?/all?/none?``: empty, one matching item, one non-matching, mixed;
- each probe is tried against several seeded random backgrounds for the other paths, plus purely
  random combinations (fuzz).

The answer is "equivalent" (no event told them apart) or the first counterexample with both
behaviours. It is a test, not a proof: the suite is what it covers (see bench/flow_mutation.py).

A candidate workflow is untrusted, so one check is bounded by counts (``evalwheel_flow.limits``):
workflows over the size limits are not run, a suite over ``ORACLE_EVENTS`` is not built, and all
the steps and Liquid renders of both workflows share ``ORACLE_WORK`` units. A check stopped by a
limit answers "not equivalent" with ``limit`` saying which: the same answer on every machine.
"""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from evalwheel_flow.catalog.catalog import Catalog, FieldType, PathError, load_catalog
from evalwheel_flow.conditions import ConditionSyntaxError, parse
from evalwheel_flow.conditions.ast import Comparison, Expr, Logical, Quantifier, Unary
from evalwheel_flow.limits import (
    ORACLE_EVENTS,
    ORACLE_WORK,
    WorkBudget,
    WorkLimitExceeded,
    oversize,
)
from evalwheel_flow.shop.events import Event, sample_payload, sample_value, set_path
from evalwheel_flow.shop.executor import execute
from evalwheel_flow.workflow import Workflow

BACKGROUNDS = 4
FUZZ = 48


class EquivalenceResult(BaseModel):
    equivalent: bool
    events_checked: int
    counterexample: dict[str, Any] | None = None
    limit: str | None = None  # the resource limit that stopped the check, if one did


@dataclass
class _Probe:
    """Candidate values for one path (relative to an item when inside a quantifier)."""

    parts: tuple[str, ...]
    values: list[Any]


def _numeric_candidates(value: float, type_: FieldType) -> list[Any]:
    if type_.name == "Integer":
        v = int(value)
        return [v - 1, v, v + 1, 0]
    steps = [value - 1, value - 0.01, value, value + 0.01, value + 1, 0.0]
    return [f"{x:.2f}" for x in steps]


def _string_candidates(value: str, op: str) -> list[Any]:
    if op in ("in?", "not_in?"):
        members = [m.strip() for m in value.split(",") if m.strip()]
        return [*members, members[0].lower() if members else "", "zz-other", None]
    return [
        value,
        value.upper(),
        value.lower(),
        f"{value}x",
        f"x{value}",
        f"x{value}x",
        "",
        None,
        "zz-other",
    ]


def _candidates(type_: FieldType, op: str, literal: Any) -> list[Any]:
    if type_.kind == "enum":
        return [*type_.values, None]
    if type_.kind == "list":
        return [[], ["zz-other"], None]
    if type_.name == "Boolean":
        return [True, False, None]
    if type_.is_numeric:
        base = literal if isinstance(literal, (int, float)) and not isinstance(literal, bool) else 0
        return [*_numeric_candidates(float(base), type_), None]
    if type_.name == "Date" and isinstance(literal, str):
        return [literal, "2000-01-01T00:00:00Z", "2099-01-01T00:00:00Z", None]
    if isinstance(literal, str):
        return _string_candidates(literal, op)
    return ["", "x", None]


def _leaf_probes(
    expr: Expr, catalog: Catalog, scope: dict[str, FieldType], out: dict, item_probes: dict
) -> None:
    """Collect probes for top-level paths in ``out`` and for quantified lists in ``item_probes``."""
    if isinstance(expr, Logical):
        for item in expr.items:
            _leaf_probes(item, catalog, scope, out, item_probes)
        return
    if isinstance(expr, Quantifier):
        try:
            list_type = catalog.resolve(scope, expr.path.text)
        except PathError:
            return
        if list_type.kind != "list" or list_type.item is None:
            return
        inner: dict[tuple[str, ...], list[Any]] = {}
        nested: dict = {}
        _leaf_probes(expr.body, catalog, {**scope, expr.var: list_type.item}, inner, nested)
        relative = {}
        for parts, values in inner.items():
            if parts[0] == expr.var:
                relative[parts[1:]] = values
        entry = item_probes.setdefault(
            expr.path.parts, {"type": list_type.item, "probes": {}, "nested": {}}
        )
        for parts, values in relative.items():
            entry["probes"].setdefault(parts, []).extend(
                v for v in values if v not in entry["probes"].get(parts, [])
            )
        for parts, spec in nested.items():
            if parts[0] == expr.var:
                entry["nested"][parts[1:]] = spec
        return
    try:
        type_ = catalog.resolve(scope, expr.lhs.text)
    except PathError:
        return
    if isinstance(expr, Unary):
        values = [None, "", "x"] if type_.kind != "list" else [[], ["x"], None]
    else:
        assert isinstance(expr, Comparison)
        values = _candidates(type_, expr.op, expr.rhs.value)
    bucket = out.setdefault(expr.lhs.parts, [])
    bucket.extend(v for v in values if v not in bucket)


def _conditions(workflow: Workflow) -> list[Expr]:
    found = []
    for step in workflow.root.steps:
        if step.task_type == "CONDITION":
            try:
                found.append(parse(step.config().get("condition", "")))
            except ConditionSyntaxError:
                continue
    return found


def _item_variants(catalog: Catalog, spec: dict, rng: random.Random) -> list[Any]:
    """Items for a quantified list: one per probe value (others sampled), as list candidates."""
    item_type: FieldType = spec["type"]
    variants: list[Any] = []
    for parts, values in spec["probes"].items():
        for value in values:
            if not parts:
                variants.append(value)
                continue
            item = sample_value(catalog, item_type, rng)
            if isinstance(item, dict):
                set_path(item, parts, value)
            variants.append(item)
    for parts, nested in spec["nested"].items():
        for inner_list in _list_candidates(catalog, nested, rng):
            item = sample_value(catalog, item_type, rng)
            if isinstance(item, dict) and parts:
                set_path(item, parts, inner_list)
            variants.append(item)
    return variants


def _variant_count(spec: dict) -> int:
    """How many items ``_item_variants`` makes for a spec, without making them."""
    return sum(len(values) for values in spec["probes"].values()) + sum(
        1 + 2 * _variant_count(nested) for nested in spec["nested"].values()
    )


def _too_many_events(planned: int) -> None:
    if planned > ORACLE_EVENTS:
        raise WorkLimitExceeded(
            f"the event suite would have more than {ORACLE_EVENTS:,} events "
            "(too many conditions or literals)"
        )


def _list_candidates(catalog: Catalog, spec: dict, rng: random.Random) -> list[list[Any]]:
    variants = _item_variants(catalog, spec, rng)
    lists: list[list[Any]] = [[]]
    lists += [[v] for v in variants]
    for i in range(len(variants)):
        lists.append([variants[i], variants[(i + 1) % len(variants)]])
    return lists


def build_suite(
    a: Workflow, b: Workflow, catalog: Catalog | None = None, seed: int = 0
) -> list[Event]:
    """The events for ``a`` against ``b``; ``WorkLimitExceeded`` rather than a suite of more than
    ``ORACLE_EVENTS`` (counted before the events, or a list's items, are made)."""
    catalog = catalog or load_catalog()
    rng = random.Random(seed)
    triggers = sorted({s.task_id for w in (a, b) for s in w.triggers() if catalog.task(s.task_id)})
    expressions = _conditions(a) + _conditions(b)
    events: list[Event] = []
    for trigger_id in triggers:
        trigger = catalog.task(trigger_id)
        assert trigger is not None
        scope = catalog.scope(trigger)
        probes: dict[tuple[str, ...], list[Any]] = {}
        list_specs: dict = {}
        for expr in expressions:
            _leaf_probes(expr, catalog, scope, probes, list_specs)
            _too_many_events(
                len(events)
                + BACKGROUNDS * sum(len(v) for v in probes.values())
                + BACKGROUNDS * sum(1 + 2 * _variant_count(spec) for spec in list_specs.values())
            )
        choices: dict[tuple[str, ...], list[Any]] = dict(probes)
        for parts, spec in list_specs.items():
            choices[parts] = _list_candidates(catalog, spec, rng)
        bases = [sample_payload(catalog, trigger, seed=seed * 1000 + k) for k in range(3)]
        tags = _action_tags(a) | _action_tags(b)
        if tags:  # resources that already carry the tags actions add or remove
            bases += [_with_tags(base, tags) for base in bases]
        _too_many_events(
            len(events)
            + len(bases)
            + BACKGROUNDS * sum(len(c) for c in choices.values())
            + (FUZZ if choices else 0)
        )
        events.extend(Event(trigger_id, copy.deepcopy(base)) for base in bases)

        def with_values(
            base: dict[str, Any],
            assignment: dict[tuple[str, ...], Any],
            trigger_id: str = trigger_id,
        ) -> Event:
            payload = copy.deepcopy(base)
            for parts, value in assignment.items():
                set_path(payload, parts, copy.deepcopy(value))
            return Event(trigger_id, payload)

        paths = list(choices)
        for parts in paths:
            for value in choices[parts]:
                for k in range(BACKGROUNDS):
                    background = {p: rng.choice(choices[p]) for p in paths if p != parts}
                    events.append(with_values(bases[k % len(bases)], {**background, parts: value}))
        for k in range(FUZZ if paths else 0):
            events.append(
                with_values(bases[k % len(bases)], {p: rng.choice(choices[p]) for p in paths})
            )
    return events


def _action_tags(workflow: Workflow) -> set[str]:
    import json

    found: set[str] = set()
    for step in workflow.root.steps:
        if step.task_id.endswith("_tags"):
            try:
                values = json.loads(step.config().get("tags", "[]"))
            except ValueError:
                continue
            found.update(v for v in values if isinstance(v, str) and "{" not in v)
    return found


def _with_tags(payload: dict[str, Any], tags: set[str]) -> dict[str, Any]:
    tagged = copy.deepcopy(payload)

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, child in value.items():
                if key == "tags" and isinstance(child, list):
                    child.extend(sorted(tags))
                else:
                    walk(child)
        elif isinstance(value, list):
            for child in value:
                walk(child)

    walk(tagged)
    return tagged


def check_equivalence(
    a: Workflow, b: Workflow, catalog: Catalog | None = None, seed: int = 0
) -> EquivalenceResult:
    catalog = catalog or load_catalog()
    for workflow in (a, b):
        too_big = oversize(workflow)
        if too_big:
            return EquivalenceResult(equivalent=False, events_checked=0, limit=too_big)
    budget = WorkBudget(ORACLE_WORK, "this equivalence check")
    checked = 0
    try:
        suite = build_suite(a, b, catalog, seed)
        for event in suite:
            run_a, run_b = execute(a, event, catalog, budget), execute(b, event, catalog, budget)
            checked += 1
            if run_a.behaviour() != run_b.behaviour():
                return EquivalenceResult(
                    equivalent=False,
                    events_checked=checked,
                    counterexample={
                        "event": event.to_data(),
                        "a": {"fired": run_a.fired, "effects": run_a.effects, "error": run_a.error},
                        "b": {"fired": run_b.fired, "effects": run_b.effects, "error": run_b.error},
                    },
                )
    except WorkLimitExceeded as exc:
        return EquivalenceResult(equivalent=False, events_checked=checked, limit=str(exc))
    return EquivalenceResult(equivalent=True, events_checked=len(suite))
