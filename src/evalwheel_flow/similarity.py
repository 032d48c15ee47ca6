"""Structural similarity of a produced workflow to the reference, in [0, 1].

The mean of three parts: the same trigger (0 or 1); the Jaccard similarity of the condition
atoms (each test printed canonically; two workflows without conditions score 1); and the Jaccard
similarity of the actions (task and visible parameters). It explains *how* a workflow differs,
beside the oracle, which says *whether* it behaves differently.
"""

from __future__ import annotations

import json

from evalwheel_flow.catalog.catalog import Catalog, load_catalog
from evalwheel_flow.conditions import ConditionSyntaxError, parse, to_text
from evalwheel_flow.conditions.ast import atoms
from evalwheel_flow.workflow import Workflow


def _jaccard(a: set[str], b: set[str]) -> float:
    return 1.0 if not a and not b else len(a & b) / len(a | b)


def _parts(workflow: Workflow, catalog: Catalog) -> tuple[set[str], set[str], set[str]]:
    triggers = {s.task_id for s in workflow.triggers()}
    conditions: set[str] = set()
    actions: set[str] = set()
    for step in workflow.root.steps:
        if step.task_type == "CONDITION":
            try:
                conditions.update(
                    to_text(a) for a in atoms(parse(step.config().get("condition", "")))
                )
            except ConditionSyntaxError:
                conditions.add("<unparseable>")
        elif step.task_type == "ACTION":
            task = catalog.task(step.task_id)
            visible = {
                k: v
                for k, v in step.config().items()
                if task is None or k not in task.config_fields or not task.config_fields[k].hidden
            }
            actions.add(step.task_id + json.dumps(visible, sort_keys=True))
    return triggers, conditions, actions


def similarity(reference: Workflow, produced: Workflow, catalog: Catalog | None = None) -> float:
    catalog = catalog or load_catalog()
    ta, ca, aa = _parts(reference, catalog)
    tb, cb, ab = _parts(produced, catalog)
    return (float(ta == tb) + _jaccard(ca, cb) + _jaccard(aa, ab)) / 3
