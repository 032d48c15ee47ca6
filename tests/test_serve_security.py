"""``models serve`` under attack: a real uvicorn server on 127.0.0.1, real HTTP requests.

Each test is one attack on the old server (no token, no Host/Origin check, any content type,
unbounded body read, no timeouts, unbounded concurrency) and the answer the guard must give.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from evalwheel.errors import InputError
from evalwheel.http_guard import GuardConfig, allowed_host_names
from evalwheel.http_server import ListenOptions, check_exposure, resolve_token
from evalwheel.llm.serve import ModelServer, serve
from evalwheel.llm.types import ChatRequest, ChatResponse
from evalwheel.testing.server_thread import ServerThread
from tests.helpers import cli, cli_process

TOKEN = "s3cret-token-for-tests-0123456789"
CHAT = json.dumps({"messages": [{"role": "user", "content": "hi"}]}).encode()


class GateProvider:
    """Answers "ok"; with ``hold`` set, each call waits until ``release`` (to fill the queue)."""

    def __init__(self) -> None:
        self.calls = 0
        self.hold = False
        self.started = threading.Event()
        self.release = threading.Event()

    async def complete(self, request: ChatRequest, timeout_s: float) -> ChatResponse:
        self.calls += 1
        self.started.set()
        while self.hold and not self.release.is_set():
            await asyncio.sleep(0.01)
        return ChatResponse(content="ok")

    async def aclose(self) -> None:
        return None


@contextmanager
def server(
    listen: ListenOptions | None = None, **guard: object
) -> Iterator[tuple[ModelServer, int]]:
    provider = GateProvider()
    app = ModelServer(provider, "stub", GuardConfig(**{"token": TOKEN, **guard}))  # type: ignore[arg-type]
    with ServerThread(app, path="", **(listen or ListenOptions()).uvicorn_options()) as base:
        yield app, int(base.rsplit(":", 1)[1])


def request(
    port: int,
    method: str = "POST",
    path: str = "/v1/chat/completions",
    body: bytes | None = CHAT,
    headers: dict[str, str] | None = None,
    token: str | None = TOKEN,
) -> http.client.HTTPResponse:
    sent = {"Content-Type": "application/json"} if body is not None else {}
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    sent.update(headers or {})
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(method, path, body=body, headers=sent)
    response = conn.getresponse()
    response.read()
    return response


def raw(port: int, data: bytes, wait_s: float = 5.0) -> tuple[int | None, float]:
    """Send ``data`` as is, read until the server closes; (status or None, seconds it took)."""
    with socket.create_connection(("127.0.0.1", port), timeout=wait_s) as sock:
        sock.sendall(data)
        started = time.monotonic()
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except TimeoutError:
            pass
        elapsed = time.monotonic() - started
    status = int(received.split(b" ", 2)[1]) if received.startswith(b"HTTP/1.1 ") else None
    return status, elapsed


def head(port: int, extra: str) -> bytes:
    return (
        f"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Authorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\n{extra}\r\n"
    ).encode()


def test_the_right_token_is_served_and_no_or_a_wrong_token_is_401():
    with server() as (app, port):
        ok = request(port)
        assert ok.status == 200
        assert request(port, "GET", "/v1/models", body=None).status == 200
        missing = request(port, token=None)
        assert missing.status == 401 and missing.getheader("WWW-Authenticate") == "Bearer"
        assert request(port, token=TOKEN[:-1] + "x").status == 401
        assert request(port, headers={"Authorization": TOKEN}).status == 401  # no scheme
        assert request(port, "GET", "/v1/models", body=None, token=None).status == 401
        assert app.provider.calls == 1  # refused requests never reached the model


def test_a_browser_simple_request_with_text_plain_is_415():
    # What a web page can POST without a CORS preflight, even to a server without a token.
    with server(token=None) as (app, port):
        for simple in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data"):
            assert request(port, headers={"Content-Type": simple}).status == 415
        assert (
            request(port, headers={"Content-Type": "application/json; charset=utf-8"}).status == 200
        )
        assert app.provider.calls == 1


def test_a_rebound_host_name_is_refused():
    with server() as (app, port):
        assert request(port, headers={"Host": f"evil.example:{port}"}).status in (403, 421)
        assert request(port, headers={"Host": f"localhost:{port}"}).status == 200
        assert request(port, headers={"Host": f"[::1]:{port}"}).status == 200
        assert app.provider.calls == 2
    with server(allowed_hosts=allowed_host_names("127.0.0.1", ["box.lan"])) as (_, port):
        assert request(port, headers={"Host": f"box.lan:{port}"}).status == 200


def test_a_cross_site_origin_is_403_and_an_allowed_one_passes():
    allowed = frozenset({"http://localhost:3000"})
    with server(allowed_origins=allowed) as (app, port):
        assert request(port, headers={"Origin": "https://evil.example"}).status == 403
        assert request(port, headers={"Origin": "null"}).status == 403
        assert request(port, headers={"Origin": "http://localhost:3000"}).status == 200
        assert request(port).status == 200  # no Origin: not a browser
        assert app.provider.calls == 2


def test_a_declared_oversized_body_is_413_before_any_of_it_is_read():
    with server(max_body_bytes=1024) as (app, port):
        status, elapsed = raw(port, head(port, "Content-Length: 10000000000\r\n"))
        assert status == 413 and elapsed < 2
        assert app.provider.calls == 0


def test_a_chunked_body_is_cut_off_at_the_limit_without_waiting_for_its_end():
    with server(max_body_bytes=1024) as (app, port):
        chunks = b"200\r\n" + b"x" * 512 + b"\r\n"
        # Four 512-byte chunks and no final zero-length chunk: the body never ends.
        status, elapsed = raw(port, head(port, "Transfer-Encoding: chunked\r\n") + chunks * 4)
        assert status == 413 and elapsed < 2
        assert app.provider.calls == 0


def test_a_slow_body_is_408():
    with server(body_timeout_s=0.5) as (app, port):
        status, elapsed = raw(port, head(port, "Content-Length: 100\r\n") + b'{"messages"')
        assert status == 408 and elapsed < 3
        assert app.provider.calls == 0


def test_slow_headers_are_cut_off():
    with server(ListenOptions(header_timeout_s=0.5)) as (_, port):
        partial = f"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n".encode()
        status, elapsed = raw(port, partial)
        assert status is None and elapsed < 3  # closed by the server, not by our 5 s timeout


def test_too_many_concurrent_requests_get_429_with_retry_after():
    with server(max_in_flight=1, max_queued=1) as (app, port):
        app.provider.hold = True
        results: list[int] = []
        workers = [threading.Thread(target=lambda: results.append(request(port).status))]
        workers[0].start()
        assert app.provider.started.wait(5)
        workers.append(threading.Thread(target=lambda: results.append(request(port).status)))
        workers[1].start()
        deadline = time.monotonic() + 5
        while app.guard.busy < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        refused = request(port)
        assert refused.status == 429 and refused.getheader("Retry-After") == "1"
        app.provider.release.set()
        for worker in workers:
            worker.join(10)
        assert results == [200, 200] and app.provider.calls == 2


def test_no_token_off_loopback_is_refused():
    with pytest.raises(InputError, match="not a loopback"):
        check_exposure("0.0.0.0", None)
    with pytest.raises(InputError, match="not a loopback"):
        serve(GateProvider(), "stub", GuardConfig(token=None), ListenOptions(host="0.0.0.0"))
    assert check_exposure("0.0.0.0", TOKEN)  # allowed with a token, with a warning
    assert check_exposure("127.0.0.1", None) is None
    for host in ("0.0.0.0", "::", "192.168.1.5"):
        result = cli("models", "serve", "--host", host, "--no-auth", "--port", "0")
        assert result.exit_code == 2 and "not a loopback" in result.stderr


def test_bad_limits_are_one_line_errors_before_anything_starts():
    for args, expected in [
        (["--port", "99999"], "--port: must be between 0 and 65535"),
        (["--max-body-mb", "0"], "--max-body-mb: must be a positive number"),
        (["--max-in-flight", "0"], "--max-in-flight: must be at least 1"),
        (["--allow-origin", "evil"], "--allow-origin: not an origin"),
    ]:
        result = cli("models", "serve", *args)
        lines = result.stderr.strip().splitlines()
        assert result.exit_code == 2 and len(lines) == 1, result.stderr
        assert lines[0].startswith(f"error: {expected}"), lines[0]


def test_the_token_comes_from_the_environment_or_is_generated():
    assert resolve_token(False, {"EVALWHEEL_SERVE_TOKEN": TOKEN}) == (TOKEN, False)
    token, generated = resolve_token(False, {})
    assert generated and len(token or "") >= 32 and token != resolve_token(False, {})[0]
    assert resolve_token(True, {"EVALWHEEL_SERVE_TOKEN": TOKEN}) == (None, False)
    with pytest.raises(InputError):
        resolve_token(False, {"EVALWHEEL_SERVE_TOKEN": "short"})


def test_the_cli_prints_a_generated_token_once_and_requires_it(tmp_path: Path):
    process = cli_process("models", "serve", "local", "--port", "0", cwd=tmp_path)
    try:
        assert process.stderr is not None
        lines: list[str] = []
        while not any(line.startswith("bearer token") for line in lines):
            line = process.stderr.readline()
            assert line, "".join(lines)
            lines.append(line)
        token = lines[-1].rsplit(" ", 1)[1].strip()
        lines += [process.stderr.readline(), process.stderr.readline()]  # how to use it
        port = int(next(x for x in lines if x.startswith("serving")).split(":")[2].split("/")[0])
        # The socket is bound before the banner: a request now waits for uvicorn, never refused.
        assert request(port, "GET", "/v1/models", body=None, token=None).status == 401
        assert request(port, "GET", "/v1/models", body=None, token=token).status == 200
        assert sum(token in line for line in lines) == 3  # the token line and two examples
    finally:
        process.terminate()
        process.wait(10)


def test_served_connections_turn_nagle_off() -> None:
    """asyncio sets TCP_NODELAY only on sockets made with proto IPPROTO_TCP; ``bind`` makes them
    with proto 0, so without this every two-part response waited for a delayed ACK (~40 ms)."""
    from evalwheel.http_server import ListenOptions, _no_delay, bind

    listener = bind(ListenOptions(host="127.0.0.1", port=0))
    client = socket.create_connection(listener.getsockname()[:2])
    served, _ = listener.accept()
    try:
        assert served.proto == 0
        assert served.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0

        class Transport:
            def get_extra_info(self, name: str) -> socket.socket | None:
                return served if name == "socket" else None

        _no_delay(Transport())  # type: ignore[arg-type]
        assert served.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        for s in (served, client, listener):
            s.close()
