"""A cancelled call to the embedded model stops in its worker thread too: the call generating is
aborted by llama.cpp's abort callback and a call queued behind it gives up when it gets the lock.
Without that, Ctrl-C waited for every call in flight, because the event loop cannot close while
its worker threads run."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest

from evalwheel.llm import embedded
from evalwheel.llm.embedded import EmbeddedProvider
from evalwheel.llm.types import ChatRequest

LONG = ChatRequest(
    messages=[{"role": "user", "content": "Count from 1 to 1000, one number per line."}],
    max_tokens=600,
)


pytestmark = pytest.mark.model


def test_cancelled_calls_stop_in_their_threads_and_the_model_still_answers() -> None:
    provider = EmbeddedProvider()
    outcomes: list[str] = []
    run = provider._run

    def recording(request: ChatRequest, cancelled: Any = None) -> Any:
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
        await asyncio.sleep(1.5)  # the first is generating (600 tokens take far longer)
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
