"""Mirror pairs in the store: the live proxy and the offline replay add them, the comparison
writes its analysis back, readiness and the review queue read them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import delete, func, null, select

from evalwheel.core.mirror import MirrorPair, PairAnalysis
from evalwheel.store.db import Store
from evalwheel.store.tables import MirrorPairRow


class MirrorPairRepository:
    """Every read and write of ``mirror_pairs``."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def add(self, pairs: Iterable[MirrorPair], *, replace: bool = False) -> int:
        """Store pairs; one already stored (same mirror and id) is kept unless ``replace``.
        Returns how many were written."""
        written = 0
        with self.store.write() as session:
            for pair in pairs:
                row = session.get(MirrorPairRow, (pair.mirror, pair.id))
                if row is not None and not replace:
                    continue
                payload = pair.model_dump(mode="json", exclude={"analysis"})
                analysis = pair.analysis
                values = {
                    "example_id": pair.example_id,
                    "conversation_id": pair.conversation_id,
                    "seen_at": _utc(pair.created_at),
                    "payload": payload,
                    "relation": analysis.relation if analysis else None,
                    "winner": analysis.verdict.winner if analysis and analysis.verdict else None,
                    # SQL NULL, not JSON null: "not analysed yet" is queried with IS NULL.
                    "analysis": analysis.model_dump(mode="json") if analysis else null(),
                }
                if row is None:
                    session.add(MirrorPairRow(mirror=pair.mirror, id=pair.id, **values))
                else:
                    for key, value in values.items():
                        setattr(row, key, value)
                written += 1
        return written

    def set_analysis(self, mirror: str, pair_id: str, analysis: PairAnalysis) -> None:
        """Record what the comparison found for one pair."""
        with self.store.write() as session:
            row = session.get(MirrorPairRow, (mirror, pair_id))
            if row is None:
                raise KeyError(pair_id)
            row.analysis = analysis.model_dump(mode="json")
            row.relation = analysis.relation
            row.winner = analysis.verdict.winner if analysis.verdict else None

    def pairs(
        self,
        mirror: str,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        analysed: bool | None = None,
    ) -> list[MirrorPair]:
        """The mirror's pairs in the order they were seen."""
        query = select(MirrorPairRow).where(MirrorPairRow.mirror == mirror)
        if since is not None:
            query = query.where(MirrorPairRow.seen_at >= _utc(since))
        if until is not None:
            query = query.where(MirrorPairRow.seen_at < _utc(until))
        if analysed is not None:
            query = query.where(
                MirrorPairRow.analysis.is_not(None)
                if analysed
                else MirrorPairRow.analysis.is_(None)
            )
        with self.store.read() as session:
            rows = session.scalars(query.order_by(MirrorPairRow.seen_at, MirrorPairRow.id)).all()
            return [_pair(row) for row in rows]

    def first(self, mirror: str) -> MirrorPair | None:
        """The mirror's earliest pair (None: it has none), without reading the others."""
        with self.store.read() as session:
            row = session.scalars(
                select(MirrorPairRow)
                .where(MirrorPairRow.mirror == mirror)
                .order_by(MirrorPairRow.seen_at, MirrorPairRow.id)
                .limit(1)
            ).first()
            return None if row is None else _pair(row)

    def ids(self, mirror: str) -> set[str]:
        with self.store.read() as session:
            return set(
                session.scalars(select(MirrorPairRow.id).where(MirrorPairRow.mirror == mirror))
            )

    def count(self, mirror: str) -> int:
        with self.store.read() as session:
            return int(
                session.scalar(
                    select(func.count())
                    .select_from(MirrorPairRow)
                    .where(MirrorPairRow.mirror == mirror)
                )
                or 0
            )

    def mirrors(self) -> list[tuple[str, int]]:
        """Every mirror name with its number of pairs."""
        with self.store.read() as session:
            rows = session.execute(
                select(MirrorPairRow.mirror, func.count())
                .group_by(MirrorPairRow.mirror)
                .order_by(MirrorPairRow.mirror)
            ).all()
            return [(name, int(n)) for name, n in rows]

    def remove(self, mirror: str) -> int:
        with self.store.write() as session:
            result = session.execute(delete(MirrorPairRow).where(MirrorPairRow.mirror == mirror))
            return int(result.rowcount or 0)


def _utc(moment: datetime) -> datetime:
    """The column keeps no offset: every time goes in as UTC (naive means UTC), so order and
    ranges hold across time zones."""
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _pair(row: MirrorPairRow) -> MirrorPair:
    data = dict(row.payload)
    data["analysis"] = row.analysis
    return MirrorPair.model_validate(data)
