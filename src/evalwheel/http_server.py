"""Starting an HTTP server safely: the token, who may bind where, and uvicorn's own limits.

The request checks live in ``http_guard``; this module covers what happens around them: a bearer
token by default (from ``EVALWHEEL_SERVE_TOKEN`` or generated), no unauthenticated server off
loopback, the socket bound before anything is printed (so a busy port is one clear error), and
uvicorn configured with a header timeout, a header size limit, a keep-alive timeout and a
connection cap (the guard cannot see a request before its headers are complete).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import secrets
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from evalwheel.errors import InputError
from evalwheel.http_guard import WILDCARD_HOSTS, host_name, is_loopback

TOKEN_ENV = "EVALWHEEL_SERVE_TOKEN"


def resolve_token(no_auth: bool, env: Mapping[str, str] | None = None) -> tuple[str | None, bool]:
    """The bearer token and whether it was generated (then the caller prints it once).

    Why a generated default: a server without one can be driven by any web page or local process;
    a token in the environment lets clients keep the same one across restarts.
    """
    if no_auth:
        return None, False
    value = (os.environ if env is None else env).get(TOKEN_ENV)
    if value is not None:
        if len(value.strip()) < 16:
            raise InputError(f"{TOKEN_ENV} must be at least 16 characters")
        return value.strip(), False
    return secrets.token_urlsafe(32), True


def check_exposure(host: str, token: str | None) -> str | None:
    """Refuse an unauthenticated server reachable from other machines; otherwise return a warning
    to print when it is reachable (``None`` on loopback)."""
    if is_loopback(host):
        return None
    if token is None:
        raise InputError(
            f"refusing to serve without authentication on {host}, which is not a loopback "
            "address: anyone on the network could use it (drop --no-auth, or bind 127.0.0.1)"
        )
    return (
        f"{host} is reachable from other machines: anyone with the token can use this server, "
        "and plain HTTP carries the token unencrypted"
    )


@dataclass(frozen=True)
class ListenOptions:
    """Where to listen and the connection-level limits, validated before anything starts.

    ``header_timeout_s`` closes a connection whose request headers are not complete in time (a
    slow-headers client would otherwise hold a socket forever); ``max_header_bytes`` bounds what
    one incomplete request can make the server buffer; ``max_connections`` caps open connections
    (uvicorn answers 503 beyond it).
    """

    host: str = "127.0.0.1"
    port: int = 8080
    keep_alive_s: float = 5.0
    header_timeout_s: float = 10.0
    max_header_bytes: int = 16 * 1024
    max_connections: int = 256

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise InputError(f"must be between 0 and 65535, not {self.port}", field="port")
        if not self.host or any(c in self.host for c in "/@ \t"):
            raise InputError(f"not an address to bind: {self.host!r}", field="host")
        for name in ("keep_alive_s", "header_timeout_s"):
            value = getattr(self, name)
            if not (value > 0 and math.isfinite(value)):
                raise InputError(f"must be a positive number of seconds, not {value}", field=name)
        if self.max_header_bytes < 1024:
            raise InputError("must be at least 1024", field="max_header_bytes")
        if self.max_connections < 1:
            raise InputError("must be at least 1", field="max_connections")

    def base_url(self, port: int | None = None, path: str = "/v1") -> str:
        """The URL a client on this machine uses (a wildcard bind is reached through 127.0.0.1)."""
        name = host_name(self.host)
        name = "127.0.0.1" if name in WILDCARD_HOSTS else name
        name = f"[{name}]" if ":" in name else name
        return f"http://{name}:{self.port if port is None else port}{path}"

    def uvicorn_options(self) -> dict[str, Any]:
        """``uvicorn.Config`` keyword arguments for these limits (h11 only: its limits apply)."""
        return {
            "http": _h11_with_header_timeout(self.header_timeout_s),
            "timeout_keep_alive": self.keep_alive_s,
            "h11_max_incomplete_event_size": self.max_header_bytes,
            "limit_concurrency": self.max_connections,
        }


def bind(options: ListenOptions) -> socket.socket:
    """A listening socket, or an ``InputError`` saying why not (port in use, no such address)."""
    family = socket.AF_INET6 if ":" in options.host else socket.AF_INET
    try:
        return socket.create_server((options.host.strip("[]"), options.port), family=family)
    except (OSError, OverflowError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise InputError(f"cannot listen on {options.host}:{options.port}: {reason}") from None


def run(app: Any, sock: socket.socket, options: ListenOptions) -> None:
    """Serve ``app`` on ``sock`` until interrupted, with ``options``' limits."""
    import uvicorn

    config = uvicorn.Config(
        app,
        host=options.host,
        port=options.port,
        log_level="warning",
        access_log=False,
        lifespan="on",
        **options.uvicorn_options(),
    )
    uvicorn.Server(config).run(sockets=[sock])


def _no_delay(transport: asyncio.BaseTransport) -> None:
    """Turn Nagle's algorithm off on a served connection. asyncio does it only for sockets whose
    ``proto`` is ``IPPROTO_TCP``, and ``socket.create_server`` makes them with proto 0, so a
    response written in two parts (headers, then body) waited for the client's delayed ACK:
    about 40 ms added to every request (measured with bench/proxy_overhead.py --delay 0)."""
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def _h11_with_header_timeout(timeout_s: float) -> type:
    """uvicorn's h11 protocol, closing a connection whose first request's headers take longer
    than ``timeout_s``. uvicorn has no such timeout; a later request on the same connection is
    only possible after an accepted one, since the guard closes the connection on every refusal."""
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class H11WithHeaderTimeout(H11Protocol):  # type: ignore[misc]
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            _no_delay(transport)
            asyncio.get_running_loop().call_later(timeout_s, self._headers_overdue)

        def _headers_overdue(self) -> None:
            if getattr(self, "cycle", None) is None and not self.transport.is_closing():
                self.transport.close()

    return H11WithHeaderTimeout
