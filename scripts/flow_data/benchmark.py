"""The benchmark: today's template items (train and dev only) and the written items, each with an
explicit split by skeleton.

Template items keep their ids, requests and references (the golden set points at them) and gain
``source:template`` and ``shape:`` tags; their skeletons go to train or dev, never test. Written
items take the split of their intent's skeleton (see ``splits``), so the test split holds only
skeletons absent from train, dev and the few-shot bank built from train.
"""

from __future__ import annotations

import hashlib
from typing import Any

from evalwheel_flow.signature import signature
from flow_data.document import shapes
from flow_data.intents import INTENTS
from flow_data.templates import complexity
from flow_data.written import WrittenItem

FAMILY = {i.key: i.family for i in INTENTS}
TEMPLATE_DEV_SHARE = 4  # one template skeleton (or clarify/refuse request) in four goes to dev


def _bucket(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest(), 16)


def template_split(row: dict[str, Any]) -> str:
    key = signature(row["reference"]) if row["reference"] else row["request"]
    return "dev" if _bucket(key) % TEMPLATE_DEV_SHARE == 0 else "train"


def template_items(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        extra = {"source:template"}
        if row["reference"]:
            extra.update(f"shape:{s}" for s in shapes(row["reference"]))
        out.append(
            {
                "id": row["id"],
                "request": row["request"],
                "expect": row["expect"],
                "reference": row["reference"],
                "tags": sorted({*row["tags"], *extra}),
                "split": template_split(row),
            }
        )
    return out


def written_benchmark_items(items: list[WrittenItem]) -> list[dict[str, Any]]:
    out = []
    for item in (i for i in items if i.set == "benchmark"):
        reference = item.reference()
        tags = {"source:written", f"style:{item.style}"}
        if reference is not None:
            trigger = reference["root"]["steps"][0]["task_id"].split("::")[-1]
            tags.update(
                {
                    f"trigger:{trigger}",
                    f"family:{FAMILY[item.intent]}",
                    f"complexity:{complexity(reference)}",
                    f"intent:{item.intent}",
                }
            )
            tags.update(f"shape:{s}" for s in shapes(reference))
        else:
            family = "ambiguous" if item.expect == "clarify" else "out-of-scope"
            tags.update({f"family:{family}", f"expect:{item.expect}", f"topic:{item.intent}"})
        out.append(
            {
                "id": f"bench-w-{len(out) + 1:04d}",
                "request": item.request,
                "expect": item.expect,
                "reference": reference,
                "tags": sorted(tags),
                "split": item.split,
            }
        )
    return out


def check_disjoint(rows: list[dict[str, Any]]) -> None:
    """The test split's promise: its skeletons appear nowhere in train or dev; only written items."""
    seen = {
        signature(r["reference"]) for r in rows if r["reference"] and r["split"] in ("train", "dev")
    }
    for row in rows:
        if row["split"] != "test":
            continue
        if "source:written" not in row["tags"]:
            raise AssertionError(f"{row['id']}: a template item in test")
        if row["reference"] and signature(row["reference"]) in seen:
            raise AssertionError(f"{row['id']}: its skeleton is also in train or dev")
