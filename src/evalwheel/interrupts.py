"""Running async work from sync code so that Ctrl-C and SIGTERM stop it cleanly.

The first SIGINT or SIGTERM cancels the main task: every ``finally`` runs, so finished items are
committed, the call cache is flushed and a run's lease is released as ``interrupted``; the caller
then gets ``Interrupted`` (exit 130). A second signal while that happens is ignored unless it
comes after ``grace_s``, when it ends the process at once, as a user pressing Ctrl-C twice expects.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import signal
import threading
import time
from collections.abc import Coroutine
from typing import Any, TypeVar

from evalwheel.errors import StoppedError

T = TypeVar("T")


class Interrupted(StoppedError):
    """Work stopped on SIGINT/SIGTERM; what finished is stored and the work can resume."""

    exit_code = 130


def run_sync(coro: Coroutine[Any, Any, T], *, grace_s: float = 10.0) -> T:
    """``asyncio.run`` with clean cancellation on SIGINT/SIGTERM (main thread only). Called where
    an event loop already runs (a notebook), the work runs on its own loop in a worker thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="evalwheel") as pool:
            return pool.submit(asyncio.run, coro).result()
    if threading.current_thread() is not threading.main_thread():
        return asyncio.run(coro)
    with asyncio.Runner() as runner:
        loop = runner.get_loop()
        task = loop.create_task(coro)
        first: list[float] = []

        def on_signal(signum: int) -> None:
            if not first:
                first.append(time.monotonic())
                task.cancel(f"signal {signal.Signals(signum).name}")
            elif time.monotonic() - first[0] > grace_s:
                os._exit(128 + signum)

        installed = []
        for signum in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(signum, on_signal, signum)
                installed.append(signum)
            except (NotImplementedError, RuntimeError, ValueError):
                pass
        try:
            return runner.run(_await(task))
        except asyncio.CancelledError:
            if first:
                raise Interrupted(
                    "interrupted: what finished is stored; run it again (or resume) to go on"
                ) from None
            raise
        finally:
            for signum in installed:
                loop.remove_signal_handler(signum)


async def _await(task: asyncio.Task[T]) -> T:
    return await task
