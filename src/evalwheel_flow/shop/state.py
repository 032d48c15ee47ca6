"""The shop's state: every resource with an id (customers, orders, products, variants), and what
actions did to it. Captured side effects (emails, HTTP requests) are kept, never sent.

The state is built from an event's payload, so the resources an event mentions are exactly the
ones actions can touch; ``snapshot()`` is the canonical end state, and ``snapshot(compared=True)``
the form the truth oracle compares: what an action wrote from a config field as
``config_values.compared`` puts it (a free note by presence, recipients as a set).
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
        self._compared: dict[tuple[str, str], Any] = {}  # (resource, attribute) → compared form
        self._compared_outbox: list[dict[str, Any]] = []

    @classmethod
    def from_payload(cls, payload: dict[str, Any], stock: Any = None) -> ShopState:
        """The resources an event's payload mentions, and those of the shop's stock."""
        shop = cls()
        shop._register(payload)
        shop._register(stock)
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
                        "fulfillment_hold": value.get("displayFulfillmentStatus") == "ON_HOLD"
                        or None,
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

    _SAME = object()

    def set(self, resource_id: str, key: str, value: Any, compared: Any = _SAME) -> None:
        """Set an attribute; ``compared`` is its form for the oracle when that differs."""
        self.resource(resource_id)[key] = value
        if compared is ShopState._SAME:
            self._compared.pop((resource_id, key), None)
        else:
            self._compared[(resource_id, key)] = compared

    def set_metafield(
        self, resource_id: str, namespace: str, key: str, value: str, type_: str
    ) -> None:
        self.resource(resource_id).setdefault("metafields", {})[f"{namespace}.{key}"] = {
            "value": value,
            "type": type_,
        }

    def send(self, message: dict[str, Any], compared: dict[str, Any] | None = None) -> None:
        """Capture a message; ``compared`` is its form for the oracle when that differs."""
        self.outbox.append(message)
        self._compared_outbox.append(message if compared is None else compared)

    def snapshot(self, compared: bool = False) -> dict[str, Any]:
        """The end state: each resource's mutable attributes (tags sorted case-insensitively) and
        the outbox as a sorted list, so equal behaviour gives equal snapshots; with ``compared``,
        in the form the oracle compares (empty values left out)."""
        resources = {}
        for rid, attrs in sorted(self.resources.items()):
            if compared:
                attrs = {k: self._compared.get((rid, k), v) for k, v in attrs.items()}
            state = {k: copy.deepcopy(v) for k, v in attrs.items() if v not in (None, [], {})}
            if "tags" in state:
                state["tags"] = sorted({t.lower() for t in state["tags"]})
            if state:
                resources[rid] = state
        messages = self._compared_outbox if compared else self.outbox
        if compared:
            messages = [{k: v for k, v in m.items() if v is not None} for m in messages]
        outbox = sorted(json.dumps(m, sort_keys=True) for m in messages)
        return {"resources": resources, "outbox": [json.loads(m) for m in outbox]}
