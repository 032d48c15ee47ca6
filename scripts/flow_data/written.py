"""Work orders joined with the requests writers wrote for them.

``work_orders.jsonl`` (what each writer was asked for) and ``written_requests.jsonl`` (what came
back) are data, not code: the requests come from writer agents who saw only a description and a
style. A stored order is checked against the intent library (the same intent and variant must still
give the same description), so the reference built today is the one the writer wrote for.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flow_data.intents import INTENTS
from flow_data.splits import reference_of

HERE = Path(__file__).resolve().parent
ORDERS = HERE / "work_orders.jsonl"
WRITTEN = HERE / "written_requests.jsonl"
BY_KEY = {i.key: i for i in INTENTS}


@dataclass(frozen=True)
class WrittenItem:
    order_id: str
    set: str
    split: str | None
    intent: str
    variant: int
    expect: str
    style: str
    description: str
    request: str
    writer: str

    def reference(self) -> dict[str, Any] | None:
        """The workflow this request asks for (None for clarify, refuse and two-intent orders)."""
        if self.expect != "workflow" or self.intent not in BY_KEY:
            return None
        description, document = reference_of(BY_KEY[self.intent], self.variant)
        if description != self.description:
            raise ValueError(
                f"{self.order_id}: intent {self.intent} no longer gives the description the writer saw"
            )
        return document


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def written_items(allow_missing: bool = False) -> list[WrittenItem]:
    """Every work order with its written request, in work-order order.

    ``allow_missing`` stands the description in for a missing request (drafts only: such a set
    is not honest, the request would echo the description)."""
    requests = {r["id"]: r for r in read_jsonl(WRITTEN)} if WRITTEN.exists() else {}
    items = []
    for order in read_jsonl(ORDERS):
        written = requests.get(order["id"])
        if written is None and not allow_missing:
            raise ValueError(f"no written request for work order {order['id']}")
        items.append(
            WrittenItem(
                order_id=order["id"],
                set=order["set"],
                split=order["split"],
                intent=order["intent"],
                variant=order["variant"],
                expect=order["expect"],
                style=order["style"],
                description=order["description"],
                request=written["request"] if written else order["description"],
                writer=written.get("writer", "?") if written else "missing",
            )
        )
    return items
