"""Datasets through the API: a file or a list of examples becomes an immutable, content-hashed
version in the project's store (the same content gives the same version)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from evalwheel.api.projects import ProjectLike, open_project
from evalwheel.core.dataset import DatasetKind, DatasetRef, DatasetVersion
from evalwheel.core.example import Example
from evalwheel.datasets.importer import ImportFailed, PreparedExample, row_to_example, validate_file
from evalwheel.datasets.kinds import row_schema
from evalwheel.datasets.readers import RawRow, RowError
from evalwheel.errors import InputError
from evalwheel.store.datasets import DatasetRepository

ReadProgress = Callable[[int, int, int], None]  # (bytes_done, bytes_total, rows_done)
WriteProgress = Callable[[int, int], None]  # (rows_written, rows_total)


def _kind(kind: DatasetKind | str) -> DatasetKind:
    """A kind with an installed row schema (``UnknownKind`` lists the known ones)."""
    row_schema(str(kind))
    return DatasetKind(kind)


def _name(name: str) -> str:
    try:
        DatasetRef.parse(name)
    except ValueError as exc:
        raise InputError(str(exc), field="name") from None
    return name


def import_dataset(
    path: str | os.PathLike[str],
    name: str,
    kind: DatasetKind | str = "benchmark",
    *,
    project: ProjectLike = None,
    fmt: str | None = None,
    fields: Mapping[str, str] | None = None,
    on_read: ReadProgress | None = None,
    on_write: WriteProgress | None = None,
) -> tuple[DatasetVersion, bool]:
    """Validate a JSONL/CSV/Parquet file whole, then store it as a version of ``name``.

    Returns the version and whether it is new. A bad file raises ``ImportFailed`` listing every bad
    row as ``FILE:LINE: field: message``; nothing is stored then. ``fields`` maps Example fields to
    the file's own column names (``{"input": "request"}``).
    """
    kind_value, name = _kind(kind), _name(name)
    source = Path(path)
    try:
        prepared = validate_file(
            source, kind_value, fmt=fmt, progress=on_read, field_map=dict(fields or {})
        )
    except FileNotFoundError as exc:
        raise InputError(str(exc)) from None
    store = open_project(project).open_store()
    try:
        if on_write:
            on_write(0, 2 * len(prepared))  # validation is over; writing starts
        return DatasetRepository(store).save_version(
            name, kind_value, prepared, source=str(source), progress=on_write
        )
    finally:
        store.close()


def import_examples(
    examples: Iterable[Example | Mapping[str, Any]],
    name: str,
    kind: DatasetKind | str = "benchmark",
    *,
    project: ProjectLike = None,
) -> DatasetVersion:
    """Store examples given in Python as a version of ``name``, validated exactly like a file's
    rows (item N of the list is reported as ``<examples>:N``)."""
    kind_value, name = _kind(kind), _name(name)
    schema = row_schema(kind_value.value)
    prepared: list[PreparedExample] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for number, item in enumerate(examples, start=1):
        row = item.model_dump(mode="json") if isinstance(item, Example) else dict(item)
        if isinstance(item, Example) and not row.get("metadata"):
            row.pop("metadata", None)
        row = {k: v for k, v in row.items() if v not in (None, [], ())}
        example, problems = row_to_example(RawRow(number, row), schema)
        if problems or example is None:
            errors.extend(problems)
            continue
        if example.example_id in seen:
            errors.append(
                RowError(
                    number,
                    "id",
                    f"duplicate id {example.example_id!r} (first at {seen[example.example_id]})",
                )
            )
            continue
        seen[example.example_id] = number
        prepared.append(example)
    if errors:
        raise ImportFailed(Path("<examples>"), errors, truncated=False)
    if not prepared:
        raise InputError("no examples given", field="examples")
    store = open_project(project).open_store()
    try:
        version, _ = DatasetRepository(store).save_version(
            name, kind_value, prepared, source="<python>"
        )
        return version
    finally:
        store.close()
