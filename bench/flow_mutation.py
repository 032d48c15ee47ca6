"""How much does the Flow truth oracle catch? Semantic mutants of every benchmark reference.

Mutation operators: condition operator, numeric threshold (±1, ±0.01), string literal, field
(a sibling of the same type), connective (&& ↔ ||), quantifier (any?/all?/none?), trigger (another
trigger with the same data), action (another action on the same resource), parameter (tag text,
enum value, boolean), and dropping a condition or an action. Every mutant goes through
``check_equivalence`` against its reference; the script prints the fraction detected (target
>= 0.99), every survivor (to be judged by hand: truly equivalent, or a hole in the suite), and
equivalence checks per second.

Some edits must NOT change the verdict, and are counted apart as equivalent variants (target: all
accepted, each refusal printed as a false alarm): rewording a free field (an e-mail's subject or
body, a note: the catalog flags them ``free``, their content is for the judge), writing a
recipient in capitals, and giving an optional field its default explicitly. A mutant the oracle
accepts is checked again comparing free fields as written: if that tells it apart, the mutant only
changed what a free field says (computed data a free field quotes is compared; see docs/flow.md) and
is counted as "free text only", not as a miss.

    python bench/flow_mutation.py [--dataset PATH] [--seed 0]
"""

from __future__ import annotations

import argparse
import copy
import json
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from evalwheel_flow import DATA_DIR
from evalwheel_flow.catalog import load_catalog
from evalwheel_flow.conditions import parse, to_text
from evalwheel_flow.conditions.ast import Comparison, Expr, Literal, Logical, Quantifier, Unary
from evalwheel_flow.conditions.ast import Path as CPath
from evalwheel_flow.equivalence import check_equivalence
from evalwheel_flow.workflow import Workflow

OPERATOR_SWAPS = {
    ">": [">=", "<"],
    ">=": [">", "<="],
    "<": ["<=", ">"],
    "<=": ["<", ">="],
    "==": ["!="],
    "!=": ["=="],
    "include?": ["not_include?", "start_with?"],
    "not_include?": ["include?"],
    "start_with?": ["end_with?", "include?"],
    "end_with?": ["start_with?", "include?"],
    "not_start_with?": ["start_with?"],
    "not_end_with?": ["end_with?"],
    "in?": ["not_in?"],
    "not_in?": ["in?"],
    "empty_or_nil?": ["not_empty_and_not_nil?"],
    "not_empty_and_not_nil?": ["empty_or_nil?"],
    "nil?": ["not_nil?"],
    "not_nil?": ["nil?"],
}
QUANT_SWAPS = {"any?": ["all?", "none?"], "all?": ["any?"], "none?": ["any?"]}


def expr_mutants(expr: Expr, catalog, scope) -> Iterator[tuple[str, Expr]]:
    """(kind, mutated expression) for every single-point mutation of a condition tree."""
    if isinstance(expr, Comparison):
        for op in OPERATOR_SWAPS.get(expr.op, []):
            yield "operator", replace(expr, op=op)
        value = expr.rhs.value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            yield "threshold", replace(expr, rhs=Literal(value + 1))
            yield "threshold", replace(expr, rhs=Literal(value - 1))
            if isinstance(value, float) or expr.lhs.parts[-1] == "amount":
                yield "threshold", replace(expr, rhs=Literal(round(value + 0.01, 2)))
        elif isinstance(value, bool):
            yield "literal", replace(expr, rhs=Literal(not value))
        elif isinstance(value, str):
            if "," in value and expr.op in ("in?", "not_in?"):
                yield "literal", replace(expr, rhs=Literal(value.split(",", 1)[1]))
            else:
                yield "literal", replace(expr, rhs=Literal(value + "x"))
        for sibling in sibling_paths(expr.lhs, catalog, scope):
            yield "field", replace(expr, lhs=sibling)
    elif isinstance(expr, Unary):
        for op in OPERATOR_SWAPS.get(expr.op, []):
            yield "operator", replace(expr, op=op)
    elif isinstance(expr, Quantifier):
        for op in QUANT_SWAPS[expr.op]:
            yield "quantifier", replace(expr, op=op)
        try:
            item = catalog.resolve(scope, expr.path.text).item
        except Exception:
            item = None
        inner_scope = {**scope, expr.var: item} if item else scope
        for kind, body in expr_mutants(expr.body, catalog, inner_scope):
            yield kind, replace(expr, body=body)
    elif isinstance(expr, Logical):
        yield "connective", replace(expr, op="||" if expr.op == "&&" else "&&")
        for i, item in enumerate(expr.items):
            for kind, mutated in expr_mutants(item, catalog, scope):
                items = list(expr.items)
                items[i] = mutated
                yield kind, replace(expr, items=tuple(items))
            if len(expr.items) > 1:
                rest = expr.items[:i] + expr.items[i + 1 :]
                yield "missing condition", rest[0] if len(rest) == 1 else replace(expr, items=rest)


