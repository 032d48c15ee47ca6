"""Loading the catalog and answering questions about it: tasks, data paths and their types.

Types in ``catalog.json`` are written compactly: a scalar name (``String``, ``Integer``, ``Decimal``,
``Boolean``, ``Date``, ``ID``), an object type name (``Order``), a list (``[LineItem]``), or an
inline enum (``{"enum": [...]}``). ``FieldType`` is the parsed form.

A field of an object type that the Admin API may return as null is written with a trailing ``?``
(``"customer": "Customer?"``; an enum has ``"nullable": true``); every other field, every list and
every trigger payload root is never null. The oracle reads this to know where nil is possible.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any, Literal

from pydantic import BaseModel, Field

SCALARS = {"String", "Integer", "Decimal", "Boolean", "Date", "ID"}
NUMERIC = {"Integer", "Decimal"}


@dataclass(frozen=True)
class FieldType:
    kind: Literal["scalar", "enum", "object", "list"]
    name: str = ""
    values: tuple[str, ...] = ()
    item: FieldType | None = None

    def __str__(self) -> str:
        if self.kind == "list":
            return f"[{self.item}]"
        if self.kind == "enum":
            return "Enum(" + ",".join(self.values) + ")"
        return self.name

    @property
    def is_numeric(self) -> bool:
        return self.kind == "scalar" and self.name in NUMERIC


class ConfigField(BaseModel):
    type: str
    required: bool = True
    liquid: bool = False
    hidden: bool = False
    enum: list[str] | None = None
    default: str | None = None  # what Flow uses when an optional field is left out
    free: bool = False  # wording left to the agent: the oracle compares presence, the judge content


class Task(BaseModel):
    task_id: str
    handle: str
    task_type: Literal["TRIGGER", "ACTION", "CONDITION", "FOREACH", "WAIT"]
    name: str
    description: str
    payload: dict[str, Any] = Field(default_factory=dict)
    requires: str | None = None
    config_fields: dict[str, ConfigField] = Field(default_factory=dict)
    outputs: dict[str, Any] = Field(default_factory=dict)


class PathError(LookupError):
    pass


class Catalog:
    def __init__(self, data: dict[str, Any]) -> None:
        self.version: str = data["version"]
        self.types: dict[str, dict[str, Any]] = {}
        self.nullable: dict[str, frozenset[str]] = {}
        for name, fields in data["types"].items():
            self.types[name] = {field: _strip_null(spec) for field, spec in fields.items()}
            self.nullable[name] = frozenset(
                field for field, spec in fields.items() if _is_nullable(spec)
            )
        self.always_in_scope: dict[str, Any] = data["always_in_scope"]
        self.tasks: dict[str, Task] = {t["task_id"]: Task.model_validate(t) for t in data["tasks"]}

    def task(self, task_id: str) -> Task | None:
        return self.tasks.get(task_id)

    def by_type(self, task_type: str) -> list[Task]:
        return [t for t in self.tasks.values() if t.task_type == task_type]

    def search(self, query: str, task_type: str | None = None, limit: int = 10) -> list[Task]:
        """Tasks ranked by how many query words appear in their handle, name and description."""
        words = [w for w in query.lower().replace("_", " ").split() if len(w) > 1]
        scored = []
        for task in self.tasks.values():
            if task_type and task.task_type != task_type:
                continue
            text = f"{task.handle.replace('_', ' ')} {task.name} {task.description}".lower()
            score = sum(2 if w in task.handle else 1 for w in words if w in text)
            if score:
                scored.append((score, task.task_id, task))
        scored.sort(key=lambda s: (-s[0], s[1]))
        return [t for _, _, t in scored[:limit]]

    def parse_type(self, spec: Any) -> FieldType:
        if isinstance(spec, dict):
            return FieldType("enum", "Enum", tuple(spec["enum"]))
        if spec.startswith("["):
            return FieldType("list", item=self.parse_type(spec[1:-1]))
        if spec in SCALARS:
            return FieldType("scalar", spec)
        if spec in self.types:
            return FieldType("object", spec)
        raise ValueError(f"unknown type {spec!r} in the catalog")

    def scope(self, trigger: Task) -> dict[str, FieldType]:
        """The names a trigger puts in scope (and ``shop``, always there)."""
        roots = {**self.always_in_scope, **trigger.payload}
        return {name: self.parse_type(spec) for name, spec in roots.items()}

    def fields_of(self, type_: FieldType) -> dict[str, FieldType]:
        if type_.kind != "object":
            return {}
        return {name: self.parse_type(spec) for name, spec in self.types[type_.name].items()}

    def resolve(self, scope: dict[str, FieldType], path: str) -> FieldType:
        """The type at a dotted path, e.g. ``order.customer.amountSpent.amount`` → Decimal."""
        head, *rest = path.split(".")
        if head not in scope:
            raise PathError(
                f"{head!r} is not in scope here (available: {', '.join(sorted(scope))})"
            )
        current = scope[head]
        walked = head
        for part in rest:
            fields = self.fields_of(current)
            if part not in fields:
                if current.kind == "list":
                    raise PathError(
                        f"{walked} is a list: use any?/all?/none? or a for-each to reach {part!r}"
                    )
                raise PathError(f"{walked} ({current}) has no field {part!r}")
            current = fields[part]
            walked = f"{walked}.{part}"
        return current

    def null_prefix(self, scope: dict[str, FieldType], path: str) -> str | None:
        """The deepest part of a path that can be null (the path itself when its last field can),
        or None when nothing along it can: only there may the oracle try nil, because the path is
        nil exactly when that part is null."""
        head, *rest = path.split(".")
        if head not in scope:
            raise PathError(f"{head!r} is not in scope here")
        current, walked, found = scope[head], head, None
        for part in rest:
            fields = self.fields_of(current)
            if part not in fields:
                raise PathError(f"{walked} ({current}) has no field {part!r}")
            walked = f"{walked}.{part}"
            if part in self.nullable[current.name]:
                found = walked
            current = fields[part]
        return found

    def data_paths(
        self, scope: dict[str, FieldType], prefix: str = "", depth: int = 4
    ) -> list[tuple[str, FieldType]]:
        """Every reachable path (lists are not entered), for the agent's data-path search."""
        out: list[tuple[str, FieldType]] = []
        for name, type_ in scope.items():
            path = f"{prefix}{name}"
            out.append((path, type_))
            if type_.kind == "object" and depth > 0:
                out.extend(self.data_paths(self.fields_of(type_), path + ".", depth - 1))
        return out


def _is_nullable(spec: Any) -> bool:
    if isinstance(spec, dict):
        return bool(spec.get("nullable"))
    return spec.endswith("?")


def _strip_null(spec: Any) -> Any:
    if isinstance(spec, dict):
        return {"enum": spec["enum"]}
    return spec.removesuffix("?")


@cache
def load_catalog() -> Catalog:
    text = (files("evalwheel_flow.catalog") / "catalog.json").read_text(encoding="utf-8")
    return Catalog(json.loads(text))
