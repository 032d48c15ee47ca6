"""A small OpenAI-compatible HTTP server for tests and benchmarks, with injectable faults.

It is a real server on 127.0.0.1 (uvicorn, raw ASGI, no framework) so clients are exercised over
real sockets exactly as in production. What it answers is steered from inside the request, so a
test can mix behaviours in one batch. Directives in the last user message:

    [[fault:429x2]]        the first 2 attempts get 429 with Retry-After (then success)
    [[fault:500x1]]        the first attempt gets 500
    [[fault:timeoutx1]]    the first attempt hangs for ``hang_s`` seconds
    [[fault:malformedx1]]  the first attempt gets a 200 whose body is not valid JSON
    [[fault:cutx1]]        the first attempt's body is cut off mid-way (connection dropped)
    [[fault:400]]          always 400 (a client error: must not be retried)
    [[reply:TEXT]]         the assistant's content (default: "echo: <the message>")
    [[coin:A|B|…]]         the content is one of the choices, drawn at random on every call (a
                           non-deterministic system, for repetitions and pass^k)
    [[args:{...}]]         with tools, answer with a call to the first tool with these arguments

Attempts are counted per distinct request body, so a retry of the same request sees the next
attempt number. ``GET /stats`` returns ``{"requests": n, "by_status": {...}}``.

    python -m evalwheel.testing.openai_stub --port 8011 --delay 0.05
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import re
import shutil
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from evalwheel.asgi import lifespan, read_body, send_bytes, send_json
from evalwheel.testing.server_thread import ServerThread

_DIRECTIVE = re.compile(r"\[\[(fault|reply|args|coin):(.*?)\]\]", re.S)

Scope = dict[str, Any]


class StubState:
    def __init__(
        self,
        delay_s: float = 0.0,
        hang_s: float = 30.0,
        retry_after: str = "0.2",
        seed: int | None = None,
    ) -> None:
        self.delay_s = delay_s
        self.hang_s = hang_s
        self.retry_after = retry_after
        self.attempts: Counter[str] = Counter()
        self.requests = 0
        self.by_status: Counter[int] = Counter()
        self.last_bodies: list[dict[str, Any]] = []
        self.random = random.Random(seed)
        self.raw_bodies: list[bytes] = []


def _last_user_text(body: dict[str, Any]) -> str:
    for message in reversed(body.get("messages") or []):
        if message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, list):
                return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
            return str(content or "")
    return ""


def completion(body: dict[str, Any], content: str | None, tool_args: Any = None) -> dict[str, Any]:
    text = _last_user_text(body)
    message: dict[str, Any] = {"role": "assistant", "content": content}
    finish = "stop"
    tools = body.get("tools") or []
    if tools and tool_args is not None:
        name = tools[0]["function"]["name"]
        message = {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_" + hashlib.sha1(text.encode()).hexdigest()[:12],
                    "type": "function",
                    "function": {"name": name, "arguments": json.dumps(tool_args)},
                }
            ],
        }
        finish = "tool_calls"
    prompt_tokens = max(
        1, sum(len(str(m.get("content") or "")) for m in body.get("messages", [])) // 4
    )
    completion_tokens = max(1, len(content or json.dumps(tool_args)) // 4)
    return {
        "id": "chatcmpl-stub",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "stub"),
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


class StubApp:
    def __init__(self, state: StubState) -> None:
        self.state = state

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            return await lifespan(receive, send)
        path = scope["path"]
        if scope["method"] == "GET" and path.endswith("/stats"):
            stats = {"requests": self.state.requests, "by_status": dict(self.state.by_status)}
            return await self._json(send, 200, stats)
        if scope["method"] == "GET" and path.endswith("/models"):
            return await self._json(
                send, 200, {"object": "list", "data": [{"id": "stub", "object": "model"}]}
            )
        if scope["method"] == "POST" and path.endswith("/chat/completions"):
            raw = await read_body(receive)
            return await self._chat(send, raw)
        return await self._json(send, 404, {"error": {"message": f"no route {path}"}})

    async def _chat(self, send: Any, raw: bytes) -> None:
        state = self.state
        state.requests += 1
        state.raw_bodies.append(raw)
        try:
            body = json.loads(raw)
        except json.JSONDecodeError:
            return await self._json(send, 400, {"error": {"message": "invalid JSON body"}})
        text = _last_user_text(body)
        directives = {kind: value for kind, value in _DIRECTIVE.findall(text)}
        key = hashlib.sha256(raw).hexdigest()
        state.attempts[key] += 1
        attempt = state.attempts[key]
        fault = directives.get("fault")
        if fault:
            name, _, times = fault.partition("x")
            if name == "400":
                return await self._json(send, 400, {"error": {"message": "bad request (injected)"}})
            if attempt <= int(times or 1):
                if name == "429":
                    headers = [(b"retry-after", state.retry_after.encode())]
                    return await self._json(
                        send, 429, {"error": {"message": "rate limited"}}, headers
                    )
                if name == "500":
                    return await self._json(send, 500, {"error": {"message": "server error"}})
                if name == "timeout":
                    await asyncio.sleep(state.hang_s)
                if name == "malformed":
                    return await self._raw(send, 200, b'{"id": "chatcmpl-x", "choices": [{"mess')
                if name == "cut":
                    payload = json.dumps(completion(body, "cut")).encode()
                    await send(
                        {
                            "type": "http.response.start",
                            "status": 200,
                            "headers": [
                                (b"content-type", b"application/json"),
                                (b"content-length", str(len(payload)).encode()),
                            ],
                        }
                    )
                    await send(
                        {
                            "type": "http.response.body",
                            "body": payload[: len(payload) // 3],
                            "more_body": True,
                        }
                    )
                    raise ConnectionResetError("stub: cutting the response off")
        if state.delay_s:
            await asyncio.sleep(state.delay_s)
        args = directives.get("args")
        reply = directives.get("reply", f"echo: {_DIRECTIVE.sub('', text).strip()}")
        if "coin" in directives:
            reply = state.random.choice(directives["coin"].split("|"))
        tool_args = json.loads(args) if args is not None else None
        if (
            body.get("tools")
            and tool_args is None
            and body.get("tool_choice") not in (None, "none", "auto")
        ):
            tool_args = {}
        return await self._json(
            send, 200, completion(body, None if tool_args is not None else reply, tool_args)
        )

    async def _json(self, send: Any, status: int, value: Any, headers: list | None = None) -> None:
        self.state.by_status[status] += 1
        await send_json(send, status, value, headers)

    async def _raw(self, send: Any, status: int, payload: bytes) -> None:
        self.state.by_status[status] += 1
        await send_bytes(send, status, payload)


class StubServer(ServerThread):
    """The stub in a background thread: ``with StubServer(delay_s=0.05) as url: ...``."""

    def __init__(
        self,
        delay_s: float = 0.0,
        hang_s: float = 30.0,
        retry_after: str = "0.2",
        seed: int | None = None,
    ) -> None:
        self.state = StubState(delay_s, hang_s, retry_after, seed)
        super().__init__(StubApp(self.state))


@contextmanager
def stub_process(delay_s: float = 0.0, cpu: int | None = None) -> Iterator[str]:
    """The stub in a separate process (optionally pinned to one CPU with taskset), for benchmarks
    where the server must not share the harness's interpreter; yields its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [
        sys.executable,
        "-m",
        "evalwheel.testing.openai_stub",
        "--port",
        str(port),
        "--delay",
        str(delay_s),
    ]
    if cpu is not None and shutil.which("taskset"):
        command = ["taskset", "-c", str(cpu), *command]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("the stub server did not start") from None
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8011)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before each answer")
    args = parser.parse_args()
    uvicorn.run(
        StubApp(StubState(args.delay)),
        host="127.0.0.1",
        port=args.port,
        log_level="error",
        access_log=False,
    )


if __name__ == "__main__":
    main()
