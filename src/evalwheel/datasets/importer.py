"""Validating a data file into examples: all or nothing.

The whole file is read and validated before anything is written; any bad row makes the import fail
with one ``FILE:LINE: field: message`` line per problem, and the store is untouched. Only a fully
valid file reaches ``DatasetRepository.save_version``, which writes it in one transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from evalwheel.core.dataset import DatasetKind
from evalwheel.core.hashing import canonical_json, content_hash, short
from evalwheel.datasets.kinds import row_schema
from evalwheel.datasets.readers import (
    ByteCounter,
    RawRow,
    RowError,
    detect_format,
    missing_columns,
    read_rows,
)
from evalwheel.datasets.schemas import RowBase
from evalwheel.errors import InputError
from evalwheel.inputfiles import check_value

MAX_REPORTED_ERRORS = 1000

ProgressCallback = Callable[[int, int, int], None]  # (bytes_done, bytes_total, rows_done)


@dataclass(frozen=True)
class PreparedExample:
    """An example ready to store: its id, content hash and canonical JSON payload."""

    example_id: str
    hash: str
    payload: str


class ImportFailed(InputError):
    """The file has bad rows; ``errors`` lists them and nothing was stored."""

    def __init__(self, path: Path, errors: list[RowError], truncated: bool) -> None:
        self.path = path
        self.errors = errors
        self.truncated = truncated
        super().__init__(self.render())

    def lines(self) -> list[str]:
        return [e.render(self.path) for e in self.errors]

    def render(self) -> str:
        text = "\n".join(self.lines())
        if self.truncated:
            text += f"\n(stopped listing after {MAX_REPORTED_ERRORS} errors)"
        return text


#: pydantic's names for the branches of ``schemas.Request`` (text | object | array) in error paths.
_REQUEST_BRANCHES = frozenset({"constrained-str", "dict[str,any]", "list[any]"})


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return type(value).__name__


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    if not parts:
        return "(row)"
    head, rest = parts[0], parts[1:]
    return head + "".join(f"[{p}]" for p in rest)


def row_to_example(
    row: RawRow, schema: type[RowBase]
) -> tuple[PreparedExample | None, list[RowError]]:
    """Validate one row against its kind's schema and serialise it canonically.

    The serialised form is exactly ``Example.content()`` (a test holds the two together), built
    without a second pydantic pass because the row schema has already checked every field.
    """
    try:
        parsed = schema.model_validate(row.data)
    except ValidationError as exc:
        errors = []
        unions: set[str] = set()
        for err in exc.errors():
            loc = tuple(err["loc"])
            message = "required" if err["type"] == "missing" else err["msg"]
            if len(loc) == 2 and loc[1] in _REQUEST_BRANCHES:
                # One line for a request of the wrong shape, not one per union branch.
                value = row.data.get(str(loc[0]))
                if isinstance(value, str) and loc[1] == "constrained-str":
                    errors.append(RowError(row.line, str(loc[0]), message))
                elif not isinstance(value, str) and loc[0] not in unions:
                    unions.add(str(loc[0]))
                    errors.append(
                        RowError(
                            row.line,
                            str(loc[0]),
                            f"expected text, a JSON object or an array, got {_json_kind(value)}",
                        )
                    )
                continue
            errors.append(RowError(row.line, _field_name(loc), message))
        return None, errors
    metadata = dict(parsed.metadata)
    for name in schema.metadata_fields:
        metadata[name] = getattr(parsed, name)
    metadata.update(parsed.model_extra or {})
    content = {
        "input": parsed.input,
        "reference": parsed.reference,
        "output": parsed.output,
        "label": parsed.label,
        "tags": list(parsed.tags),
        "split": parsed.split,
        "metadata": metadata,
    }
    try:
        if parsed.id is None:
            # Rows without an id get one from their content, so identical rows collide as duplicates.
            content["id"] = "h" + short(content_hash(content))
        else:
            content["id"] = str(parsed.id)
        payload = canonical_json(content)
    except (TypeError, ValueError, RecursionError) as exc:
        # Readers check values already; this names the field if a value still slipped through.
        field, message = check_value(content) or ("(row)", f"value is not JSON-compatible: {exc}")
        return None, [RowError(row.line, field, message)]
    digest = hashlib.sha256(payload.encode("utf-8")).hexdigest()
    return PreparedExample(content["id"], digest, payload), []


SYNONYMS = {
    "input": ("request", "prompt", "question", "query", "instruction", "message", "text"),
    "reference": ("expected", "answer", "ideal", "target", "gold", "workflow"),
    "output": ("response", "completion", "prediction", "generated"),
    "label": ("verdict", "rating", "grade"),
}


def absent_required(
    schema: type[RowBase], columns: set[str], field_map: dict[str, str] | None, line: int
) -> list[RowError]:
    """A required field that no row of the file has, as one line naming the ``--field`` mapping
    that would supply it (instead of one "required" per row)."""
    if not columns:
        return []
    present = columns | set((field_map or {}).keys())
    problems = []
    for name, info in schema.model_fields.items():
        if not info.is_required() or name in present:
            continue
        candidates = [c for c in SYNONYMS.get(name, ()) if c in columns]
        hint = (
            f"; map one with --field {name}={candidates[0]}"
            if candidates
            else f"; map one with --field {name}=COLUMN"
        )
        listed = ", ".join(sorted(columns)[:50])
        problems.append(
            RowError(line, name, f"no row has this field; the file's columns: {listed}{hint}")
        )
    return problems


def validate_file(
    path: Path,
    kind: DatasetKind | str,
    *,
    fmt: str | None = None,
    progress: ProgressCallback | None = None,
    field_map: dict[str, str] | None = None,
) -> list[PreparedExample]:
    """Read and validate every row; raise ``ImportFailed`` listing all bad rows.

    ``field_map`` renames source columns to Example fields first (``{"input": "request"}`` reads
    the ``request`` column as ``input``), so a file in its own vocabulary imports without editing.
    """
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    renames = {source: target for target, source in (field_map or {}).items()}
    schema = row_schema(kind)
    counter = ByteCounter()
    errors: list[RowError] = []
    prepared: list[PreparedExample] = []
    first_line: dict[str, int] = {}
    rows = 0
    first_row: int | None = None
    fmt = detect_format(path, fmt)
    for row in read_rows(path, fmt, counter):
        rows += 1
        if first_row is None and row.line is not None and not row.errors:
            first_row = row.line
        if progress and rows % 2000 == 0:
            progress(counter.done, counter.total, rows)
        if len(errors) >= MAX_REPORTED_ERRORS:
            continue
        if row.errors:
            errors.extend(row.errors)
            continue
        if renames:
            row = RawRow(row.line, {renames.get(k, k): v for k, v in row.data.items()}, row.errors)
        example, problems = row_to_example(row, schema)
        if problems or example is None:
            errors.extend(problems)
            continue
        if example.example_id in first_line:
            first = first_line[example.example_id]
            errors.append(
                RowError(
                    row.line, "id", f"duplicate id {example.example_id!r} (first at line {first})"
                )
            )
            continue
        first_line[example.example_id] = row.line
        prepared.append(example)
    if progress:
        progress(counter.total, counter.total, rows)
    header_line = 1 if fmt == "csv" else first_row or 1
    unmapped = missing_columns(field_map, counter.columns, header_line) or absent_required(
        schema, counter.columns, field_map, header_line
    )
    if unmapped:
        raise ImportFailed(path, unmapped, False)
    if errors:
        truncated = len(errors) >= MAX_REPORTED_ERRORS
        raise ImportFailed(path, errors[:MAX_REPORTED_ERRORS], truncated)
    if not prepared:
        raise ImportFailed(path, [RowError(1, "(file)", "no rows")], False)
    return prepared
