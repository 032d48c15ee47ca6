"""Any JSONL log as traffic, with the user naming which column is what.

``--map input=request.prompt --map time=ts`` reads the nested ``request.prompt`` as the input and
``ts`` as the time. Targets are ``input``, ``output``, ``id``, ``time`` and ``conversation``;
unmapped targets use the usual column names when present. Other columns are kept as metadata,
``tags`` as tags, so a dataset file written for ``evalwheel dataset import`` imports here too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evalwheel.datasets.importer import SYNONYMS
from evalwheel.datasets.readers import ByteCounter, RowError, read_jsonl
from evalwheel.errors import InputError
from evalwheel.traffic.records import ReadResult, TrafficRecord, parse_time

DEFAULT_COLUMNS: dict[str, tuple[str, ...]] = {
    "input": ("input",),
    "output": ("output",),
    "id": ("id",),
    "time": ("time", "timestamp", "seen_at", "created_at"),
    "conversation": ("conversation_id", "session_id", "conversation"),
}
TARGETS = tuple(DEFAULT_COLUMNS)


def check_mapping(mapping: dict[str, str]) -> None:
    for target, column in mapping.items():
        if target not in TARGETS:
            raise InputError(
                f"unknown target {target!r} in {target}={column}; use one of {', '.join(TARGETS)}",
                field="map",
            )
        if not column:
            raise InputError(f"{target}= needs a column name", field="map")


def lookup(data: dict[str, Any], column: str) -> tuple[bool, Any]:
    """The value at ``column``: a top-level key, else a dotted path into nested objects."""
    if column in data:
        return True, data[column]
    value: Any = data
    for part in column.split("."):
        if not isinstance(value, dict) or part not in value:
            return False, None
        value = value[part]
    return True, value


def _columns(data: dict[str, Any], mapping: dict[str, str]) -> dict[str, str]:
    chosen = dict(mapping)
    for target, names in DEFAULT_COLUMNS.items():
        if target not in chosen:
            found = next((n for n in names if n in data), None)
            if found is not None:
                chosen[target] = found
    return chosen


def mapped_record(line: int, data: dict[str, Any], mapping: dict[str, str]) -> TrafficRecord:
    """One row as a record; ``ValueError`` carries ``(field, message)`` in its args."""
    columns = _columns(data, mapping)
    values: dict[str, Any] = {}
    for target, column in columns.items():
        present, value = lookup(data, column)
        if present and value is not None:
            values[target] = value
    if values.get("input") in (None, ""):
        column = columns.get("input", "input")
        synonyms = [c for c in SYNONYMS["input"] if c in data]
        hint = f"; map one with --map input={synonyms[0] if synonyms else 'COLUMN'}"
        if "input" in mapping:
            hint = f" (--map input={column}): this row has no such column or it is empty"
        raise ValueError(column, f"required (the request){hint}")
    seen_at = None
    if "time" in values:
        try:
            seen_at = parse_time(values["time"])
        except ValueError as exc:
            raise ValueError(columns["time"], str(exc)) from None
    used = {c for c in columns.values() if "." not in c or c in data}
    tags = data.get("tags") if "tags" not in used else None
    if tags is not None and not (isinstance(tags, list) and all(isinstance(t, str) for t in tags)):
        raise ValueError("tags", "expected a list of strings")
    extra = {k: v for k, v in data.items() if k not in used and k not in ("tags", "metadata")}
    if isinstance(data.get("metadata"), dict) and "metadata" not in used:
        extra = {**data["metadata"], **extra}
    key = values.get("id")
    return TrafficRecord(
        line=line,
        key=str(key) if key not in (None, "") else f"line-{line}",
        input=values["input"],
        output=values.get("output"),
        conversation_id=None if values.get("conversation") is None else str(values["conversation"]),
        seen_at=seen_at,
        tags=list(tags or []),
        details=extra,
    )


def read_mapped(path: Path, mapping: dict[str, str]) -> ReadResult:
    check_mapping(mapping)
    result = ReadResult()
    seen_columns: set[str] = set()
    first_line: int | None = None
    for row in read_jsonl(path, ByteCounter()):
        if row.errors:
            result.errors.extend(row.errors)
            continue
        line = row.line or 0
        first_line = first_line or line
        seen_columns.update(c for c in mapping.values() if lookup(row.data, c)[0])
        try:
            result.records.append(mapped_record(line, row.data, mapping))
        except ValueError as exc:
            field_name, message = exc.args
            result.errors.append(RowError(line, field_name, message))
    missing = [f"{t}={c}" for t, c in mapping.items() if c not in seen_columns]
    if missing and first_line is not None:
        # One line for a mapping that names a column no row has, not one error per row.
        return ReadResult(
            errors=[
                RowError(first_line, "(map)", f"--map {m}: no row has this column") for m in missing
            ]
        )
    return result
