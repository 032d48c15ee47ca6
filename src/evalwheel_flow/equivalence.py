"""Behavioural equivalence of two workflows: the truth oracle.

Both workflows run on the same suite of events and their end states (tags, notes, metafields,
statuses, cancellations, captures, holds, captured emails and HTTP requests) are compared. The
suite is built from both workflows, so it probes what either one looks at:

- every trigger either workflow uses (an event for the other's trigger fires only one of them);
- for every path a condition reads: boundary values around each literal (199.99 / 200 / 200.01 /
  199 / 201 around ``> 200``), each enum value, true/false, empty, case variants and affixes of
  strings, each member of an ``in?`` list and a non-member;
- nil only where the catalog says the Admin API can return null: a path is nil exactly when its
  deepest nullable part is null, so that part is set to null (``order.customer`` for
  ``order.customer.amountSpent.amount``); a path with no nullable part (an order's total, an id, a
  list) is never nil, in a probe or in a random background;
- for lists under ``any?/all?/none?``: empty, one matching item, one non-matching, mixed;
- each probe is tried against several seeded random backgrounds for the other paths, plus purely
  random combinations (fuzz).

Runs are compared in the form ``Execution.behaviour()`` gives: config values typed as Flow reads
them (``"false"`` is false, a left-out optional field is its default), free fields (an e-mail's
subject and body, a note) by presence only, with the computed data they quote (a count, a sum, the
resources a query found), recipients case-insensitively as a set. The answer is
"equivalent" (no event told them apart) or the first counterexample: the event, each side's
effects, and ``diff``, the parts of the compared end state that differ (path, a's value, b's
value). It is a test, not a proof: the suite is what it covers (see bench/flow_mutation.py).

A candidate workflow is untrusted, so one check is bounded by counts (``evalwheel_flow.limits``):
workflows over the size limits are not run, a suite over ``ORACLE_EVENTS`` is not built, and all
the steps and Liquid renders of both workflows share ``ORACLE_WORK`` units. A check stopped by a
limit answers "not equivalent" with ``limit`` saying which: the same answer on every machine.
"""

from __future__ import annotations

import copy
import json
import random
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from evalwheel_flow.catalog.catalog import Catalog, FieldType, PathError, load_catalog
from evalwheel_flow.conditions import ConditionSyntaxError, parse
from evalwheel_flow.conditions.ast import Comparison, Expr, Logical, Quantifier, Unary
from evalwheel_flow.conditions.ast import Path as CPath
from evalwheel_flow.limits import (
    ORACLE_EVENTS,
    ORACLE_WORK,
    WorkBudget,
    WorkLimitExceeded,
    oversize,
)
from evalwheel_flow.shop.events import Event, sample_payload, sample_value, set_path
from evalwheel_flow.shop.executor import FOREACH_LIMIT, execute, query_term
from evalwheel_flow.workflow import Workflow

BACKGROUNDS = 4
FUZZ = 48
MAX_COUNTED = FOREACH_LIMIT + 1  # the longest list made to probe a count
OPAQUE_STOCK = 16  # resources for a query the simulator cannot read (two queries agree on 2^-16)
# the head of a choice that fills the shop's stock, ("@stock", "Order"), rather than the payload
STOCK = "@stock"


