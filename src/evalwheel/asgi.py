"""The few ASGI helpers evalwheel's small HTTP servers share (``models serve``, the test stub):
three routes don't need a web framework, but they shouldn't each re-implement the protocol."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


async def lifespan(
    receive: Receive, send: Send, on_shutdown: Callable[[], Awaitable[None]] | None = None
) -> None:
    """Answer uvicorn's startup and shutdown, so a server can close its provider on the way out."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            if on_shutdown is not None:
                await on_shutdown()
            await send({"type": "lifespan.shutdown.complete"})
            return


class BodyTooLarge(Exception):
    """The request body grew past the limit: answer 413 and stop reading."""


class ClientDisconnected(Exception):
    """The client went away before its request body was complete: nobody is left to answer."""


async def read_body(receive: Receive, limit: int | None = None) -> bytes:
    """The whole request body, in time linear in its size (chunks joined once, not ``+=``).

    With ``limit``, raises ``BodyTooLarge`` as soon as the running total passes it, without
    waiting for the rest: a client cannot make the server buffer more than ``limit`` bytes.
    """
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnected
        chunk = message.get("body", b"")
        size += len(chunk)
        if limit is not None and size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


async def send_bytes(
    send: Send,
    status: int,
    payload: bytes,
    headers: list[tuple[bytes, bytes]] | None = None,
    content_type: bytes = b"application/json",
) -> None:
    """One complete response with its Content-Length (no chunked encoding for small answers)."""
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(payload)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


async def send_json(
    send: Send, status: int, value: Any, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    """``value`` as a JSON response: the only body type these servers answer with."""
    await send_bytes(send, status, json.dumps(value).encode(), headers)
