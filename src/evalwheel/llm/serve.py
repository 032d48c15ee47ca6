"""``evalwheel models serve``: a model as an OpenAI-compatible HTTP endpoint on 127.0.0.1.

Serves ``POST /v1/chat/completions`` (``response_format`` json_schema/json_object, ``tools`` and
``tool_choice``; ``stream: true`` is answered as one chunk followed by ``[DONE]``) and
``GET /v1/models``. A raw ASGI app on uvicorn: no web framework for three routes. Every request
goes through ``http_guard.Guard`` first (bearer token, Host/Origin, JSON only, size, time and
concurrency limits): a local endpoint that spends a model's key must not be open to web pages.
"""

from __future__ import annotations

import json
import socket
import time
import uuid
from typing import Any

from pydantic import ValidationError

from evalwheel import http_server
from evalwheel.asgi import lifespan, read_body, send_bytes, send_json
from evalwheel.http_guard import Guard, GuardConfig
from evalwheel.llm.errors import ModelCallError
from evalwheel.llm.providers import Provider
from evalwheel.llm.types import ChatRequest, ChatResponse


def openai_completion(response: ChatResponse, model: str) -> dict[str, Any]:
    """Our response as an OpenAI ``chat.completion`` object, so any OpenAI client can read it."""
    message: dict[str, Any] = {"role": "assistant", "content": response.content}
    if response.tool_calls:
        message["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in response.tool_calls
        ]
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {"index": 0, "message": message, "finish_reason": response.finish_reason or "stop"}
        ],
        "usage": {
            "prompt_tokens": response.usage.input_tokens,
            "completion_tokens": response.usage.output_tokens,
            "total_tokens": response.usage.total,
        },
    }


def _chunk(completion: dict[str, Any]) -> bytes:
    choice = completion["choices"][0]
    delta = {k: v for k, v in choice["message"].items() if v is not None}
    if "tool_calls" in delta:
        delta["tool_calls"] = [dict(c, index=i) for i, c in enumerate(delta["tool_calls"])]
    chunk = {
        "id": completion["id"],
        "object": "chat.completion.chunk",
        "created": completion["created"],
        "model": completion["model"],
        "choices": [{"index": 0, "delta": delta, "finish_reason": choice["finish_reason"]}],
        "usage": completion["usage"],
    }
    return b"data: " + json.dumps(chunk).encode() + b"\n\ndata: [DONE]\n\n"


class ModelServer:
    """The ASGI application serving one provider under one model name, behind a ``Guard``.

    ``guard`` is required so that no caller gets an unprotected server by leaving it out;
    ``GuardConfig(token=None)`` is the explicit way to serve without a token (loopback only).
    """

    def __init__(
        self, provider: Provider, model_name: str, guard: GuardConfig, timeout_s: float = 600.0
    ) -> None:
        self.provider = provider
        self.model_name = model_name
        self.timeout_s = timeout_s
        self.guard = Guard(self._routes, guard)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Every request is checked by the guard before it reaches the routes."""
        await self.guard(scope, receive, send)

    async def _routes(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            return await lifespan(receive, send, self.provider.aclose)
        if scope["type"] != "http":
            return
        path, method = scope["path"].rstrip("/"), scope["method"]
        if method == "GET" and path in ("/v1/models", "/models"):
            data = {
                "object": "list",
                "data": [{"id": self.model_name, "object": "model", "owned_by": "evalwheel"}],
            }
            return await send_json(send, 200, data)
        if method == "POST" and path in ("/v1/chat/completions", "/chat/completions"):
            body = await read_body(receive)
            return await self._chat(send, body)
        await send_json(send, 404, _error(f"no route {method} {path}", "not_found"))

    async def _chat(self, send: Any, body: bytes) -> None:
        try:
            data = json.loads(body)
            if not isinstance(data, dict):
                raise ValueError("the body must be a JSON object")
            stream = bool(data.pop("stream", False))
            data.pop("stream_options", None)
            data.pop("model", None)
            request = ChatRequest.model_validate(data)
        except (ValueError, ValidationError) as exc:
            return await send_json(
                send, 400, _error(f"invalid request: {exc}", "invalid_request_error")
            )
        try:
            response = await self.provider.complete(request, self.timeout_s)
        except ModelCallError as exc:
            status = exc.status or 500
            return await send_json(send, status, _error(str(exc), exc.kind))
        completion = openai_completion(response, self.model_name)
        if not stream:
            return await send_json(send, 200, completion)
        await send_bytes(
            send, 200, _chunk(completion), [(b"cache-control", b"no-cache")], b"text/event-stream"
        )


def _error(message: str, kind: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind}}


def serve(
    provider: Provider,
    model_name: str,
    guard: GuardConfig,
    listen: http_server.ListenOptions,
    sock: socket.socket | None = None,
) -> None:
    """Serve until interrupted. Refuses (``InputError``) an unauthenticated non-loopback bind;
    ``sock`` is a socket already bound with ``http_server.bind`` (bound here when omitted)."""
    http_server.check_exposure(listen.host, guard.token)
    sock = sock if sock is not None else http_server.bind(listen)
    http_server.run(ModelServer(provider, model_name, guard), sock, listen)