class _Keep:
    """A choice that leaves the base event's value as it is."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP = _Keep()


class EquivalenceResult(BaseModel):
    equivalent: bool
    events_checked: int
    counterexample: dict[str, Any] | None = None
    limit: str | None = None  # the resource limit that stopped the check, if one did


@dataclass
class _DataSteps:
    """What the data steps and for-each loops of both workflows read and make, so the suite can
    probe conditions on their outputs and loop items."""

    outputs: dict[str, FieldType] = field(default_factory=dict)  # count → Integer, ...
    stock: dict[str, str] = field(default_factory=dict)  # getOrderData → Order (shop queries)
    terms: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # Order → query terms
    counted: set[str] = field(default_factory=set)  # list paths a count step counts
    summed: set[tuple[str, str]] = field(default_factory=set)  # (list path, field) of sum steps
    loops: set[tuple[str, str]] = field(default_factory=set)  # (list path, item variable)
    segments: set[str] = field(default_factory=set)  # segments looked up (customer tags)
    opaque: set[str] = field(default_factory=set)  # kinds queried by a query of several terms


def _data_steps(workflows: tuple[Workflow, ...], catalog: Catalog) -> _DataSteps:
    data = _DataSteps()
    for workflow in workflows:
        for step in workflow.root.steps:
            task = catalog.task(step.task_id)
            if task is None:
                continue
            config = step.config()
            if step.task_type == "FOREACH":
                data.loops.add((config.get("list", ""), config.get("item") or "item"))
            for name, spec in task.outputs.items():
                type_ = catalog.parse_type(spec)
                data.outputs[name] = type_
                if "query" in task.config_fields and type_.item and type_.item.kind == "object":
                    data.stock[name] = type_.item.name
                    query = config.get("query", "").lower()
                    term = query_term(query)
                    known = data.terms.setdefault(type_.item.name, [])
                    if term and "{" not in term[1] and term not in known:
                        known.append(term)
                    elif term is None and query.strip():
                        data.opaque.add(type_.item.name)
            if task.handle == "count":
                data.counted.add(config.get("list", ""))
            elif task.handle == "sum":
                data.summed.add((config.get("list", ""), config.get("field", "")))
            elif task.handle == "lookup_customer_in_segment" and config.get("segment"):
                data.segments.add(config["segment"])
    return data


def _numeric_candidates(value: float, type_: FieldType) -> list[Any]:
    if type_.name == "Integer":
        v = int(value)
        return [v - 1, v, v + 1, 0]
    steps = [value - 1, value - 0.01, value, value + 0.01, value + 1, 0.0]
    return [f"{x:.2f}" for x in steps]


def _string_candidates(value: str, op: str) -> list[Any]:
    if op in ("in?", "not_in?"):
        members = [m.strip() for m in value.split(",") if m.strip()]
        return [*members, members[0].lower() if members else "", "zz-other"]
    return [
        value,
        value.upper(),
        value.lower(),
        f"{value}x",
        f"x{value}",
        f"x{value}x",
        "",
        "zz-other",
    ]


def _candidates(type_: FieldType, op: str, literal: Any) -> list[Any]:
    """Values for a compared path, never nil (``_leaf_probes`` adds nil where it is possible)."""
    if type_.kind == "enum":
        return list(type_.values)
    if type_.kind == "list":
        return [[], ["zz-other"]]
    if type_.name == "Boolean":
        return [True, False]
    if type_.is_numeric:
        base = literal if isinstance(literal, (int, float)) and not isinstance(literal, bool) else 0
        return _numeric_candidates(float(base), type_)
    if type_.name == "Date" and isinstance(literal, str):
        return [literal, "2000-01-01T00:00:00Z", "2099-01-01T00:00:00Z"]
    if isinstance(literal, str):
        return _string_candidates(literal, op)
    return ["", "x"]


def _unary_candidates(type_: FieldType) -> list[Any]:
    if type_.kind == "list":
        return [[], ["x"]]
    if type_.kind == "scalar" and type_.name in ("String", "ID"):
        return ["", "x"]
    return []  # an object, enum, number or date is never empty: only nil tells these apart


def _add(bucket: list[Any], values: list[Any]) -> None:
    bucket.extend(v for v in values if v not in bucket)


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
            _add(entry["probes"].setdefault(parts, []), values)
        for parts, spec in nested.items():
            if parts[0] == expr.var:
                entry["nested"][parts[1:]] = spec
        return
    try:
        type_ = catalog.resolve(scope, expr.lhs.text)
        null_at = catalog.null_prefix(scope, expr.lhs.text)
    except PathError:
        return
    if isinstance(expr, Unary):
        values = _unary_candidates(type_)
    else:
        assert isinstance(expr, Comparison)
        values = _candidates(type_, expr.op, expr.rhs.value)
    if values:
        _add(out.setdefault(expr.lhs.parts, []), values)
    if null_at is not None:  # KEEP, so that backgrounds do not always make the object null
        bucket = out.setdefault(tuple(null_at.split(".")), [])
        _add(bucket, [None] if bucket else [KEEP, None])


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
    terms = spec.get("terms", [])
    # with several queries on a kind (one per workflow), items found by each one alone too
    term_sets = [terms, *([t] for t in terms)] if len(terms) > 1 else [terms]
    variants: list[Any] = []
    for parts, values in spec["probes"].items():
        for value in values:
            if not parts:
                variants.append(value)
                continue
            for found_by in [terms] if parts[0] in dict(terms) else term_sets:
                item = _found_item(catalog, item_type, found_by, rng)
                if isinstance(item, dict) and value is not KEEP:
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
    variants = _item_variants(catalog, spec, rng) or [
        _found_item(catalog, spec["type"], spec.get("terms", []), rng) for _ in range(2)
    ]
    lists: list[list[Any]] = [[]]
    lists += [[v] for v in variants]
    for i in range(len(variants)):
        lists.append([variants[i], variants[(i + 1) % len(variants)]])
    return lists


def _choice_key(parts: tuple[str, ...], data: _DataSteps) -> tuple[str, ...]:
    """Where a list's candidates go: the shop's stock for a get-data output, else the payload."""
    if len(parts) == 1 and parts[0] in data.stock:
        return (STOCK, data.stock[parts[0]])
    return parts


def _stock_specs(data: _DataSteps, list_specs: dict) -> None:
    """Every queried kind gets stock items, some matching each query term and some not."""
    for name, type_name in data.stock.items():
        spec = list_specs.setdefault(
            (name,), {"type": FieldType("object", type_name), "probes": {}, "nested": {}}
        )
        spec["terms"] = data.terms.get(type_name, [])
        for field_name, value in spec["terms"]:
            matching: Any = [value] if field_name == "tags" else value.upper()
            other: Any = ["zz-other"] if field_name == "tags" else "zz-other"
            _add(spec["probes"].setdefault((field_name,), []), [matching, other])


def _found_item(
    catalog: Catalog, type_: FieldType, terms: list[tuple[str, str]], rng: random.Random
) -> Any:
    """A sampled item that the given query terms find (a probe may then change one field)."""
    item = sample_value(catalog, type_, rng)
    for field_name, value in terms if isinstance(item, dict) else []:
        item[field_name] = [*item.get(field_name, []), value] if field_name == "tags" else value
    return item


def _aggregate_lists(
    catalog: Catalog,
    scope: dict[str, FieldType],
    data: _DataSteps,
    probes: dict,
    rng: random.Random,
) -> dict[tuple[str, ...], list[Any]]:
    """Lists that put a count or a sum around the literals a condition compares it with: a list
    of n items for ``count > n`` (n-1, n, n+1, 0), one item whose field is v for ``sum >= v``."""
    made: dict[tuple[str, ...], list[Any]] = {}
    for list_path in sorted(data.counted):
        try:
            item_type = catalog.resolve(scope, list_path).item
        except PathError:
            continue
        lengths = sorted(
            {int(float(v)) for v in probes.get(("count",), []) if v is not None and v is not KEEP}
        )
        terms = data.terms.get(item_type.name, []) if item_type else []
        for n in (n for n in lengths if 0 <= n <= MAX_COUNTED and item_type is not None):
            key = _choice_key(tuple(list_path.split(".")), data)
            made.setdefault(key, []).append(
                [_found_item(catalog, item_type, terms, rng) for _ in range(n)]
            )
    for list_path, field_path in sorted(data.summed):
        try:
            item_type = catalog.resolve(scope, list_path).item
            if item_type is None:
                continue
            field_type = catalog.resolve({"item": item_type}, f"item.{field_path}")
        except PathError:
            continue
        for value in probes.get(("sum",), []):
            if value is None or value is KEEP:
                continue
            item = _found_item(catalog, item_type, data.terms.get(item_type.name, []), rng)
            number = int(float(value)) if field_type.name == "Integer" else value
            if isinstance(item, dict):
                set_path(item, tuple(field_path.split(".")), number)
            key = _choice_key(tuple(list_path.split(".")), data)
            made.setdefault(key, []).append([item])
    return made


def build_suite(
    a: Workflow, b: Workflow, catalog: Catalog | None = None, seed: int = 0
) -> list[Event]:
    """The events for ``a`` against ``b``; ``WorkLimitExceeded`` rather than a suite of more than
    ``ORACLE_EVENTS`` (counted before the events, or a list's items, are made)."""
    catalog = catalog or load_catalog()
    rng = random.Random(seed)
    triggers = sorted({s.task_id for w in (a, b) for s in w.triggers() if catalog.task(s.task_id)})
    expressions = _conditions(a) + _conditions(b)
    data = _data_steps((a, b), catalog)
    events: list[Event] = []
    for trigger_id in triggers:
        trigger = catalog.task(trigger_id)
        assert trigger is not None
        scope = {**catalog.scope(trigger), **data.outputs}
        probes: dict[tuple[str, ...], list[Any]] = {}
        list_specs: dict = {}
        for expr in expressions:
            _leaf_probes(expr, catalog, scope, probes, list_specs)
            for list_path, var in sorted(data.loops):  # a loop's item, as a quantifier's
                loop = Quantifier("any?", CPath(tuple(list_path.split("."))), var, expr)
                _leaf_probes(loop, catalog, scope, probes, list_specs)
            _too_many_events(
                len(events)
                + BACKGROUNDS * sum(len(v) for v in probes.values())
                + BACKGROUNDS * sum(1 + 2 * _variant_count(spec) for spec in list_specs.values())
            )
        _stock_specs(data, list_specs)
        choices: dict[tuple[str, ...], list[Any]] = {
            parts: values for parts, values in probes.items() if parts[0] not in data.outputs
        }
        for parts, spec in list_specs.items():
            choices.setdefault(_choice_key(parts, data), [KEEP]).extend(
                _list_candidates(catalog, spec, rng)
            )
        for key, lists in _aggregate_lists(catalog, scope, data, probes, rng).items():
            choices.setdefault(key, [KEEP]).extend(lists)
        for kind in sorted(data.opaque):  # a stock large enough to tell two such queries apart
            choices.setdefault((STOCK, kind), [KEEP]).append(
                [sample_value(catalog, FieldType("object", kind), rng) for _ in range(OPAQUE_STOCK)]
            )
        bases = [sample_payload(catalog, trigger, seed=seed * 1000 + k) for k in range(3)]
        tags = _action_tags(a) | _action_tags(b) | data.segments
        if tags:  # resources that already carry the tags actions touch (or segments name)
            bases += [_with_tags(base, tags) for base in bases]
            bases += [_with_tags(bases[0], {tag}) for tag in sorted(tags)[:4]]
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
            stock: dict[str, list[dict[str, Any]]] = {}
            # deepest first: a null object wins over values set inside it
            for parts, value in sorted(assignment.items(), key=lambda pv: -len(pv[0])):
                if value is KEEP:
                    continue
                if parts[0] == STOCK:
                    stock[parts[1]] = copy.deepcopy(value)
                else:
                    set_path(payload, parts, copy.deepcopy(value))
            return Event(trigger_id, payload, stock)

        paths = list(choices)
        for parts in paths:
            others = [p for p in paths if p != parts and p != parts[: len(p)]]
            for value in choices[parts]:
                for k in range(BACKGROUNDS):
                    background = {p: rng.choice(choices[p]) for p in others}
                    events.append(with_values(bases[k % len(bases)], {**background, parts: value}))
        for k in range(FUZZ if paths else 0):
            events.append(
                with_values(bases[k % len(bases)], {p: rng.choice(choices[p]) for p in paths})
            )
    return events


def _action_tags(workflow: Workflow) -> set[str]:
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


def state_diff(a: Any, b: Any, path: str = "") -> list[dict[str, Any]]:
    """Where two compared end states differ: ``{"path", "a", "b"}`` for each differing leaf (a
    side without the key has None), e.g. ``resources.gid://shopify/Order/1.cancel_reason.refund``,
    so a counterexample shows what differs and not only what both did."""
    if isinstance(a, dict) and isinstance(b, dict):
        found = []
        for key in sorted(a.keys() | b.keys(), key=str):
            found += state_diff(a.get(key), b.get(key), f"{path}.{key}" if path else str(key))
        return found
    messages = isinstance(a, list) and isinstance(b, list) and len(a) == len(b)
    if messages and all(isinstance(x, dict) for x in a + b):
        found = []
        for index, (x, y) in enumerate(zip(a, b, strict=True)):
            found += state_diff(x, y, f"{path}[{index}]")
        return found
    return [] if a == b else [{"path": path, "a": a, "b": b}]


def check_equivalence(
    a: Workflow,
    b: Workflow,
    catalog: Catalog | None = None,
    seed: int = 0,
    verbatim: bool = False,
) -> EquivalenceResult:
    """Run both workflows on the suite and compare their end states. ``verbatim`` compares free
    fields and recipients as written: not a verdict on behaviour, but a way to tell apart a
    difference in wording from none at all (bench/flow_mutation.py uses it so)."""
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
            behaviour_a, behaviour_b = run_a.behaviour(verbatim), run_b.behaviour(verbatim)
            if behaviour_a != behaviour_b:
                return EquivalenceResult(
                    equivalent=False,
                    events_checked=checked,
                    counterexample={
                        "event": event.to_data(),
                        "a": {"fired": run_a.fired, "effects": run_a.effects, "error": run_a.error},
                        "b": {"fired": run_b.fired, "effects": run_b.effects, "error": run_b.error},
                        "diff": state_diff(behaviour_a, behaviour_b),
                    },
                )
    except WorkLimitExceeded as exc:
        return EquivalenceResult(equivalent=False, events_checked=checked, limit=str(exc))
    return EquivalenceResult(equivalent=True, events_checked=len(suite))