def sibling_paths(path: CPath, catalog, scope) -> list[CPath]:
    """Up to two other fields of the same type on the same parent."""
    try:
        target = catalog.resolve(scope, path.text)
        parent = catalog.resolve(scope, ".".join(path.parts[:-1])) if len(path.parts) > 1 else None
    except Exception:
        return []
    if parent is None:
        return []
    siblings = [
        n
        for n, t in catalog.fields_of(parent).items()
        if n != path.parts[-1] and str(t) == str(target)
    ]
    return [CPath((*path.parts[:-1], n)) for n in siblings[:2]]


EQUIVALENT_KINDS = {"free field", "recipient case", "explicit default", "free text only"}


def workflow_mutants(reference: dict, catalog) -> Iterator[tuple[str, dict]]:
    wf = Workflow.from_data(reference)
    trigger = wf.triggers()[0]
    trigger_task = catalog.task(trigger.task_id)
    scope = catalog.scope(trigger_task)
    steps = reference["root"]["steps"]
    for index, step in enumerate(steps):
        if step["task_type"] == "CONDITION":
            text = step["config_field_values"][0]["value"]
            for kind, mutated in expr_mutants(parse(text), catalog, scope):
                data = copy.deepcopy(reference)
                data["root"]["steps"][index]["config_field_values"][0]["value"] = to_text(mutated)
                yield kind, data
            data = copy.deepcopy(
                reference
            )  # drop the condition: its 'true' successors follow the trigger
            data["root"]["steps"].pop(index)
            data["root"]["links"] = [
                dict(link, from_step_id="trigger", from_port_id="output")
                if link["from_step_id"] == step["step_id"]
                else link
                for link in data["root"]["links"]
                if link["to_step_id"] != step["step_id"]
                and not (
                    link["from_step_id"] == step["step_id"] and link["from_port_id"] == "false"
                )
            ]
            yield "missing condition", data
        if step["task_type"] == "TRIGGER":
            for other in catalog.by_type("TRIGGER"):
                if other.task_id != trigger.task_id and set(other.payload) == set(
                    trigger_task.payload
                ):
                    data = copy.deepcopy(reference)
                    data["root"]["steps"][index]["task_id"] = other.task_id
                    yield "trigger", data
                    break
        if step["task_type"] == "ACTION":
            task = catalog.task(step["task_id"])
            alternatives = [
                t
                for t in catalog.by_type("ACTION")
                if t.requires == task.requires
                and t.task_id != task.task_id
                and set(t.config_fields) == set(task.config_fields)
            ]
            for other in alternatives[:1]:
                data = copy.deepcopy(reference)
                data["root"]["steps"][index]["task_id"] = other.task_id
                yield "action", data
            for f_index, value in enumerate(step["config_field_values"]):
                field = task.config_fields.get(value["config_field_id"])
                if field is None or field.hidden:
                    continue
                new = mutate_value(field, value["value"])
                if new is not None:
                    data = copy.deepcopy(reference)
                    data["root"]["steps"][index]["config_field_values"][f_index]["value"] = new
                    yield "free field" if field.free else "parameter", data
                if field.type == "Email" and value["value"] != value["value"].upper():
                    data = copy.deepcopy(reference)
                    upper = value["value"].upper()
                    data["root"]["steps"][index]["config_field_values"][f_index]["value"] = upper
                    yield "recipient case", data
            given = {value["config_field_id"] for value in step["config_field_values"]}
            for name, field in task.config_fields.items():
                if not field.required and field.default is not None and name not in given:
                    data = copy.deepcopy(reference)
                    data["root"]["steps"][index]["config_field_values"].append(
                        {"config_field_id": name, "value": field.default}
                    )
                    yield "explicit default", data


