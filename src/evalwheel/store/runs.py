"""Runs, their traces and scores in SQL: the one place that reads and writes those tables.

A run is executed by at most one process at a time. The executing process holds a *lease* on the
run's row (owner and expiry), renewed while it works. A second process asking to execute the same
run is refused while the lease is live; a lease whose owner died (its process is gone on this host,
or its expiry passed) is taken over. The run's status as shown to people is derived from the lease:
a ``running`` run nobody holds was killed, and shows as ``interrupted``.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update

from evalwheel.core.run import RunStatus
from evalwheel.errors import ConflictError, NotFoundError
from evalwheel.store.db import Store
from evalwheel.store.tables import RunRow, ScoreRow, SystemRow, TraceRow

LEASE_TTL_S = 30.0


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes for timezone-aware columns."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def new_lease_owner() -> str:
    """``host:pid:nonce`` — enough to tell whether the holder is still alive on this host."""
    return f"{socket.gethostname()[:64]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _owner_alive(owner: str) -> bool:
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname()[:64] or not pid_text.isdigit():
        return True  # another machine: only the expiry can tell
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def lease_is_live(row: RunRow, now: datetime | None = None) -> bool:
    """Does a live process hold this run?"""
    expires = _aware(row.lease_expires_at)
    if not row.lease_owner or expires is None:
        return False
    return expires > (now or _now()) and _owner_alive(row.lease_owner)


def shown_status(row: RunRow) -> str:
    """The status a person should see: a ``running`` run that no live process holds was killed."""
    if row.status == RunStatus.RUNNING.value and not lease_is_live(row):
        return RunStatus.INTERRUPTED.value
    return row.status


class RunRepository:
    """SQL for runs, traces and scores."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def create(
        self,
        *,
        system_name: str,
        system_version: str,
        system_payload: dict[str, Any],
        dataset: str,
        split: str | None,
        repeat: int,
        n_items: int,
        config: dict[str, Any],
    ) -> str:
        """Store a planned run (and its system, once per version); returns the new run id."""
        now = _now()
        run_id = f"run-{now:%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}"
        with self.store.write() as session:
            if session.get(SystemRow, system_version) is None:
                session.add(
                    SystemRow(
                        version=system_version,
                        name=system_name,
                        payload=system_payload,
                        created_at=now,
                    )
                )
            session.add(
                RunRow(
                    id=run_id,
                    system_name=system_name,
                    system_version=system_version,
                    dataset=dataset,
                    split=split,
                    repeat=repeat,
                    status=RunStatus.PENDING.value,
                    n_items=n_items,
                    config=config,
                    created_at=now,
                    finished_at=None,
                )
            )
        return run_id

    def get(self, run_id: str) -> RunRow:
        """The run's row; ``NotFoundError`` names the run when there is none."""
        with self.store.read() as session:
            row = session.get(RunRow, run_id)
        if row is None:
            raise NotFoundError(f"no run {run_id!r} (evalwheel runs list shows the runs)")
        return row

    def system_payload(self, version: str) -> dict[str, Any] | None:
        """The full system a run was planned with, as stored."""
        with self.store.read() as session:
            row = session.get(SystemRow, version)
            return None if row is None else dict(row.payload)

    def list(self) -> list[RunRow]:
        """Every run, newest first."""
        with self.store.read() as session:
            return list(
                session.execute(select(RunRow).order_by(RunRow.created_at.desc())).scalars().all()
            )

    def done_pairs(self, run_id: str) -> set[tuple[str, int]]:
        """(item, repetition) pairs that already have a committed trace."""
        with self.store.read() as session:
            return {
                (str(e), int(r))
                for e, r in session.execute(
                    select(TraceRow.example_id, TraceRow.repetition).where(
                        TraceRow.run_id == run_id
                    )
                ).all()
            }

    def record(self, traces: list[dict[str, Any]], scores: Iterable[dict[str, Any]]) -> None:
        """Finished items in one transaction, bulk-inserted: all of a batch or none of it."""
        score_rows = list(scores)
        with self.store.write() as session:
            if traces:
                session.execute(insert(TraceRow), traces)
            if score_rows:
                session.execute(insert(ScoreRow), score_rows)

    def set_status(self, run_id: str, status: RunStatus, *, finished: bool = False) -> None:
        """Record where a run stands (and when it finished)."""
        with self.store.write() as session:
            row = session.get(RunRow, run_id)
            if row is None:
                raise NotFoundError(f"no run {run_id!r}")
            row.status = status.value
            if finished:
                row.finished_at = _now()

    def acquire_lease(self, run_id: str, owner: str, ttl_s: float = LEASE_TTL_S) -> None:
        """Take the run for this process, or raise ``ConflictError`` if a live process holds it."""
        now = _now()
        with self.store.write() as session:
            # FOR UPDATE: on PostgreSQL two acquirers would otherwise both read a free lease and
            # both take it (SQLite's BEGIN IMMEDIATE already serialises them).
            row = session.get(RunRow, run_id, with_for_update=True)
            if row is None:
                raise NotFoundError(f"no run {run_id!r}")
            if row.lease_owner not in (None, owner) and lease_is_live(row, now):
                host, _, rest = row.lease_owner.partition(":")
                pid = rest.partition(":")[0]
                raise ConflictError(
                    f"run {run_id} is being executed by another process (pid {pid} on {host}); "
                    "wait for it to finish, or stop it and resume"
                )
            row.lease_owner = owner
            row.lease_expires_at = now + timedelta(seconds=ttl_s)
            row.status = RunStatus.RUNNING.value

    def renew_lease(self, run_id: str, owner: str, ttl_s: float = LEASE_TTL_S) -> bool:
        """Extend this process's lease; False when another process has taken the run over."""
        with self.store.write() as session:
            result = session.execute(
                update(RunRow)
                .where(RunRow.id == run_id, RunRow.lease_owner == owner)
                .values(lease_expires_at=_now() + timedelta(seconds=ttl_s))
            )
            return bool(result.rowcount)

    def release_lease(self, run_id: str, owner: str, status: RunStatus, finished: bool) -> None:
        """Give the run back, recording how this process left it."""
        values: dict[str, Any] = {
            "lease_owner": None,
            "lease_expires_at": None,
            "status": status.value,
        }
        if finished:
            values["finished_at"] = _now()
        with self.store.write() as session:
            session.execute(
                update(RunRow)
                .where(RunRow.id == run_id, RunRow.lease_owner == owner)
                .values(**values)
            )

    def scores(self, run_id: str) -> list[ScoreRow]:
        """Every score of a run (detached rows)."""
        with self.store.read() as session:
            return list(
                session.execute(select(ScoreRow).where(ScoreRow.run_id == run_id)).scalars().all()
            )

    def scorer_results(self, run_id: str, scorer: str) -> list[tuple[str, bool | None]]:
        """(item, passed) for every repetition a scorer scored in a run."""
        with self.store.read() as session:
            return [
                (str(e), p)
                for e, p in session.execute(
                    select(ScoreRow.example_id, ScoreRow.passed).where(
                        ScoreRow.run_id == run_id, ScoreRow.scorer == scorer
                    )
                ).all()
            ]

    def traces(self, run_id: str) -> list[TraceRow]:
        """Every trace of a run in item order (detached rows)."""
        with self.store.read() as session:
            return list(
                session.execute(
                    select(TraceRow)
                    .where(TraceRow.run_id == run_id)
                    .order_by(TraceRow.example_id, TraceRow.repetition)
                )
                .scalars()
                .all()
            )
