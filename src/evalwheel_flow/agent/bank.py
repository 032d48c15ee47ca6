"""The default few-shot bank: the shipped benchmark's train split, in compact form."""

from __future__ import annotations

import json
from pathlib import Path

from evalwheel.core.example import Example
from evalwheel.core.hashing import canonical_json
from evalwheel.datasets.splits import SplitPolicy, assign_split
from evalwheel_flow.agent.compact import from_workflow
from evalwheel_flow.agent.fewshot import FewShotBank, Solved
from evalwheel_flow.catalog.catalog import Catalog, load_catalog
from evalwheel_flow.workflow import Workflow


def bank_from_file(
    path: Path,
    catalog: Catalog | None = None,
    split: str | None = "train",
    policy: SplitPolicy | None = None,
) -> FewShotBank:
    """Solved requests from a benchmark file (JSONL with input/request and a reference workflow)."""
    catalog = catalog or load_catalog()
    policy = policy or SplitPolicy()
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        request = row.get("request") or row.get("input")
        example = Example(id=str(row["id"]), input=request or "?", tags=tuple(row.get("tags", ())))
        rows.append((row, request, assign_split(example, policy)))

    # Decontamination: a solved item that is the same automation as a held-out item (a paraphrase
    # with the same trigger, conditions and actions) would hand the answer over; it stays out.
    def key(reference: dict) -> str | None:
        answer = from_workflow(Workflow.from_data(reference), catalog)
        return None if answer is None else canonical_json(answer)

    held_out = {
        key(row["reference"])
        for row, _, item_split in rows
        if split and item_split != split and row.get("reference")
    }
    items = []
    for row, request, item_split in rows:
        reference = row.get("reference")
        if not request or not reference or (split and item_split != split):
            continue
        answer = from_workflow(Workflow.from_data(reference), catalog)
        if answer is None or canonical_json(answer) in held_out:
            continue
        items.append(Solved(request, answer))
    return FewShotBank(items)
