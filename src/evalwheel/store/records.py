"""Records of one kind in the generic ``records`` table (calibrations, pins, drift checks, review
items): JSON payloads under an id, until a capability needs a table of its own."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from evalwheel.store.db import Store
from evalwheel.store.tables import RecordRow


class Records:
    def __init__(self, store: Store, kind: str) -> None:
        self.store, self.kind = store, kind

    def put(self, record_id: str, payload: dict[str, Any], *, replace: bool = True) -> bool:
        """Store ``payload`` under ``record_id``. An existing record is overwritten, or with
        ``replace=False`` kept as it is. Returns whether anything was written."""
        now = datetime.now(UTC)
        with self.store.write() as session:
            row = session.get(RecordRow, (self.kind, record_id))
            if row is None:
                session.add(
                    RecordRow(
                        kind=self.kind,
                        id=record_id,
                        payload=payload,
                        created_at=now,
                        updated_at=now,
                    )
                )
                return True
            if not replace:
                return False
            row.payload, row.updated_at = payload, now
            return True

    def get(self, record_id: str) -> dict[str, Any] | None:
        with self.store.read() as session:
            row = session.get(RecordRow, (self.kind, record_id))
            return None if row is None else dict(row.payload)

    def all(self) -> list[dict[str, Any]]:
        """Every payload of this kind, oldest first."""
        with self.store.read() as session:
            rows = session.scalars(
                select(RecordRow).where(RecordRow.kind == self.kind).order_by(RecordRow.created_at)
            ).all()
            return [dict(r.payload) for r in rows]
