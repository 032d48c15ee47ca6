"""Human labels from Python: read and import long-format files, list what is stored, work the review
queue, and measure agreement on any labels (people's or judges').

Every function raises ``EvalwheelError`` subclasses (``LabelFileError`` lists every bad row as
``FILE:LINE: field: message``; ``LabelConflict`` names the stored value a file would change).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from evalwheel.core.dataset import DatasetRef
from evalwheel.core.mirror import ReviewItem
from evalwheel.errors import InputError
from evalwheel.labels.longformat import LabelRow, read_labels, triples
from evalwheel.labels.repository import ImportResult, LabelRepository
from evalwheel.labels.review_queue import open_items, resolve
from evalwheel.project.opening import ProjectLike, project_and_store
from evalwheel.stats.agreement_report import AgreementReport, build_agreement_report
from evalwheel.store.db import Store

PathLike = str | os.PathLike[str]
Level = Literal["nominal", "ordinal", "interval"]
LabelSource = PathLike | Iterable[LabelRow] | Iterable[tuple[str, str, str]]


class LabelCounts(BaseModel):
    """One labelled dataset: items, raw label rows and adjudicated rows."""

    raw: int
    adjudicated: int
    items: int


def read_label_file(
    path: PathLike, *, fields: Mapping[str, str] | None = None, fmt: str | None = None
) -> list[LabelRow]:
    """Every row of a long-format file (CSV/TSV, JSONL, Parquet), or ``LabelFileError``.
    ``fields`` maps ``item``/``annotator``/``label``/``rationale``/``adjudicated`` to columns."""
    source = Path(os.fspath(path))
    if not source.exists():
        raise InputError(f"{source}: no such file")
    try:
        return read_labels(source, field_map=dict(fields or {}), fmt=fmt)
    except InputError:
        raise
    except ValueError as exc:
        raise InputError(f"{source}: {exc}") from None


def import_labels(
    path: PathLike,
    dataset: str,
    *,
    fields: Mapping[str, str] | None = None,
    fmt: str | None = None,
    replace: bool = False,
    project: ProjectLike = None,
    store: Store | None = None,
) -> ImportResult:
    """Import a label file for ``dataset`` (labels belong to the dataset's name): additive,
    identical rows skipped, a changed label refused unless ``replace``; a bad file stores nothing."""
    rows = read_label_file(path, fields=fields, fmt=fmt)
    try:
        name = DatasetRef.parse(dataset).name
    except ValueError as exc:
        raise InputError(str(exc), field="dataset") from None
    with project_and_store(project, store) as (_, opened):
        return LabelRepository(opened).save(name, rows, source=os.fspath(path), replace=replace)


def list_labels(
    *, project: ProjectLike = None, store: Store | None = None
) -> dict[str, LabelCounts]:
    """Labelled datasets by name."""
    with project_and_store(project, store) as (_, opened):
        summary = LabelRepository(opened).datasets()
    return {name: LabelCounts.model_validate(entry) for name, entry in summary.items()}


def review_queue(*, project: ProjectLike = None, store: Store | None = None) -> list[ReviewItem]:
    """Open review items (what panels escalated), highest priority first."""
    with project_and_store(project, store) as (_, opened):
        return open_items(opened)


def resolve_review(
    item_id: str,
    label: str,
    annotator: str,
    rationale: str | None = None,
    *,
    project: ProjectLike = None,
    store: Store | None = None,
) -> ReviewItem:
    """A human's decision on an escalated item; the score it held back takes the label."""
    with project_and_store(project, store) as (_, opened):
        return resolve(opened, item_id, label, annotator, rationale)


def _triples(
    labels: LabelSource,
    include_adjudicated: bool,
    fields: Mapping[str, str] | None,
    fmt: str | None,
) -> tuple[list[tuple[str, str, str]], str]:
    """(item, rater, label) rows from any source, and a ``FILE: `` prefix for its errors."""
    if isinstance(labels, str | os.PathLike):
        rows = read_label_file(labels, fields=fields, fmt=fmt)
        return triples(rows, include_adjudicated=include_adjudicated), f"{os.fspath(labels)}: "
    data: list[tuple[str, str, str]] = []
    for row in labels:
        if isinstance(row, LabelRow):
            if include_adjudicated or not row.adjudicated:
                data.append((row.item, row.annotator, row.label))
        else:
            item, rater, label = row
            data.append((str(item), str(rater), label))
    return data, ""


def agreement(
    labels: LabelSource,
    *,
    level: Level = "nominal",
    reference: str | None = None,
    categories: Sequence[str] | None = None,
    positive: str | None = None,
    include_adjudicated: bool = False,
    resamples: int = 10_000,
    seed: int = 0,
    fields: Mapping[str, str] | None = None,
    fmt: str | None = None,
) -> AgreementReport:
    """Every agreement statistic for every pair of raters and for all raters together, with 95%
    bootstrap intervals over items. ``labels``: a long-format file, ``LabelRow``s, or
    ``(item, rater, label)`` triples."""
    if level not in ("nominal", "ordinal", "interval"):
        raise InputError(f"must be nominal, ordinal or interval, not {level!r}", field="--level")
    if resamples < 100:
        raise InputError("must be at least 100", field="--resamples")
    data, where = _triples(labels, include_adjudicated, fields, fmt)
    if not data:
        raise InputError(f"{where}no labels")
    try:
        return build_agreement_report(
            data,
            level=level,
            reference=reference,
            categories=list(categories) if categories else None,
            positive=positive,
            resamples=resamples,
            seed=seed,
        )
    except InputError:
        raise
    except ValueError as exc:
        raise InputError(f"{where}{exc}") from None
