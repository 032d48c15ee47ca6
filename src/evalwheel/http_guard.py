"""ASGI guards for every HTTP server evalwheel starts (``models serve`` today).

A local server that spends an API key is worth attacking from a web page: a browser will POST
``text/plain`` to ``127.0.0.1`` without a CORS preflight, and DNS rebinding lets a page on
``evil.example`` talk to it by name. ``Guard`` wraps an ASGI app and, before the app sees a request:

1. refuses a ``Host`` that is not an allowed name (421, against DNS rebinding);
2. refuses a browser ``Origin`` that is not allowed (403; no ``Origin`` is fine: not a browser);
3. requires ``Authorization: Bearer <token>`` when there is a token (401, constant-time compare);
4. refuses a body that is not ``application/json`` on POST/PUT/PATCH (415: what browsers can send
   without a preflight is form, multipart or text);
5. refuses a declared ``Content-Length`` over the limit at once (413);
6. admits a bounded number of requests (in flight + queued) and answers 429 + Retry-After beyond;
7. reads the body within a time limit (408) and a size limit, stopping as soon as the running
   total passes it (413), then hands the app the buffered body.

Every refusal closes the connection (``Connection: close``), so a refused client cannot keep a
socket open. The app reads the body as usual (``asgi.read_body``); it is replayed from memory.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from evalwheel.asgi import (
    BodyTooLarge,
    ClientDisconnected,
    Receive,
    Send,
    read_body,
    send_json,
)
from evalwheel.errors import InputError

LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})
WILDCARD_HOSTS = frozenset({"0.0.0.0", "::", ""})
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_CHECKED_HEADERS = (b"host", b"origin", b"authorization", b"content-type", b"content-length")

App = Any  # an ASGI application: (scope, receive, send) -> Awaitable[None]


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach; a name other than localhost is not trusted
    to be one, since what it resolves to can change."""
    name = host.strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def host_name(value: str) -> str:
    """The name part of a ``Host`` header or a ``--allow-host`` value, lowercase, without port or
    IPv6 brackets. The port is not compared: rebinding is about the name, and a forwarded port
    (``ssh -L 9000:localhost:8080``) legitimately changes it."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1:].partition("]")[0]
    if value.count(":") == 1:
        return value.partition(":")[0]
    return value  # a bare name, or an IPv6 address without brackets


def allowed_host_names(bind_host: str, extra: Iterable[str] = ()) -> frozenset[str]:
    """The ``Host`` names a server bound to ``bind_host`` answers: the loopback names, the bound
    address itself when it is a specific non-loopback one, and ``extra``."""
    names = set(LOOPBACK_NAMES)
    if host_name(bind_host) not in WILDCARD_HOSTS:
        names.add(host_name(bind_host))
    for value in extra:
        name = host_name(value)
        if not name or any(c in name for c in "/@ \t"):
            raise InputError(f"not a host name: {value!r}", field="allowed host")
        names.add(name)
    return frozenset(names)


def _origin(value: str) -> str:
    origin = value.strip().lower().rstrip("/")
    scheme, sep, rest = origin.partition("://")
    if scheme not in ("http", "https") or not sep or not rest or "/" in rest:
        raise InputError(f"not an origin (scheme://host[:port]): {value!r}", field="allowed origin")
    return origin


@dataclass(frozen=True)
class GuardConfig:
    """What a guarded server accepts. ``token`` is required on purpose: ``None`` (no
    authentication) must be written down, never a default someone forgets to change."""

    token: str | None
    allowed_hosts: frozenset[str] = LOOPBACK_NAMES
    allowed_origins: frozenset[str] = field(default_factory=frozenset)
    max_body_bytes: int = 4 * 1024 * 1024
    body_timeout_s: float = 30.0
    max_in_flight: int = 8
    max_queued: int = 32
    retry_after_s: int = 1

    def __post_init__(self) -> None:
        if self.token is not None and len(self.token.strip()) < 16:
            raise InputError("must be at least 16 characters (or none at all)", field="token")
        if self.token is not None and not self.token.isascii():
            raise InputError("must be ASCII", field="token")
        origins = frozenset(_origin(o) for o in self.allowed_origins)
        object.__setattr__(self, "allowed_origins", origins)
        object.__setattr__(self, "allowed_hosts", frozenset(h.lower() for h in self.allowed_hosts))
        _at_least("max_body_bytes", self.max_body_bytes, 1)
        _at_least("body_timeout_s", self.body_timeout_s, 0.001)
        _at_least("max_in_flight", self.max_in_flight, 1)
        _at_least("max_queued", self.max_queued, 0)
        _at_least("retry_after_s", self.retry_after_s, 0)


def _at_least(name: str, value: float, low: float) -> None:
    if not (value >= low and math.isfinite(value)):  # also refuses NaN and infinity
        raise InputError(f"must be at least {low}, not {value}", field=name)


class Guard:
    """An ASGI app that checks every request against a ``GuardConfig`` before ``app`` sees it.

    Why a wrapper and not checks inside each server: every HTTP server evalwheel starts needs the
    same defences, and one tested implementation cannot be forgotten route by route.
    """

    def __init__(self, app: App, config: GuardConfig) -> None:
        self.app = app
        self.config = config
        self._admitted = 0
        self._slots = asyncio.Semaphore(config.max_in_flight)

    @property
    def busy(self) -> int:
        """Requests admitted now (reading their body, queued or in flight), for tests and stats."""
        return self._admitted

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        """Pass lifespan through; check, admit, read and forward HTTP; ignore anything else."""
        if scope["type"] == "lifespan":
            return await self.app(scope, receive, send)
        if scope["type"] != "http":
            return None
        refusal = self._check(scope)
        if refusal is not None:
            return await _refuse(send, *refusal)
        config = self.config
        if self._admitted >= config.max_in_flight + config.max_queued:
            retry = [(b"retry-after", str(config.retry_after_s).encode())]
            return await _refuse(send, 429, "rate_limited", "too many requests; retry later", retry)
        self._admitted += 1
        try:
            try:
                async with asyncio.timeout(config.body_timeout_s):
                    body = await read_body(receive, config.max_body_bytes)
            except TimeoutError:
                message = f"the request body did not arrive within {config.body_timeout_s:g} s"
                return await _refuse(send, 408, "request_timeout", message)
            except BodyTooLarge:
                return await _refuse(send, 413, "request_too_large", self._too_large())
            except ClientDisconnected:
                return None
            async with self._slots:
                await self.app(scope, _replay(body, receive), send)
        finally:
            self._admitted -= 1

    def _check(self, scope: dict[str, Any]) -> tuple[int, str, str] | None:
        headers: dict[bytes, bytes] = {}
        for name, value in scope.get("headers", []):
            if name in headers and name in _CHECKED_HEADERS:
                return 400, "invalid_request_error", f"duplicate {name.decode()} header"
            headers[name] = value
        config = self.config
        host = headers.get(b"host", b"").decode("latin-1")
        if host_name(host) not in config.allowed_hosts:
            return 421, "misdirected_request", f"this server does not answer for Host {host!r}"
        origin = headers.get(b"origin")
        if origin is not None and origin.decode("latin-1").lower() not in config.allowed_origins:
            return 403, "forbidden", "cross-origin requests are not allowed"
        if config.token is not None and not _bearer_matches(
            headers.get(b"authorization"), config.token
        ):
            return 401, "authentication_error", "missing or wrong bearer token"
        if scope["method"] in BODY_METHODS:
            media = headers.get(b"content-type", b"").partition(b";")[0].strip().lower()
            if media != b"application/json":
                return 415, "unsupported_media_type", "the body must be application/json"
        length = headers.get(b"content-length")
        if length is not None:
            if not length.strip().isdigit():
                return 400, "invalid_request_error", "invalid Content-Length"
            if int(length) > config.max_body_bytes:
                return 413, "request_too_large", self._too_large()
        return None

    def _too_large(self) -> str:
        return f"the request body is larger than {self.config.max_body_bytes} bytes"


def _bearer_matches(header: bytes | None, token: str) -> bool:
    scheme, _, value = (header or b"").strip().partition(b" ")
    # compare_digest takes the same time wherever the first difference is.
    return hmac.compare_digest(value.strip(), token.encode()) and scheme.lower() == b"bearer"


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return await receive()  # the app waiting for a disconnect still gets it
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def _refuse(
    send: Send,
    status: int,
    kind: str,
    message: str,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    extra = list(headers or [])
    if status == 401:
        extra.append((b"www-authenticate", b"Bearer"))
    extra.append((b"connection", b"close"))
    await send_json(send, status, {"error": {"message": message, "type": kind}}, extra)
