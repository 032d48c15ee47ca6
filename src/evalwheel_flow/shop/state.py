"""The shop's state: every resource with an id (customers, orders, products, variants), and what
actions did to it. Captured side effects (emails, HTTP requests) are kept, never sent.

The state is built from an event's payload, so the resources an event mentions are exactly the
ones actions can touch; ``snapshot()`` is the canonical end state the truth oracle compares.
"""

from __future__ import annotations

import copy
import json
from typing import Any

MUTABLE = (
    "tags",
    "note",
    "metafields",
    "status",
    "cancelled",
    "cancel_reason",
    "captured",
    "paid",
    "fulfillment_hold",
    "archived",
    "published",
    "marketing_state",
    "extra_line_items",
)


class ShopState:
    def __init__(self) -> None:
        self.resources: dict[str, dict[str, Any]] = {}
        self.outbox: list[dict[str, Any]] = []

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> ShopState:
        shop = cls()
        shop._register(payload)
        return shop

    def _register(self, value: Any) -> None:
        if isinstance(value, dict):
            if isinstance(value.get("id"), str) and value["id"].startswith("gid://"):
                raw_tags = value.get("tags") if isinstance(value.get("tags"), list) else []
                self.resources.setdefault(
                    value["id"],
                    {
                        "tags": [t for t in raw_tags if isinstance(t, str)],
                        "note": value.get("note"),
                        "status": value.get("status"),
                    },
                )
            for child in value.values():
                self._register(child)
        elif isinstance(value, list):
            for child in value:
                self._register(child)

    def resource(self, resource_id: str) -> dict[str, Any]:
        if resource_id not in self.resources:
            raise KeyError(f"no resource {resource_id!r} in the shop")
        return self.resources[resource_id]

    def add_tags(self, resource_id: str, tags: list[str]) -> None:
        current = self.resource(resource_id)["tags"]
        for tag in tags:
            if tag.lower() not in (t.lower() for t in current):
                current.append(tag)

    def remove_tags(self, resource_id: str, tags: list[str]) -> None:
        lowered = {t.lower() for t in tags}
        resource = self.resource(resource_id)
        resource["tags"] = [t for t in resource["tags"] if t.lower() not in lowered]

    def set(self, resource_id: str, key: str, value: Any) -> None:
        self.resource(resource_id)[key] = value

    def set_metafield(
        self, resource_id: str, namespace: str, key: str, value: str, type_: str
    ) -> None:
        self.resource(resource_id).setdefault("metafields", {})[f"{namespace}.{key}"] = {
            "value": value,
            "type": type_,
        }

    def send(self, message: dict[str, Any]) -> None:
        self.outbox.append(message)

    def snapshot(self) -> dict[str, Any]:
        """The end state: each resource's mutable attributes (tags sorted case-insensitively) and
        the outbox as a sorted list, so equal behaviour gives equal snapshots."""
        resources = {}
        for rid, attrs in sorted(self.resources.items()):
            state = {k: copy.deepcopy(v) for k, v in attrs.items() if v not in (None, [], {})}
            if "tags" in state:
                state["tags"] = sorted({t.lower() for t in state["tags"]})
            if state:
                resources[rid] = state
        outbox = sorted(json.dumps(m, sort_keys=True) for m in self.outbox)
        return {"resources": resources, "outbox": [json.loads(m) for m in outbox]}
