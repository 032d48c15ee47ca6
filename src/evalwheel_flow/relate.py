"""How two Flow answers to one request relate, for mirroring: by what they would do in a shop,
not by how they are written.

- A side that failed: ``failed``.
- Different outcomes (a workflow against a question, a question against a refusal):
  ``different``, with the diff on ``outcome``.
- Both asked, or both refused: ``equivalent`` whatever the wording.
- Both built a workflow: ``equivalent`` when the truth oracle tells them apart on no event and
  their free text agrees (below), else
  ``different`` with its counterexample (the shop event, what each workflow did, the differing
  end state) and the structural diff of the two documents. A workflow that does not read or does
  not pass the validator is run by nobody, so two answers are equivalent only if their documents
  are equal; otherwise the counterexample holds the validator's findings.

The oracle compares free fields (an e-mail's subject and body, a note) by presence only: right for
a benchmark verdict, too generous for mirroring, where a candidate that writes worse messages to a
merchant's customers must be caught. So two workflows the oracle calls equivalent are compared
again with those fields as written; if they differ there, the pair is ``different`` with
``counterexample.wording_only = true`` (the event and the differing fields), and the pairwise
judge decides whether the wording is better or worse. Questions and refusals are compared by
outcome only.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from evalwheel.apps.interface import AppOutput
from evalwheel.core.mirror import FieldDiff, OutputRelation
from evalwheel.mirror.output_diff import capped, json_diff
from evalwheel_flow.catalog import load_catalog
from evalwheel_flow.catalog.catalog import Catalog
from evalwheel_flow.equivalence import check_equivalence
from evalwheel_flow.validator import report_lines, validate
from evalwheel_flow.workflow import Workflow


def relate_flow(
    current: AppOutput, candidate: AppOutput, catalog: Catalog | None = None
) -> OutputRelation:
    """The relation of the candidate's answer to the current one (see the module)."""
    if current.error is not None or candidate.error is not None:
        return OutputRelation(relation="failed")
    if current.outcome != candidate.outcome:
        return OutputRelation(
            relation="different",
            diff=[FieldDiff(path="outcome", current=current.outcome, candidate=candidate.outcome)],
        )
    if current.outcome != "workflow" or current.artifact == candidate.artifact:
        return OutputRelation(relation="equivalent")
    catalog = catalog or load_catalog()
    structure = json_diff(current.artifact, candidate.artifact, "artifact")
    workflows = [_valid_workflow(side.artifact, catalog) for side in (current, candidate)]
    first, second = workflows[0][0], workflows[1][0]
    if first is None or second is None:
        findings = {"current": workflows[0][1], "candidate": workflows[1][1]}
        return capped("different", structure, {"invalid": findings})
    result = check_equivalence(first, second, catalog)
    if result.equivalent:
        worded = check_equivalence(first, second, catalog, verbatim=True)
        if worded.equivalent or worded.counterexample is None:
            return OutputRelation(relation="equivalent")
        wording = {"wording_only": True, **_sides_named(worded.counterexample)}
        return capped("different", structure, _json(wording))
    if result.counterexample is not None:
        counterexample = _sides_named(result.counterexample)
    else:
        counterexample = {"limit": result.limit, "events_checked": result.events_checked}
    return capped("different", structure, _json(counterexample))


def _valid_workflow(artifact: Any, catalog: Catalog) -> tuple[Workflow | None, list[str]]:
    """The workflow when it reads and passes the validator, else None and why not."""
    if not isinstance(artifact, dict):
        return None, ["not a workflow document"]
    try:
        workflow = Workflow.from_data(artifact)
    except ValidationError as exc:
        return None, [f"not a workflow document: {exc.error_count()} format error(s)"]
    report = validate(workflow, catalog)
    return (workflow, []) if report.ok else (None, report_lines(report))


def _sides_named(counterexample: dict[str, Any]) -> dict[str, Any]:
    """The oracle's ``a``/``b`` renamed ``current``/``candidate``, in its diff too."""
    return {
        "event": counterexample.get("event"),
        "current": counterexample.get("a"),
        "candidate": counterexample.get("b"),
        "diff": [
            {"path": d.get("path"), "current": d.get("a"), "candidate": d.get("b")}
            for d in counterexample.get("diff", [])
        ],
    }


def _json(value: Any) -> Any:
    """Plain JSON (a simulated effect may hold a tuple or a date)."""
    return json.loads(json.dumps(value, default=str))
