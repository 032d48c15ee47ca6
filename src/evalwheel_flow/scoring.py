"""The Flow application's deterministic checks of an agent's answer against a benchmark item.

- ``outcome``: did it do what the item expects (build a workflow, ask, or refuse)?
- ``valid``: does the workflow pass Flow's validator (no errors in the four buckets)?
- ``equivalent``: does it behave like the reference on the oracle's event suite? The
  counterexample is kept when it does not, the resource limit when the check stopped at one (a
  workflow too costly to run is not equivalent: the scorer's work per item is bounded).
- ``passed``: the item's verdict: the expected outcome, and for workflows valid and equivalent.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from evalwheel_flow.catalog.catalog import Catalog, load_catalog
from evalwheel_flow.equivalence import check_equivalence
from evalwheel_flow.validator import report_lines, validate
from evalwheel_flow.workflow import Workflow


class FlowScore(BaseModel):
    expected: str
    outcome: str
    outcome_ok: bool
    valid: bool | None = None
    validation: list[str] = []
    equivalent: bool | None = None
    events_checked: int | None = None
    counterexample: dict[str, Any] | None = None
    limit: str | None = None
    passed: bool


def score(
    expect: str,
    reference: dict[str, Any] | None,
    outcome: str,
    workflow: dict[str, Any] | None,
    catalog: Catalog | None = None,
) -> FlowScore:
    catalog = catalog or load_catalog()
    outcome_ok = outcome == expect
    if expect != "workflow" or workflow is None:
        return FlowScore(
            expected=expect,
            outcome=outcome,
            outcome_ok=outcome_ok,
            passed=outcome_ok and expect != "workflow",
        )
    produced = Workflow.from_data(workflow)
    report = validate(produced, catalog)
    result = FlowScore(
        expected=expect,
        outcome=outcome,
        outcome_ok=outcome_ok,
        valid=report.ok,
        validation=report_lines(report),
        passed=False,
    )
    if reference is not None:
        equivalence = check_equivalence(Workflow.from_data(reference), produced, catalog)
        result.equivalent = equivalence.equivalent
        result.events_checked = equivalence.events_checked
        result.counterexample = equivalence.counterexample
        result.limit = equivalence.limit
    result.passed = bool(outcome_ok and report.ok and result.equivalent)
    return result
