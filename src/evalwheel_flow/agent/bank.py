"""The default few-shot bank: the shipped benchmark's train split, in compact form."""

from __future__ import annotations

import json
from pathlib import Path

from evalwheel.core.example import Example
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
    items = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        request = row.get("request") or row.get("input")
        reference = row.get("reference")
        if not request or not reference:
            continue
        example = Example(id=str(row["id"]), input=request, tags=tuple(row.get("tags", ())))
        if split and assign_split(example, policy) != split:
            continue
        answer = from_workflow(Workflow.from_data(reference), catalog)
        if answer is not None:
            items.append(Solved(request, answer))
    return FewShotBank(items)
