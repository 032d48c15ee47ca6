"""Dataset versions in the store: saved atomically, resolved by ``name@version``, read back.

A version is written in one transaction: the examples (shared across versions by content hash), the
content row with its items, and the named version with the next sequence number. A process killed
at any point leaves either the whole version or none of it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime

from sqlalchemy import Table, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from evalwheel.core.dataset import DatasetKind, DatasetRef, DatasetVersion, version_id_for
from evalwheel.core.example import Example
from evalwheel.datasets.importer import PreparedExample
from evalwheel.errors import InputError, NotFoundError
from evalwheel.store.db import Store
from evalwheel.store.tables import (
    DatasetContentRow,
    DatasetItemRow,
    DatasetRow,
    DatasetVersionRow,
    ExampleRow,
)

CHUNK = 5000

WriteProgress = Callable[[int, int], None]  # (rows_written, rows_total)


class DatasetNotFound(NotFoundError):
    pass


class DatasetKindMismatch(InputError):
    pass


def _now() -> datetime:
    return datetime.now(UTC)


class DatasetRepository:
    def __init__(self, store: Store) -> None:
        self.store = store

    def _insert_ignore(self, session: Session, table: Table, rows: Sequence[dict]) -> None:
        """Insert rows, skipping those whose key exists."""
        insert = pg_insert if self.store.dialect == "postgresql" else sqlite_insert
        session.execute(insert(table).on_conflict_do_nothing(), list(rows))

    def _bulk_insert_ignore(self, session: Session, table: Table, rows: Sequence[dict]) -> None:
        """The same for many plain rows (no dates): on SQLite straight through the driver's
        executemany, as SQLAlchemy's per-row parameter processing costs more than the insert."""
        if self.store.dialect != "sqlite":
            self._insert_ignore(session, table, rows)
            return
        columns = list(rows[0])
        sql = (
            f"INSERT OR IGNORE INTO {table.name} ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' for _ in columns)})"
        )
        session.connection().exec_driver_sql(sql, [tuple(r[c] for c in columns) for r in rows])

    def save_version(
        self,
        name: str,
        kind: DatasetKind | str,
        examples: Sequence[PreparedExample],
        *,
        source: str | None = None,
        progress: WriteProgress | None = None,
    ) -> tuple[DatasetVersion, bool]:
        """Store a version; returns it and whether it is new (same content gives the same version)."""
        DatasetRef.parse(name)
        kind = DatasetKind(kind)
        version_id = version_id_for(kind, (e.hash for e in examples))
        with self.store.write() as session:
            dataset = session.execute(
                select(DatasetRow).where(DatasetRow.name == name).with_for_update()
            ).scalar_one_or_none()
            if dataset is None:
                self._insert_ignore(
                    session,
                    DatasetRow.__table__,
                    [{"name": name, "kind": kind.value, "description": None, "created_at": _now()}],
                )
                dataset = session.execute(
                    select(DatasetRow).where(DatasetRow.name == name).with_for_update()
                ).scalar_one()
            if dataset.kind != kind.value:
                raise DatasetKindMismatch(
                    f"dataset {name!r} is of kind {dataset.kind!r}, not {kind.value!r}"
                )
            existing = session.get(DatasetVersionRow, (dataset.id, version_id))
            if existing is not None:
                return self._version(dataset, existing, len(examples)), False

            if session.get(DatasetContentRow, version_id) is None:
                total = len(examples)
                for start in range(0, total, CHUNK):
                    chunk = examples[start : start + CHUNK]
                    self._bulk_insert_ignore(
                        session,
                        ExampleRow.__table__,
                        [
                            {"hash": e.hash, "example_id": e.example_id, "payload": e.payload}
                            for e in chunk
                        ],
                    )
                    if progress:
                        progress(min(start + CHUNK, total), 2 * total)
                self._insert_ignore(
                    session,
                    DatasetContentRow.__table__,
                    [
                        {
                            "version_id": version_id,
                            "kind": kind.value,
                            "n_items": total,
                            "created_at": _now(),
                        }
                    ],
                )
                for start in range(0, total, CHUNK):
                    chunk = examples[start : start + CHUNK]
                    self._bulk_insert_ignore(
                        session,
                        DatasetItemRow.__table__,
                        [
                            {
                                "version_id": version_id,
                                "position": start + i,
                                "example_id": e.example_id,
                                "example_hash": e.hash,
                            }
                            for i, e in enumerate(chunk)
                        ],
                    )
                    if progress:
                        progress(total + min(start + CHUNK, total), 2 * total)
            seq = (
                session.execute(
                    select(func.coalesce(func.max(DatasetVersionRow.seq), 0)).where(
                        DatasetVersionRow.dataset_id == dataset.id
                    )
                ).scalar_one()
                + 1
            )
            row = DatasetVersionRow(
                dataset_id=dataset.id,
                version_id=version_id,
                seq=seq,
                source=source,
                created_at=_now(),
            )
            session.add(row)
            session.flush()
            if progress:
                progress(2 * len(examples), 2 * len(examples))
            return self._version(dataset, row, len(examples)), True

    @staticmethod
    def _version(dataset: DatasetRow, row: DatasetVersionRow, n_items: int) -> DatasetVersion:
        return DatasetVersion(
            name=dataset.name,
            kind=DatasetKind(dataset.kind),
            version_id=row.version_id,
            seq=row.seq,
            n_items=n_items,
            created_at=row.created_at,
            source=row.source,
        )

    def _versions_query(self):  # type: ignore[no-untyped-def]
        return (
            select(DatasetRow, DatasetVersionRow, DatasetContentRow.n_items)
            .join(DatasetVersionRow, DatasetVersionRow.dataset_id == DatasetRow.id)
            .join(DatasetContentRow, DatasetContentRow.version_id == DatasetVersionRow.version_id)
        )

    def list_versions(self, name: str | None = None) -> list[DatasetVersion]:
        query = self._versions_query().order_by(DatasetRow.name, DatasetVersionRow.seq)
        if name is not None:
            query = query.where(DatasetRow.name == name)
        with self.store.read() as session:
            return [self._version(d, v, n) for d, v, n in session.execute(query).all()]

    def latest_versions(self) -> list[DatasetVersion]:
        latest: dict[str, DatasetVersion] = {}
        for version in self.list_versions():
            latest[version.name] = version
        return list(latest.values())

    def resolve(self, ref: str | DatasetRef) -> DatasetVersion:
        """Find the version a ``name[@latest|@vN|@<id prefix>]`` reference means."""
        parsed = DatasetRef.parse(ref) if isinstance(ref, str) else ref
        versions = self.list_versions(parsed.name)
        if not versions:
            raise DatasetNotFound(f"no dataset named {parsed.name!r}")
        wanted = parsed.version
        if wanted is None or wanted == "latest":
            return versions[-1]
        if wanted[0] in "vV" and wanted[1:].isdigit():
            for version in versions:
                if version.seq == int(wanted[1:]):
                    return version
            raise DatasetNotFound(
                f"{parsed.name} has no version {wanted} (it has v1..v{versions[-1].seq})"
            )
        matches = [v for v in versions if v.version_id.startswith(wanted.lower())]
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise DatasetNotFound(f"{parsed.name} has no version {wanted!r}")
        raise DatasetNotFound(
            f"version prefix {wanted!r} is ambiguous in {parsed.name}; give more digits"
        )

    def iter_examples(self, version_id: str, batch: int = 5000) -> Iterator[Example]:
        """The version's examples in their stored order, read in batches to bound memory."""
        position = -1
        while True:
            with self.store.read() as session:
                rows = session.execute(
                    select(DatasetItemRow.position, ExampleRow.payload)
                    .join(ExampleRow, ExampleRow.hash == DatasetItemRow.example_hash)
                    .where(
                        DatasetItemRow.version_id == version_id, DatasetItemRow.position > position
                    )
                    .order_by(DatasetItemRow.position)
                    .limit(batch)
                ).all()
            if not rows:
                return
            for _position, payload in rows:
                yield Example.model_validate(json.loads(payload))
            position = rows[-1][0]

    def item_hashes(self, version_id: str) -> dict[str, str]:
        """example id → content hash, for diffs."""
        with self.store.read() as session:
            rows = session.execute(
                select(DatasetItemRow.example_id, DatasetItemRow.example_hash).where(
                    DatasetItemRow.version_id == version_id
                )
            ).all()
        return dict(rows)
