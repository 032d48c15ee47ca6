"""The default few-shot bank: the shipped benchmark's train split, in compact form.

It holds every decision the train split shows: workflows (their reference in compact form, when
the form can express it), clarifying questions and refusals. A row's own ``split`` wins over the
seeded assignment (the benchmark's splits are grouped by skeleton), and nothing that repeats a
held-out item enters: not the same automation (a paraphrase with the same compact answer), not
the same request.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from evalwheel.core.example import Example
from evalwheel.core.hashing import canonical_json
from evalwheel.datasets.splits import SplitPolicy, assign_split
from evalwheel_flow.agent.compact import from_workflow
from evalwheel_flow.agent.fewshot import FewShotBank, Solved, words
from evalwheel_flow.catalog.catalog import Catalog, load_catalog
from evalwheel_flow.workflow import Workflow

# A benchmark row that expects a question or a refusal carries no text for it; the bank shows
# these (a row's own "question" or "message" field wins).
DEFAULT_QUESTION = "Which event should start it, and what exactly should happen then?"
DEFAULT_MESSAGE = "Shopify Flow has no trigger or action for this, so it cannot be automated."


def _answer(row: dict[str, Any], catalog: Catalog) -> dict[str, Any] | None:
    expect = row.get("expect") or "workflow"
    if expect == "clarify":
        return {"outcome": "clarify", "question": row.get("question") or DEFAULT_QUESTION}
    if expect == "refuse":
        return {"outcome": "refuse", "message": row.get("message") or DEFAULT_MESSAGE}
    reference = row.get("reference")
    return from_workflow(Workflow.from_data(reference), catalog) if reference else None


def _key(request: str, answer: dict[str, Any]) -> str:
    """What makes two items the same for decontamination: the compact answer of a workflow, the
    request's content words of a question or a refusal (their answers are generic)."""
    if answer.get("outcome", "workflow") == "workflow":
        return canonical_json(answer)
    return canonical_json(sorted(words(request)))


def bank_from_file(
    path: Path,
    catalog: Catalog | None = None,
    split: str | None = "train",
    policy: SplitPolicy | None = None,
) -> FewShotBank:
    """Solved requests from a benchmark file (JSONL: id, request or input, expect, reference for a
    workflow, tags, optional split)."""
    catalog = catalog or load_catalog()
    policy = policy or SplitPolicy()
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        request = row.get("request") or row.get("input")
        example = Example(
            id=str(row["id"]),
            input=request or "?",
            tags=tuple(row.get("tags", ())),
            split=row.get("split") or None,
        )
        answer = _answer(row, catalog) if request else None
        rows.append((row, request, answer, assign_split(example, policy)))
    held_out = {
        _key(request, answer)
        for _, request, answer, item_split in rows
        if split and item_split != split and answer is not None
    }
    items = []
    for row, request, answer, item_split in rows:
        if answer is None or (split and item_split != split):
            continue
        if _key(request, answer) in held_out:
            continue
        items.append(
            Solved(
                request,
                answer,
                id=str(row["id"]),
                reference=row.get("reference") or None,
                tags=tuple(row.get("tags", ())),
            )
        )
    return FewShotBank(items)
