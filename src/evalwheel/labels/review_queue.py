"""The human review queue: items a machine could not decide (a split panel, a failed arbiter),
ordered by priority. Stored as records of kind ``review``; enqueueing the same subject twice keeps
the first entry, so a re-run never duplicates work for reviewers."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from evalwheel.core.hashing import content_hash, short
from evalwheel.core.mirror import ReviewItem
from evalwheel.store.db import Store
from evalwheel.store.tables import RecordRow

REVIEW = "review"


def enqueue(store: Store, subject: str, details: dict, priority: float = 0.0) -> ReviewItem:
    now = datetime.now(UTC)
    item = ReviewItem(
        id="rev-" + short(content_hash({"subject": subject})),
        subject=subject,
        priority=priority,
        details=details,
        created_at=now,
    )
    with store.write() as session:
        existing = session.get(RecordRow, (REVIEW, item.id))
        if existing is not None:
            return ReviewItem.model_validate(existing.payload)
        session.add(
            RecordRow(
                kind=REVIEW,
                id=item.id,
                payload=item.model_dump(mode="json"),
                created_at=now,
                updated_at=now,
            )
        )
    return item


def open_items(store: Store) -> list[ReviewItem]:
    with store.read() as session:
        rows = session.scalars(select(RecordRow).where(RecordRow.kind == REVIEW)).all()
        items = [ReviewItem.model_validate(r.payload) for r in rows]
    return sorted(
        (i for i in items if i.status == "open"), key=lambda i: (-i.priority, i.created_at)
    )
