"""Labels in the store, per dataset (by name: labels follow an item across dataset versions, because
item ids are stable and the labels judge the item's content, which a version pins).

Importing is additive: a row already stored identically is skipped; a row that would change a
stored label is refused unless ``replace`` is asked for, so a re-import never silently rewrites
what annotators said.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

from pydantic import BaseModel
from sqlalchemy import select

from evalwheel.core.label import Label
from evalwheel.errors import ConflictError
from evalwheel.labels.longformat import LabelRow
from evalwheel.store.db import Store
from evalwheel.store.tables import LabelRow as LabelTable


class ImportResult(BaseModel):
    dataset: str
    added: int
    unchanged: int
    replaced: int
    items: int
    annotators: list[str]


class LabelConflict(ConflictError, ValueError):
    pass


class LabelRepository:
    def __init__(self, store: Store) -> None:
        self.store = store

    def save(
        self, dataset: str, rows: list[LabelRow], *, source: str = "", replace: bool = False
    ) -> ImportResult:
        now = datetime.now(UTC)
        added = unchanged = replaced = 0
        with self.store.write() as session:
            existing = {
                (r.item_id, r.annotator, r.adjudicated): r
                for r in session.scalars(select(LabelTable).where(LabelTable.dataset == dataset))
            }
            conflicts = []
            for row in rows:
                old = existing.get((row.item, row.annotator, row.adjudicated))
                if old is None:
                    session.add(
                        LabelTable(
                            dataset=dataset,
                            item_id=row.item,
                            annotator=row.annotator,
                            label=row.label,
                            rationale=row.rationale,
                            adjudicated=row.adjudicated,
                            created_at=now,
                        )
                    )
                    added += 1
                elif old.label == row.label and (old.rationale or None) == row.rationale:
                    unchanged += 1
                elif replace:
                    old.label, old.rationale, old.created_at = row.label, row.rationale, now
                    replaced += 1
                else:
                    conflicts.append(
                        f"{source}:{row.line}: label: {row.annotator} on {row.item} is stored as "
                        f"{old.label!r}, the file says {row.label!r} (use --replace to overwrite)"
                    )
            if conflicts:
                raise LabelConflict("\n".join(conflicts))
        return ImportResult(
            dataset=dataset,
            added=added,
            unchanged=unchanged,
            replaced=replaced,
            items=len({r.item for r in rows}),
            annotators=sorted({r.annotator for r in rows}),
        )

    def load(self, dataset: str) -> list[Label]:
        with self.store.read() as session:
            rows = session.scalars(
                select(LabelTable)
                .where(LabelTable.dataset == dataset)
                .order_by(LabelTable.item_id, LabelTable.annotator)
            ).all()
            return [
                Label(
                    item_id=r.item_id,
                    annotator=r.annotator,
                    label=r.label,
                    rationale=r.rationale,
                    adjudicated=r.adjudicated,
                    dataset=r.dataset,
                    created_at=r.created_at,
                )
                for r in rows
            ]

    def datasets(self) -> dict[str, dict[str, int]]:
        """Per dataset: items, raw rows and adjudicated rows."""
        summary: dict[str, dict[str, int]] = {}
        items: dict[str, set[str]] = defaultdict(set)
        with self.store.read() as session:
            for dataset, item, adjudicated in session.execute(
                select(LabelTable.dataset, LabelTable.item_id, LabelTable.adjudicated)
            ):
                entry = summary.setdefault(dataset or "", {"raw": 0, "adjudicated": 0})
                entry["adjudicated" if adjudicated else "raw"] += 1
                items[dataset or ""].add(item)
        for name, entry in summary.items():
            entry["items"] = len(items[name])
        return summary


def by_item(labels: list[Label]) -> tuple[dict[str, dict[str, Label]], dict[str, Label]]:
    """(item → annotator → raw label, item → adjudicated label)."""
    raw: dict[str, dict[str, Label]] = defaultdict(dict)
    adjudicated: dict[str, Label] = {}
    for label in labels:
        if label.adjudicated:
            adjudicated[label.item_id] = label
        else:
            raw[label.item_id][label.annotator] = label
    return dict(raw), adjudicated