def mutate_value(field, value: str) -> str | None:
    if field.type == "StringList":
        items = json.loads(value)
        return json.dumps([items[0] + "x", *items[1:]])
    if field.type == "Boolean":
        return "false" if value == "true" else "true"
    if field.type == "Enum" and field.enum:
        others = [e for e in field.enum if e != value]
        return others[0] if others else None
    if field.type in ("String", "Email") and value:
        return value.replace("@", "x@", 1) if field.type == "Email" else value + " (edited)"
    return None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset", type=Path, default=DATA_DIR / "benchmark.jsonl")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    catalog = load_catalog()
    rows = [json.loads(line) for line in args.dataset.read_text().splitlines() if line.strip()]
    total, caught = Counter(), Counter()
    survivors, false_alarms, free_text_only = [], [], []
    limited = 0  # checks a resource limit stopped (answered "not equivalent")
    events = 0
    started = time.perf_counter()
    for row in rows:
        reference = row.get("reference")
        if not reference:
            continue
        ref_wf = Workflow.from_data(reference)
        for kind, data in workflow_mutants(reference, catalog):
            mutant = Workflow.from_data(data)
            result = check_equivalence(ref_wf, mutant, catalog, seed=args.seed)
            events += result.events_checked
            limited += result.limit is not None
            if result.equivalent and kind not in EQUIVALENT_KINDS:
                verbatim = check_equivalence(ref_wf, mutant, catalog, seed=args.seed, verbatim=True)
                if not verbatim.equivalent:
                    kind = "free text only"
                    free_text_only.append((row["id"], data))
            total[kind] += 1
            if result.equivalent:
                if kind not in EQUIVALENT_KINDS:
                    survivors.append((row["id"], kind, data))
            else:
                caught[kind] += 1
                if kind in EQUIVALENT_KINDS:
                    false_alarms.append((row["id"], kind, data))
    elapsed = time.perf_counter() - started
    mutants = [kind for kind in sorted(total) if kind not in EQUIVALENT_KINDS]
    variants = [kind for kind in sorted(total) if kind in EQUIVALENT_KINDS]
    n, k = sum(total[kind] for kind in mutants), sum(caught[kind] for kind in mutants)
    print(f"{len(rows)} references, {n} mutants: {k} detected = {k / n:.3f} (target >= 0.99)")
    print(f"  ({limited} checks stopped at a resource limit)")
    for kind in mutants:
        print(f"  {kind:18} {caught[kind]:4}/{total[kind]:<4}")
    v = sum(total[kind] for kind in variants)
    accepted = v - sum(caught[kind] for kind in variants)
    print(f"{v} equivalent variants: {accepted} accepted as equivalent (target: all)")
    for kind in variants:
        print(f"  {kind:18} {total[kind] - caught[kind]:4}/{total[kind]:<4}")
    checks = n + v
    print(
        f"{checks} equivalence checks in {elapsed:.1f} s = {checks / elapsed:.1f} checks/s ({events / elapsed:,.0f} events/s)"
    )
    for item_id, kind, data in false_alarms:
        print(f"FALSE ALARM {item_id} ({kind}): {_actions(data)}")
    for item_id, data in free_text_only:
        print(f"FREE TEXT ONLY {item_id}: {_actions(data)}")
    for item_id, kind, data in survivors:
        print(f"SURVIVOR {item_id} ({kind}): {_actions(data)}")


def _actions(data: dict) -> str:
    """A workflow's conditions and actions, on one line."""
    steps = data["root"]["steps"]
    conditions = [
        s["config_field_values"][0]["value"] for s in steps if s["task_type"] == "CONDITION"
    ]
    actions = [
        (
            s["task_id"].split("::")[-1],
            {c["config_field_id"]: c["value"] for c in s["config_field_values"]},
        )
        for s in steps
        if s["task_type"] == "ACTION"
    ]
    return f"{conditions} {actions}"


if __name__ == "__main__":
    main()
