"""Events: a trigger and the payload it delivers, built from the catalog's types.

``sample_payload`` makes a realistic, deterministic payload for any trigger (every field filled,
lists with two items, ids as ``gid://shopify/Type/N``), which tests and the equivalence checker then
edit at the paths a condition reads. Past the depth asked for, lists are empty and objects that
can be null are null; an object that cannot be null (an order's ``totalPriceSet.shopMoney``) is
always there, as in the Admin API.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from evalwheel_flow.catalog.catalog import Catalog, FieldType, Task

WORDS = ["alpha", "summer", "vip", "Acme", "gift", "express", "north", "blue", "pos", "web"]


@dataclass
class Event:
    trigger: str  # a task id
    payload: dict[str, Any]
    # the shop's other resources, by type ("Order": [...]): what a get-data step can find
    stock: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def to_data(self) -> dict[str, Any]:
        data = {"trigger": self.trigger, "payload": self.payload}
        return {**data, "stock": self.stock} if self.stock else data


class _Sampler:
    def __init__(self, catalog: Catalog, rng: random.Random) -> None:
        self.catalog = catalog
        self.rng = rng
        self.counter = 1000

    def value(self, type_: FieldType, owner: str, name: str, depth: int) -> Any:
        if type_.kind == "enum":
            return self.rng.choice(type_.values)
        if type_.kind == "list":
            if type_.item is None or depth <= 0:
                return []
            if type_.item.kind == "scalar" and type_.item.name == "String":
                return self.rng.sample(WORDS, 2)
            return [self.value(type_.item, owner, name, depth - 1) for _ in range(2)]
        if type_.kind == "object":
            if depth <= 0 and (name in self.catalog.nullable.get(owner, ()) or depth < -8):
                return None
            obj = {}
            for field, field_type in self.catalog.fields_of(type_).items():
                if field == "id":
                    self.counter += 1
                    obj["id"] = f"gid://shopify/{type_.name}/{self.counter}"
                else:
                    obj[field] = self.value(field_type, type_.name, field, depth - 1)
            return obj
        return self.scalar(type_.name, name)

    def scalar(self, kind: str, name: str) -> Any:
        rng = self.rng
        if kind == "Integer":
            return rng.randint(0, 20)
        if kind == "Decimal":
            return f"{rng.uniform(1, 500):.2f}"
        if kind == "Boolean":
            return rng.random() < 0.5
        if kind == "Date":
            return f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:00:00Z"
        if kind == "ID":
            self.counter += 1
            return f"gid://shopify/Object/{self.counter}"
        if name == "email":
            return f"{rng.choice(WORDS).lower()}@example.com"
        if name in ("countryCodeV2",):
            return rng.choice(["US", "CA", "GB", "FR", "DE"])
        if name in ("currencyCode",):
            return "USD"
        return rng.choice(WORDS)


def sample_payload(
    catalog: Catalog, trigger: Task, seed: int = 0, depth: int = 4
) -> dict[str, Any]:
    sampler = _Sampler(catalog, random.Random(seed))
    scope = catalog.scope(trigger)
    return {name: sampler.value(type_, "", name, depth) for name, type_ in scope.items()}


def sample_value(catalog: Catalog, type_: FieldType, rng: random.Random, depth: int = 3) -> Any:
    """One value of a type (e.g. a list item), with ids that don't collide with a payload's."""
    sampler = _Sampler(catalog, rng)
    sampler.counter = rng.randint(10_000, 99_999)
    return sampler.value(type_, "", "item", depth)


def set_path(payload: dict[str, Any], parts: tuple[str, ...], value: Any) -> None:
    """Set a value at a dotted path, creating objects on the way."""
    current = payload
    for part in parts[:-1]:
        nxt = current.get(part)
        if not isinstance(nxt, dict):
            nxt = {}
            current[part] = nxt
        current = nxt
    current[parts[-1]] = value
