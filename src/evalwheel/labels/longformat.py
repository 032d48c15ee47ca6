"""Reading long-format label files (CSV/TSV, JSONL, Parquet): ``item, annotator, label`` and an
optional ``rationale`` and ``adjudicated`` per row. A file is read whole and every bad row is
reported as ``FILE:LINE: field: message``; nothing is stored from a file with errors.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from evalwheel.datasets.readers import ByteCounter, detect_format, missing_columns, read_rows
from evalwheel.errors import InputError

FIELDS = ("item", "annotator", "label", "rationale", "adjudicated")
ALIASES = {"item_id": "item", "id": "item", "rater": "annotator", "judge": "annotator"}
ADJUDICATED_NAMES = frozenset({"adjudicated", "adjudication", "gold"})
#: The store's column widths (PostgreSQL enforces them; SQLite would not, so both check here).
MAX_LENGTHS = {"item": 256, "annotator": 128, "label": 128}


class LabelRow(BaseModel):
    line: int
    item: str
    annotator: str
    label: str
    rationale: str | None = None
    adjudicated: bool = False


class LabelFileError(InputError):
    """Every problem in a label file, one ``FILE:LINE: field: message`` per line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


def _flag(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "y", "t"):
        return True
    if text in ("0", "false", "no", "n", "f", ""):
        return False
    return None


def read_labels(
    path: Path, *, field_map: dict[str, str] | None = None, fmt: str | None = None
) -> list[LabelRow]:
    """All rows of ``path``; ``field_map`` maps our field names to the file's column names.

    A row whose annotator is named ``adjudicated`` (or ``gold``) counts as adjudicated even without
    the flag. The same (item, annotator) twice with different labels is an error: which one is
    meant cannot be guessed.
    """
    columns = {name: name for name in FIELDS}
    columns.update(field_map or {})
    unknown = set(field_map or {}) - set(FIELDS)
    if unknown:
        raise ValueError(f"unknown label field(s) {sorted(unknown)}; known: {', '.join(FIELDS)}")
    problems: list[str] = []
    rows: list[LabelRow] = []
    seen: dict[tuple[str, str, bool], tuple[int, str]] = {}
    counter = ByteCounter()
    first_row: int | None = None
    fmt = detect_format(path, fmt)
    for raw in read_rows(path, fmt, counter):
        problems.extend(e.render(path) for e in raw.errors)
        if raw.errors or raw.line is None:
            continue
        first_row = first_row or raw.line
        data = dict(raw.data)
        for alias, name in ALIASES.items():
            if alias in data and columns[name] == name and name not in data:
                data[name] = data.pop(alias)
        values = {name: data.get(column) for name, column in columns.items()}
        shapes = [
            f"{path}:{raw.line}: {columns[name]}: expected text, got {type(value).__name__}"
            for name, value in values.items()
            if isinstance(value, dict | list)
        ]
        too_long = [
            f"{path}:{raw.line}: {columns[name]}: longer than {limit} characters"
            for name, limit in MAX_LENGTHS.items()
            if not isinstance(values[name], dict | list) and len(_text(values[name]) or "") > limit
        ]
        missing = [n for n in ("item", "annotator", "label") if _text(values[n]) is None]
        problems.extend(shapes + too_long)
        problems.extend(f"{path}:{raw.line}: {columns[name]}: required" for name in missing)
        if missing or shapes or too_long:
            continue
        flag = _flag(values["adjudicated"]) if values["adjudicated"] is not None else False
        if flag is None:
            problems.append(
                f"{path}:{raw.line}: {columns['adjudicated']}: expected true/false, "
                f"got {values['adjudicated']!r}"
            )
            continue
        row = LabelRow(
            line=raw.line,
            item=_text(values["item"]) or "",
            annotator=_text(values["annotator"]) or "",
            label=_text(values["label"]) or "",
            rationale=_text(values["rationale"]),
            adjudicated=flag or (_text(values["annotator"]) or "").lower() in ADJUDICATED_NAMES,
        )
        key = (row.item, row.annotator, row.adjudicated)
        if key in seen and seen[key][1] != row.label:
            problems.append(
                f"{path}:{row.line}: label: {row.annotator} already labelled {row.item} "
                f"{seen[key][1]!r} on line {seen[key][0]}"
            )
            continue
        if key not in seen:
            seen[key] = (row.line, row.label)
            rows.append(row)
    unmapped = missing_columns(field_map, counter.columns, 1 if fmt == "csv" else first_row or 1)
    if unmapped:
        raise LabelFileError([e.render(path) for e in unmapped])
    if problems:
        raise LabelFileError(problems)
    return rows


def triples(
    rows: Iterable[LabelRow], *, include_adjudicated: bool = False
) -> list[tuple[str, str, str]]:
    """(item, rater, label) for agreement statistics; adjudicated rows are a consensus, not a
    rater, so they are left out unless asked for."""
    return [
        (r.item, r.annotator, r.label) for r in rows if include_adjudicated or not r.adjudicated
    ]
