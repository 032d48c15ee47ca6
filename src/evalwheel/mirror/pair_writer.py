"""One background writer that stores live mirror pairs in batches, off the request path.

Why a single writer: the proxy's request handlers must never wait for the database, and one
writer turns many small inserts into few transactions (whatever queued up while the previous
batch was being written goes into the next). Writes run in a thread so the event loop that
forwards traffic keeps forwarding. A failed batch is counted and dropped: the store being down
must not take the proxy down with it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from evalwheel.core.mirror import MirrorPair
from evalwheel.store.mirrors import MirrorPairRepository

log = logging.getLogger(__name__)


class PairWriter:
    """``put`` never blocks; ``close`` writes everything already put, then stops."""

    def __init__(
        self,
        repository: MirrorPairRepository,
        *,
        batch_size: int = 200,
        on_written: Callable[[int], None] = lambda n: None,
        on_failed: Callable[[int], None] = lambda n: None,
    ) -> None:
        self.repository = repository
        self.batch_size = batch_size
        self._on_written = on_written
        self._on_failed = on_failed
        self._queue: asyncio.Queue[MirrorPair | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="mirror-pair-writer")

    def put(self, pair: MirrorPair) -> None:
        self._queue.put_nowait(pair)

    async def close(self) -> None:
        """Drain: every pair put before this call is written (or counted as failed)."""
        if self._task is None:
            return
        self._queue.put_nowait(None)
        await self._task
        self._task = None

    async def _run(self) -> None:
        stopping = False
        while not stopping:
            first = await self._queue.get()
            batch = [] if first is None else [first]
            stopping = first is None
            while not stopping and len(batch) < self.batch_size and not self._queue.empty():
                item = self._queue.get_nowait()
                if item is None:
                    stopping = True
                else:
                    batch.append(item)
            if batch:
                await self._write(batch)

    async def _write(self, batch: list[MirrorPair]) -> None:
        try:
            written = await asyncio.to_thread(self.repository.add, batch)
        except Exception:
            log.exception("could not store %d mirror pairs", len(batch))
            self._on_failed(len(batch))
        else:
            self._on_written(written)
