"""Datasets through the API: a file or a list of examples becomes an immutable, content-hashed
version in the project's store (the same content gives the same version)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from evalwheel.api.projects import ProjectLike, open_project
from evalwheel.apps.hooks import installed_signature
from evalwheel.core.dataset import DatasetKind, DatasetRef, DatasetVersion
from evalwheel.core.example import Example
from evalwheel.datasets.importer import ImportFailed, PreparedExample, row_to_example, validate_file
from evalwheel.datasets.kinds import row_schema
from evalwheel.datasets.readers import RawRow, RowError
from evalwheel.datasets.splits import SIGNATURE, SignatureFn, SplitPolicy, SplitReport, split_report
from evalwheel.errors import InputError, NotFoundError
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


def split_policy(
    project: ProjectLike = None,
    *,
    seed: int | None = None,
    stratify_by: str | None = None,
    group_by: str | None = None,
) -> SplitPolicy:
    """The project's ``[datasets.splits]`` policy, with overrides (``""`` for ``stratify_by`` or
    ``group_by`` means none). Every command that takes a split uses this, so ``dataset split``,
    ``dataset export --split`` and ``run --split`` agree on where an item is."""
    cfg = open_project(project).config.datasets.splits
    try:
        return SplitPolicy(
            seed=cfg.seed if seed is None else seed,
            train=cfg.train,
            dev=cfg.dev,
            test=cfg.test,
            stratify_by=cfg.stratify_by if stratify_by is None else (stratify_by or None),
            group_by=cfg.group_by if group_by is None else (group_by or None),
        )
    except ValueError as exc:
        raise InputError(str(exc), field="group_by") from None


def split_signature(policy: SplitPolicy) -> SignatureFn | None:
    """The signature ``policy`` groups by (None when it does not group by signature); an
    ``InputError`` when it does and no installed application gives one."""
    if policy.group_by != SIGNATURE:
        return None
    signature = installed_signature()
    if signature is None:
        raise InputError(
            "group_by 'signature' needs an application that gives items a structural signature, "
            "and none is installed",
            field="group_by",
        )
    return signature


def split_dataset(
    ref: str,
    *,
    project: ProjectLike = None,
    seed: int | None = None,
    stratify_by: str | None = None,
    group_by: str | None = None,
) -> SplitReport:
    """Where each item of a stored version lands: counts per stratum and split, the groups, and
    the groups that explicit splits put in more than one split."""
    project_obj = open_project(project)
    policy = split_policy(project_obj, seed=seed, stratify_by=stratify_by, group_by=group_by)
    signature = split_signature(policy)
    store = project_obj.open_store()
    try:
        repo = DatasetRepository(store)
        version = resolve_version(repo, ref)
        report = split_report(repo.iter_examples(version.version_id), policy, signature)
    finally:
        store.close()
    return report.model_copy(update={"dataset": version.ref})


def resolve_version(repo: DatasetRepository, ref: str) -> DatasetVersion:
    """The version ``NAME[@VERSION]`` means; a malformed reference is an ``InputError``."""
    try:
        return repo.resolve(ref)
    except NotFoundError:
        raise
    except ValueError as exc:
        raise InputError(str(exc), field="dataset") from None
