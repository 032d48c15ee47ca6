"""Reading JSONL, CSV and Parquet files as (line, row) pairs, with errors instead of exceptions.

Readers never stop at the first bad line: they yield a ``RowError`` and carry on, so one pass
reports every problem in a file. Bytes read are counted so the caller can show progress.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalwheel.datasets.schemas import JSON_CELL_FIELDS

FORMATS = ("jsonl", "csv", "parquet")


@dataclass(frozen=True)
class RowError:
    line: int
    field: str
    message: str


@dataclass
class ByteCounter:
    done: int = 0
    total: int = 0


@dataclass(frozen=True)
class RawRow:
    line: int
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


def _decoded_lines(path: Path, counter: ByteCounter) -> Iterator[tuple[int, str | None]]:
    """Physical lines as text; ``None`` for a line that is not UTF-8."""
    with open(path, "rb") as f:
        for number, raw in enumerate(f, start=1):
            counter.done += len(raw)
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                yield number, raw.decode("utf-8")
            except UnicodeDecodeError:
                yield number, None


def read_jsonl(path: Path, counter: ByteCounter) -> Iterator[RawRow]:
    for number, text in _decoded_lines(path, counter):
        if text is None:
            yield RawRow(number, {}, [RowError(number, "(line)", "not valid UTF-8")])
            continue
        if not text.strip():
            continue
        try:
            data = json.loads(text.rstrip("\r\n"))
        except json.JSONDecodeError as exc:
            yield RawRow(
                number,
                {},
                [RowError(number, "(line)", f"invalid JSON: {exc.msg} (column {exc.colno})")],
            )
            continue
        if not isinstance(data, dict):
            yield RawRow(
                number,
                {},
                [RowError(number, "(line)", f"expected a JSON object, got {type(data).__name__}")],
            )
            continue
        yield RawRow(number, data)


def _csv_cell(name: str, value: str) -> tuple[Any, str | None]:
    """Interpret one CSV cell: empty is missing, JSON-valued fields are parsed, tags are split."""
    if value == "":
        return None, None
    stripped = value.strip()
    if name in JSON_CELL_FIELDS and stripped[:1] in ("{", "["):
        try:
            return json.loads(stripped), None
        except json.JSONDecodeError as exc:
            return None, f"invalid JSON: {exc.msg} (column {exc.colno})"
    if name == "input" and stripped.startswith("{"):
        try:
            return json.loads(stripped), None
        except json.JSONDecodeError:
            return value, None
    if name == "tags":
        if stripped.startswith("["):
            try:
                return json.loads(stripped), None
            except json.JSONDecodeError as exc:
                return None, f"invalid JSON list: {exc.msg}"
        return [t.strip() for t in stripped.split(",") if t.strip()], None
    return value, None


def read_csv(path: Path, counter: ByteCounter) -> Iterator[RawRow]:
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    lines = _decoded_lines(path, counter)
    current = {"line": 0}

    def texts() -> Iterator[str]:
        for number, text in lines:
            current["line"] = number
            yield text if text is not None else "\x00<not utf-8>\x00"

    reader = csv.reader(texts(), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        yield RawRow(1, {}, [RowError(1, "(header)", str(exc))])
        return
    header = [h.strip() for h in header]
    if len(set(header)) != len(header):
        dupes = sorted({h for h in header if header.count(h) > 1})
        yield RawRow(1, {}, [RowError(1, "(header)", f"duplicate column(s): {', '.join(dupes)}")])
        return
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
        if any("\x00<not utf-8>\x00" in c for c in cells):
            yield RawRow(start, {}, [RowError(start, "(line)", "not valid UTF-8")])
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
                errors.append(RowError(start, name, problem))
            elif parsed is not None:
                data[name] = parsed
        yield RawRow(start, data, errors)


def read_parquet(path: Path, counter: ByteCounter) -> Iterator[RawRow]:
    try:
        import pyarrow.parquet as pq
    except ModuleNotFoundError:
        raise ValueError(
            "reading Parquet needs pyarrow: pip install 'evalwheel[parquet]'"
        ) from None
    parquet = pq.ParquetFile(path)
    number = 0
    for batch in parquet.iter_batches(batch_size=4096):
        for record in batch.to_pylist():
            number += 1
            yield RawRow(number, {k: v for k, v in record.items() if v is not None})
        counter.done = min(counter.total, counter.done + batch.nbytes)
    counter.done = counter.total


def read_rows(path: Path, fmt: str, counter: ByteCounter) -> Iterator[RawRow]:
    counter.total = path.stat().st_size
    if fmt == "jsonl":
        return read_jsonl(path, counter)
    if fmt == "csv":
        return read_csv(path, counter)
    return read_parquet(path, counter)
