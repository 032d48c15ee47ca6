"""Reading JSONL, CSV and Parquet files as (line, row) pairs, with errors instead of exceptions.

Readers never stop at the first bad line: they yield a ``RowError`` and carry on, so one pass
reports every problem in a file. Bytes read are counted so the caller can show progress.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalwheel.datasets.schemas import JSON_CELL_FIELDS
from evalwheel.inputfiles import JsonProblem, check_value, iter_lines, loads

FORMATS = ("jsonl", "csv", "parquet")


@dataclass(frozen=True)
class RowError:
    """One problem; ``line`` is None for a problem with the whole file (an unreadable Parquet)."""

    line: int | None
    field: str
    message: str

    def render(self, path: Path | str) -> str:
        """The ``FILE:LINE: field: message`` line every reader reports."""
        where = f"{path}:{self.line}" if self.line is not None else str(path)
        return f"{where}: {self.field}: {self.message}"


@dataclass
class ByteCounter:
    """What a reader learnt while reading: bytes for progress, and every column name it saw (the
    CSV header, the Parquet schema, the keys of JSON rows), so a ``--field`` mapping that names a
    column the file lacks can be refused instead of silently doing nothing."""

    done: int = 0
    total: int = 0
    columns: set[str] = field(default_factory=set)

    def add(self, n: int) -> None:
        self.done += n


@dataclass(frozen=True)
class RawRow:
    line: int | None
    data: dict[str, Any]
    errors: list[RowError] = field(default_factory=list)


def detect_format(path: Path, explicit: str | None = None) -> str:
    if explicit:
        if explicit not in FORMATS:
            raise ValueError(f"unknown format {explicit!r}: use one of {', '.join(FORMATS)}")
        return explicit
    suffix = path.suffix.lower().lstrip(".")
    if suffix in ("jsonl", "ndjson", "json"):
        return "jsonl"
    if suffix in ("csv", "tsv"):
        return "csv"
    if suffix in ("parquet", "pq"):
        return "parquet"
    raise ValueError(
        f"{path}: cannot tell the format from the name; pass --format jsonl|csv|parquet"
    )


def _check_row(number: int, data: dict[str, Any]) -> list[RowError]:
    """Depth, NUL, number and type problems in a parsed row, by field (see ``inputfiles``)."""
    problem = check_value(data)
    return [RowError(number, *problem)] if problem else []


def read_jsonl(path: Path, counter: ByteCounter) -> Iterator[RawRow]:
    for number, text, problem in iter_lines(path, on_bytes=counter.add):
        if text is None:
            yield RawRow(number, {}, [RowError(number, "(line)", problem or "unreadable")])
            continue
        if not text.strip():
            continue
        try:
            data = loads(text.rstrip("\r\n"))
        except JsonProblem as exc:
            yield RawRow(number, {}, [RowError(number, exc.field, exc.message)])
            continue
        if not isinstance(data, dict):
            yield RawRow(
                number,
                {},
                [RowError(number, "(line)", f"expected a JSON object, got {type(data).__name__}")],
            )
            continue
        counter.columns.update(data)
        yield RawRow(number, data)


def _json_cell(name: str, text: str) -> tuple[Any, RowError | None]:
    try:
        return loads(text, field=name), None
    except JsonProblem as exc:
        return None, RowError(0, exc.field, exc.message)


def _csv_cell(name: str, value: str) -> tuple[Any, RowError | None]:
    """Interpret one CSV cell: empty is missing, JSON-valued fields are parsed, tags are split.

    A returned error has line 0; the caller knows the record's line.
    """
    if value == "":
        return None, None
    stripped = value.strip()
    if name in JSON_CELL_FIELDS and stripped[:1] in ("{", "["):
        return _json_cell(name, stripped)
    if name == "input" and stripped.startswith("{"):
        parsed, problem = _json_cell(name, stripped)
        return (value, None) if problem else (parsed, None)
    if name == "tags":
        if stripped.startswith("["):
            parsed, problem = _json_cell(name, stripped)
            if problem and problem.message.startswith("invalid JSON:"):
                problem = RowError(0, name, "invalid JSON list:" + problem.message[13:])
            return parsed, problem
        return [t.strip() for t in stripped.split(",") if t.strip()], None
    return value, None


_UNREADABLE = "\x00<unreadable>\x00"


def read_csv(path: Path, counter: ByteCounter) -> Iterator[RawRow]:
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    current: dict[str, Any] = {"line": 0, "problem": None}

    def texts() -> Iterator[str]:
        for number, text, problem in iter_lines(path, on_bytes=counter.add):
            current["line"] = number
            if text is None:
                current["problem"] = problem
                yield _UNREADABLE + "\n"
            else:
                yield text

    reader = csv.reader(texts(), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        yield RawRow(1, {}, [RowError(1, "(header)", str(exc))])
        return
    if any(_UNREADABLE in h for h in header):
        yield RawRow(1, {}, [RowError(1, "(header)", current["problem"] or "unreadable")])
        return
    header = [h.strip() for h in header]
    if len(set(header)) != len(header):
        dupes = sorted({h for h in header if header.count(h) > 1})
        yield RawRow(1, {}, [RowError(1, "(header)", f"duplicate column(s): {', '.join(dupes)}")])
        return
    if any("\x00" in h for h in header):
        yield RawRow(1, {}, [RowError(1, "(header)", "a column name contains a NUL character")])
        return
    counter.columns.update(header)
    while True:
        start = current["line"] + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield RawRow(start, {}, [RowError(start, "(line)", f"malformed CSV: {exc}")])
            continue
        if not cells or all(c == "" for c in cells):
            continue
        if any(_UNREADABLE in c for c in cells):
            line = current["line"]
            yield RawRow(line, {}, [RowError(line, "(line)", current["problem"] or "unreadable")])
            continue
        if len(cells) != len(header):
            yield RawRow(
                start,
                {},
                [RowError(start, "(line)", f"expected {len(header)} columns, got {len(cells)}")],
            )
            continue
        data: dict[str, Any] = {}
        errors: list[RowError] = []
        for name, value in zip(header, cells, strict=True):
            parsed, problem = _csv_cell(name, value)
            if problem:
                errors.append(RowError(start, problem.field, problem.message))
            elif parsed is not None:
                data[name] = parsed
        yield RawRow(start, data, errors or _check_row(start, data))


def read_parquet(path: Path, counter: ByteCounter) -> Iterator[RawRow]:
    """Rows of a Parquet file, numbered from 1. A file pyarrow cannot read (not Parquet, empty,
    truncated, a corrupt page) is one ``(file)`` error, naming the row it stopped at if any."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ModuleNotFoundError:
        raise ValueError(
            "reading Parquet needs pyarrow: pip install 'evalwheel[parquet]'"
        ) from None
    number = 0
    try:
        parquet = pq.ParquetFile(path)
        counter.columns.update(parquet.schema_arrow.names)
        for batch in parquet.iter_batches(batch_size=4096):
            for record in batch.to_pylist():
                number += 1
                data = {k: v for k, v in record.items() if v is not None}
                yield RawRow(number, data, _check_row(number, data))
            counter.done = min(counter.total, counter.done + batch.nbytes)
    except (pa.ArrowException, OSError, ValueError) as exc:
        where = f" (after row {number})" if number else ""
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        yield RawRow(
            None, {}, [RowError(None, "(file)", f"not a readable Parquet file{where}: {message}")]
        )
        return
    counter.done = counter.total


def missing_columns(
    field_map: dict[str, str] | None, columns: set[str], line: int
) -> list[RowError]:
    """``--field FIELD=COLUMN`` mappings whose COLUMN the file does not have (none if the file had
    no readable row: its own errors say more). Reported instead of the rows' errors, which would
    otherwise be one "required" per row for the one cause."""
    if not columns:
        return []
    present = ", ".join(sorted(columns)[:50]) + (", …" if len(columns) > 50 else "")
    return [
        RowError(
            line,
            "(header)",
            f"--field {target}={source}: the file has no column {source!r}; its columns: {present}",
        )
        for target, source in (field_map or {}).items()
        if source not in columns
    ]


def read_rows(path: Path, fmt: str, counter: ByteCounter) -> Iterator[RawRow]:
    counter.total = path.stat().st_size
    if fmt == "jsonl":
        return read_jsonl(path, counter)
    if fmt == "csv":
        return read_csv(path, counter)
    return read_parquet(path, counter)
