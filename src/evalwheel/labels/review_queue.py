"""The human review queue: items a machine could not decide (a split panel, a failed arbiter),
ordered by priority. Stored as records of kind ``review``; enqueueing the same subject twice keeps
the first entry, so a re-run never duplicates work for reviewers."""

from __future__ import annotations

from datetime import UTC, datetime

from evalwheel.core.hashing import content_hash, short
from evalwheel.core.mirror import ReviewItem
from evalwheel.errors import InputError
from evalwheel.store.db import Store
from evalwheel.store.records import Records
from evalwheel.store.tables import RecordRow

REVIEW = "review"


def review_id(subject: str) -> str:
    """The review item's id: one per subject, so queueing it again finds the same item."""
    return "rev-" + short(content_hash({"subject": subject}))


def is_queued(store: Store, subject: str) -> bool:
    return Records(store, REVIEW).get(review_id(subject)) is not None


def enqueue(store: Store, subject: str, details: dict, priority: float = 0.0) -> ReviewItem:
    now = datetime.now(UTC)
    item = ReviewItem(
        id=review_id(subject),
        subject=subject,
        priority=priority,
        details=details,
        created_at=now,
    )
    records = Records(store, REVIEW)
    if not records.put(item.id, item.model_dump(mode="json"), replace=False):
        return ReviewItem.model_validate(records.get(item.id))
    return item


def refresh_open(store: Store, subject: str, details: dict, priority: float) -> bool:
    """Replace an item's details and priority while it is still open (its material grew or was
    judged since it was queued), in one transaction so a verdict given meanwhile is never
    reopened. Returns whether it was changed."""
    with store.write() as session:
        row = session.get(RecordRow, (REVIEW, review_id(subject)))
        if row is None:
            return False
        item = ReviewItem.model_validate(row.payload)
        if item.status != "open" or (item.details == details and item.priority == priority):
            return False
        item.details, item.priority = details, priority
        row.payload = item.model_dump(mode="json")
        row.updated_at = datetime.now(UTC)
        return True


def open_items(store: Store) -> list[ReviewItem]:
    items = [ReviewItem.model_validate(p) for p in Records(store, REVIEW).all()]
    return sorted(
        (i for i in items if i.status == "open"), key=lambda i: (-i.priority, i.created_at)
    )


class ReviewError(InputError):
    pass


def resolve(
    store: Store, item_id: str, label: str, annotator: str, rationale: str | None = None
) -> ReviewItem:
    """A human's decision on an escalated item: the item is closed with the decision, and the
    score it was holding back (a panel's, in a run) gets the human's label, so aggregates and
    gates count it from now on. An item that names a ``label_dataset`` and ``label_items`` (a
    mirror's group of pairs) labels each of them, in the same transaction."""
    from evalwheel.store.tables import LabelRow, ScoreRow

    now = datetime.now(UTC)
    with store.write() as session:
        row = session.get(RecordRow, (REVIEW, item_id))
        if row is None:
            raise ReviewError(f"no review item {item_id!r}")
        item = ReviewItem.model_validate(row.payload)
        if item.status != "open":
            raise ReviewError(f"{item_id} is already {item.status}: {item.resolution}")
        labels = item.details.get("labels") or []
        if labels and label not in labels:
            raise ReviewError(f"label {label!r} is not one of {labels}")
        key = item.details.get("score")
        if isinstance(key, dict):
            score = session.get(
                ScoreRow, (key["run_id"], key["example_id"], key["repetition"], key["scorer"])
            )
            if score is not None:
                passing = item.details.get("pass_labels") or []
                score.passed = label in passing
                score.label = label
                score.explanation = rationale
                score.details = {
                    **(score.details or {}),
                    "judge_label": label,
                    "decided_by": "human",
                    "resolved_by": annotator,
                }
        dataset, members = item.details.get("label_dataset"), item.details.get("label_items")
        if isinstance(dataset, str) and isinstance(members, list):
            # One verdict covers every item the entry grouped (a mirror's near-duplicate pairs).
            for member in members:
                session.add(
                    LabelRow(
                        dataset=dataset,
                        item_id=str(member),
                        annotator=annotator,
                        label=label,
                        rationale=rationale,
                        adjudicated=False,
                        created_at=now,
                    )
                )
        item.status = "resolved"
        item.resolution = {
            "label": label,
            "annotator": annotator,
            "rationale": rationale,
            "at": now.isoformat(),
        }
        row.payload = item.model_dump(mode="json")
        row.updated_at = now
    return item
