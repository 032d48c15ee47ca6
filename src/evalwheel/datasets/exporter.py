"""Writing a dataset version back out, in a form that re-imports to the same version id."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import Any, TextIO

from evalwheel.core.example import Example

CSV_COLUMNS = ("id", "input", "reference", "output", "label", "tags", "split", "metadata")


def example_record(example: Example) -> dict[str, Any]:
    """The example as a row: empty fields left out (they re-import as the same defaults)."""
    record = example.model_dump(mode="json")
    return {k: v for k, v in record.items() if v not in (None, [], {}, ())}


def write_jsonl(examples: Iterable[Example], out: TextIO) -> int:
    n = 0
    for example in examples:
        out.write(json.dumps(example_record(example), ensure_ascii=False, sort_keys=True) + "\n")
        n += 1
    return n


def _cell(name: str, value: Any) -> str:
    if value is None:
        return ""
    if name == "tags":
        return json.dumps(list(value), ensure_ascii=False) if value else ""
    if name == "metadata":
        return json.dumps(value, ensure_ascii=False, sort_keys=True) if value else ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def write_csv(examples: Iterable[Example], out: TextIO) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    n = 0
    for example in examples:
        record = example.model_dump(mode="json")
        writer.writerow([_cell(c, record.get(c)) for c in CSV_COLUMNS])
        n += 1
    return n
