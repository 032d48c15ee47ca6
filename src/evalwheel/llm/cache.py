"""The content-addressed call cache, in the store.

Key = SHA-256 of the canonical JSON of {model identity, full request body, seed, sample}. The
identity is the endpoint URL and model id (or the embedded model's file), never the API key.
``sample`` is the repetition index of a repeated run (absent for the first): repetition k of an item
is an independent sample with its own cache entry, so pass^k measures the system's variance rather
than the cache's, and a resumed run still never pays twice for the same repetition. Modes:

- ``use``: answer from the cache when possible, store new responses (also called ``record``);
- ``refresh``: always call, overwrite what is stored;
- ``off``: neither read nor write;
- ``replay``: answer only from the cache; a miss is an error, so a test or an offline re-run can
  prove it made no call at all.

``put_durable`` (what the client uses) returns only once the entry is committed, so a process killed
at any moment never loses a call it paid for; concurrent calls share one transaction (group commit),
because one transaction per call would cost more than the call on a fast local endpoint. ``put``
buffers for synchronous bulk writers, flushed every ``flush_every`` entries and on ``flush()``.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import bindparam, select

from evalwheel.core.hashing import canonical_json, content_hash
from evalwheel.llm.types import ChatResponse
from evalwheel.store.db import Store
from evalwheel.store.tables import CallCacheRow


class CacheMode(StrEnum):
    USE = "use"
    REFRESH = "refresh"
    OFF = "off"
    REPLAY = "replay"

    @classmethod
    def parse(cls, value: str) -> CacheMode:
        return cls.USE if value == "record" else cls(value)


def cache_key(identity: dict[str, Any], body: dict[str, Any], sample: int = 0) -> str:
    """The call's address in the cache; ``sample`` > 0 makes a repetition a separate entry."""
    material: dict[str, Any] = {"model": identity, "request": body, "seed": body.get("seed")}
    if sample:
        material["sample"] = sample
    return content_hash(material)


class CallCache:
    def __init__(self, store: Store, flush_every: int = 256) -> None:
        self.store = store
        self.flush_every = flush_every
        self._pending: dict[str, dict[str, Any]] = {}
        self._writing: dict[str, dict[str, Any]] = {}
        self._committer: asyncio.Task[None] | None = None
        self._lookup = select(CallCacheRow.response).where(CallCacheRow.key == bindparam("key"))

    def get(self, key: str) -> ChatResponse | None:
        pending = self._pending.get(key) or self._writing.get(key)
        if pending is not None:
            return ChatResponse.model_validate_json(pending["response"])
        # A Core connection and one prepared statement: an ORM session per lookup cost ~30x the
        # bare SQLite lookup (bench/cache_lookup.py).
        with self.store.reader() as conn:
            text = conn.execute(self._lookup, {"key": key}).scalar()
        return None if text is None else ChatResponse.model_validate_json(text)

    async def put_durable(
        self, key: str, identity: dict[str, Any], body: dict[str, Any], response: ChatResponse
    ) -> None:
        """Store a response and wait until it is committed (with whatever else is waiting)."""
        self._pending[key] = self._row(key, identity, body, response)
        while key in self._pending or key in self._writing:
            if self._committer is None or self._committer.done():
                self._committer = asyncio.ensure_future(self._commit_pending())
            await asyncio.shield(self._committer)

    async def _commit_pending(self) -> None:
        await asyncio.sleep(0)  # let calls finishing in the same loop turn join this transaction
        self._writing = self._pending
        self._pending = {}
        try:
            await asyncio.to_thread(self._write, list(self._writing.values()))
        finally:
            self._writing = {}

    def put(
        self, key: str, identity: dict[str, Any], body: dict[str, Any], response: ChatResponse
    ) -> None:
        """Buffer a response; written on the next ``flush`` (or when the buffer is full)."""
        self._pending[key] = self._row(key, identity, body, response)
        if len(self._pending) >= self.flush_every:
            self.flush()

    def _row(
        self, key: str, identity: dict[str, Any], body: dict[str, Any], response: ChatResponse
    ) -> dict[str, Any]:
        stored = response.model_copy(
            update={"cached": False, "latency_s": response.latency_s, "attempts": 1}
        )
        return {
            "key": key,
            "model": canonical_json(identity)[:512],
            "request": canonical_json(body),
            "response": stored.model_dump_json(),
            "created_at": datetime.now(UTC),
        }

    def flush(self) -> None:
        """Write what ``put`` buffered."""
        if not self._pending:
            return
        rows = list(self._pending.values())
        self._write(rows)
        self._pending.clear()

    def _write(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        if self.store.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        statement = insert(CallCacheRow.__table__)
        # An upsert: two processes caching the same call at once both succeed (a delete-then-insert
        # raced into a unique violation on PostgreSQL).
        statement = statement.on_conflict_do_update(
            index_elements=["key"],
            set_={c: statement.excluded[c] for c in ("model", "request", "response", "created_at")},
        )
        with self.store.write() as session:
            session.execute(statement, rows)

    def stats(self) -> dict[str, int]:
        from sqlalchemy import func

        with self.store.read() as session:
            n = session.execute(select(func.count()).select_from(CallCacheRow)).scalar_one()
        return {"entries": int(n), "pending": len(self._pending)}
