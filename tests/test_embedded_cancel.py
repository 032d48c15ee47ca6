"""A cancelled call to the embedded model stops in its worker thread too: the call generating is
aborted by llama.cpp's abort callback and a call queued behind it gives up when it gets the lock.
Without that, Ctrl-C waited for every call in flight, because the event loop cannot close while
its worker threads run."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import Any

import pytest

from evalwheel.llm import embedded
from evalwheel.llm.embedded import EmbeddedProvider
from evalwheel.llm.types import ChatRequest

# The grammar forces at least 400 numbers, so the answer cannot end on its own before 600 tokens:
# the first call is still generating whenever the test cancels it, however fast the machine is.
LONG = ChatRequest(
    messages=[{"role": "user", "content": "Count from 1 to 1000, one number per line."}],
    max_tokens=600,
    response_format={
        "type": "json_schema",
        "json_schema": {
            "name": "count",
            "schema": {"type": "array", "items": {"type": "integer"}, "minItems": 400},
        },
    },
)


pytestmark = pytest.mark.model


def test_cancelled_calls_stop_in_their_threads_and_the_model_still_answers() -> None:
    provider = EmbeddedProvider()
    outcomes: list[str] = []
    started = threading.Event()
    run = provider._run

    def recording(request: ChatRequest, cancelled: Any = None) -> Any:
        started.set()
        try:
            response = run(request, cancelled)
        except embedded._Cancelled:
            outcomes.append("cancelled")
            raise
        outcomes.append(f"finished with {response.usage.output_tokens} tokens")
        return response

    provider._run = recording  # type: ignore[method-assign]

    async def go() -> None:
        generating = asyncio.create_task(provider.complete(LONG, 120))
        queued = asyncio.create_task(provider.complete(LONG, 120))
        await asyncio.to_thread(started.wait, 60)  # the first call is in its worker thread
        await asyncio.sleep(0.5)  # and decoding (it cannot finish: see LONG)
        generating.cancel()
        queued.cancel()
        for task in (generating, queued):
            with contextlib.suppress(asyncio.CancelledError):
                await task

    asyncio.run(go())  # returns only once both worker threads have ended
    assert outcomes == ["cancelled", "cancelled"]
    short = ChatRequest(messages=[{"role": "user", "content": "Say hi."}], max_tokens=8)
    after = asyncio.run(provider.complete(short, 60))
    assert after.usage.output_tokens > 0 and outcomes[-1].startswith("finished")
