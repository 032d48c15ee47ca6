"""The live shadow: a reverse proxy that returns the primary's answer untouched and, for a sampled
share of chat requests, asks a candidate the same thing in the background.

The hot path does as little as possible: one shared aiohttp session with a connection pool, the
request body forwarded as received, the response's status, headers (minus hop-by-hop ones) and
body chunks passed on as they arrive (compressed bytes stay compressed), and nothing parsed. A
sampled request only keeps a copy of the chunks; after the response is complete the copy goes on a
bounded queue (``put_nowait``: a full queue drops the sample and counts it). Workers read the
queue, ask the candidate (and the optional secondary, a second copy of the current system: Diffy's
noise floor) with a timeout, swallow and count every failure, and hand a redacted ``MirrorPair``
to the one background writer. Nothing the candidate does can delay or fail the primary.

Authentication: the client's ``Authorization`` header belongs to the primary and is forwarded to
it unchanged. The proxy's own token travels in ``X-Evalwheel-Token`` (the bare token or
``Bearer <token>``); it is checked by ``http_guard.Guard`` and never forwarded. Neither header is
ever stored.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from pydantic import BaseModel, ConfigDict, Field, field_validator

from evalwheel.asgi import lifespan, send_json
from evalwheel.core.hashing import content_hash, short
from evalwheel.core.mirror import MirrorPair, PairSide
from evalwheel.http_guard import Guard, GuardConfig
from evalwheel.llm.prices import Price
from evalwheel.mirror import live_keys
from evalwheel.mirror.pair_writer import PairWriter
from evalwheel.mirror.shadow_targets import ShadowTarget, price_of, side_from_answer
from evalwheel.mirror.sse_capture import captured_answer
from evalwheel.redaction import redact_url
from evalwheel.store.mirrors import MirrorPairRepository
from evalwheel.traffic.pii import redact_traffic_value

log = logging.getLogger(__name__)

TOKEN_HEADER = b"x-evalwheel-token"
STATS_PATH = "/mirror/stats"
# RFC 9110 §7.6.1 connection-specific fields, plus Host (aiohttp writes the upstream's own).
_HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
    }
)
_NOT_FORWARDED = _HOP_BY_HOP | {b"host", b"content-length", b"authorization", TOKEN_HEADER}
_UPSTREAM_AUTH = "evalwheel.upstream_authorization"

Redactor = Callable[[Any], Any]


class ShadowConfig(BaseModel):
    """How the proxy samples and shadows; the targets and the store are given separately."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    primary: str = Field(description="the primary's base URL; the client's path is appended")
    mirror: str = Field(default="live", min_length=1, description="the mirror the pairs join")
    sample: float = Field(default=0.1, ge=0.0, le=1.0, allow_inf_nan=False)
    queue_size: int = Field(default=1000, ge=1, description="samples waiting for a worker")
    workers: int = Field(default=4, ge=1, description="candidate calls in flight at once")
    max_spend_usd: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    candidate_timeout_s: float = Field(default=60.0, gt=0, allow_inf_nan=False)
    primary_connect_timeout_s: float = Field(default=10.0, gt=0, allow_inf_nan=False)
    primary_read_timeout_s: float = Field(default=600.0, gt=0, allow_inf_nan=False)
    upstream_connections: int = Field(default=512, ge=1)
    drain_s: float = Field(
        default=10.0, ge=0, allow_inf_nan=False, description="on shutdown, time to finish samples"
    )
    batch_size: int = Field(default=200, ge=1, description="pairs per store transaction")
    seed: int | None = Field(default=None, description="for the sampling draw (tests)")

    @field_validator("primary")
    @classmethod
    def _http_url(cls, value: str) -> str:
        """A primary without a scheme or host would answer every client with 502 at run time."""
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018  (raises on a port that is not a number)
        except ValueError:
            parts = None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"must be an http:// or https:// base URL, not {redact_url(value)!r}")
        return value


class ShadowStats(BaseModel):
    """What the proxy has done since it started (``GET /mirror/stats``)."""

    model_config = ConfigDict(extra="forbid")

    requests: int = 0
    primary_errors: int = Field(default=0, description="the primary unreachable or cut off")
    sampled: int = 0
    dropped: int = Field(default=0, description="samples dropped because the queue was full")
    unreadable: int = Field(default=0, description="sampled bodies that were not a JSON object")
    sent: int = Field(default=0, description="candidate calls made")
    candidate_errors: int = 0
    secondary_sent: int = 0
    secondary_errors: int = 0
    capped: int = Field(default=0, description="samples not sent: the spend cap was reached")
    recorded: int = Field(default=0, description="pairs written to the store")
    write_errors: int = 0
    spend_usd: float = 0.0
    queued: int = 0


@dataclass
class _Sample:
    path: str
    body: bytes
    conversation_header: str | None
    status: int
    content_type: str | None
    content_encoding: str | None
    response: bytes
    latency_s: float
    seen_at: datetime


class ShadowProxy:
    """The ASGI application: the guard first, then forwarding, sampling and ``/mirror/stats``.

    ``repository`` receives the pairs; ``secondary`` (optional) is the current system asked
    again; ``redact`` is applied to every stored string (default: e-mails, phone numbers, card numbers
    and keys become typed placeholders, as ``traffic import`` stores them);
    ``prices`` price the primary's and secondary's usage by the request's ``model``.
    """

    def __init__(
        self,
        config: ShadowConfig,
        candidate: ShadowTarget,
        repository: MirrorPairRepository,
        guard: GuardConfig,
        *,
        secondary: ShadowTarget | None = None,
        redact: Redactor | None = None,
        prices: dict[str, Price] | None = None,
    ) -> None:
        self.config = config
        self.candidate = candidate
        self.secondary = secondary
        self.repository = repository
        self.redact = redact or redact_traffic_value
        self.prices = prices or {}
        self.primary = config.primary.rstrip("/")
        self.primary_name = redact_url(self.primary)
        self._token = guard.token
        self.guard = Guard(self._routes, guard)
        self._stats = ShadowStats()
        self._random = random.Random(config.seed)
        self._session: aiohttp.ClientSession | None = None
        self._queue: asyncio.Queue[_Sample] | None = None
        self._workers: list[asyncio.Task[None]] = []
        self._writer: PairWriter | None = None

    def stats(self) -> ShadowStats:
        """A snapshot of the counters."""
        queued = self._queue.qsize() if self._queue is not None else 0
        return self._stats.model_copy(update={"queued": queued})

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Move the proxy's token where the guard looks for it, keep the client's own
        ``Authorization`` aside for the primary, then let the guard check the request."""
        if scope["type"] == "http":
            scope = self._with_proxy_token(scope)
        await self.guard(scope, receive, send)

    def _with_proxy_token(self, scope: dict[str, Any]) -> dict[str, Any]:
        headers: list[tuple[bytes, bytes]] = []
        upstream_auth: list[tuple[bytes, bytes]] = []
        for name, value in scope.get("headers", []):
            if name == b"authorization":
                upstream_auth.append((name, value))
            elif name == TOKEN_HEADER:
                value = value.strip()
                bearer = value if value[:7].lower() == b"bearer " else b"Bearer " + value
                headers.append((b"authorization", bearer))
            else:
                headers.append((name, value))
        return {**scope, "headers": headers, _UPSTREAM_AUTH: upstream_auth}

    async def _routes(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._start()
            return await lifespan(receive, send, self.aclose)
        if scope["method"] == "GET" and scope["path"] == STATS_PATH:
            return await send_json(send, 200, self.stats().model_dump())
        await self._forward(scope, receive, send)

    async def _start(self) -> None:
        connector = aiohttp.TCPConnector(limit=self.config.upstream_connections)
        timeout = aiohttp.ClientTimeout(
            total=None,
            sock_connect=self.config.primary_connect_timeout_s,
            sock_read=self.config.primary_read_timeout_s,
        )
        # auto_decompress off: the client gets the primary's bytes, compressed or not.
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=timeout,
            auto_decompress=False,
            skip_auto_headers=("User-Agent", "Accept-Encoding", "Content-Type"),
        )
        self._queue = asyncio.Queue(self.config.queue_size)
        self._writer = PairWriter(
            self.repository,
            batch_size=self.config.batch_size,
            on_written=self._count_written,
            on_failed=self._count_write_failed,
        )
        self._writer.start()
        self._workers = [
            asyncio.create_task(self._work(), name=f"mirror-worker-{i}")
            for i in range(self.config.workers)
        ]

    async def aclose(self) -> None:
        """Shutdown: finish queued samples for up to ``drain_s``, cancel the rest, store every
        pair already completed, close the connections."""
        if self._queue is not None and self._workers:
            try:
                async with asyncio.timeout(self.config.drain_s):
                    await self._queue.join()
            except TimeoutError:
                log.warning("mirror: %d samples left unfinished at shutdown", self._queue.qsize())
        for task in self._workers:
            task.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        self._workers = []
        if self._writer is not None:
            await self._writer.close()
        for target in (self.candidate, self.secondary):
            if target is not None:
                await target.aclose()
        if self._session is not None:
            await self._session.close()

    async def _forward(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        stats = self._stats
        stats.requests += 1
        body = (await receive()).get("body", b"")  # the guard has buffered the whole body
        path = scope["path"]
        query = scope.get("query_string") or b""
        url = self.primary + scope.get("raw_path", path.encode()).decode("latin-1")
        if query:
            url += "?" + query.decode("latin-1")
        headers = [
            (name.decode("latin-1"), value.decode("latin-1"))
            for name, value in [
                *((n, v) for n, v in scope["headers"] if n not in _NOT_FORWARDED),
                *scope.get(_UPSTREAM_AUTH, []),
            ]
        ]
        sampled = (
            scope["method"] == "POST"
            and path.endswith("/chat/completions")
            and self.config.sample > 0
            and self._random.random() < self.config.sample
        )
        copy: list[bytes] | None = [] if sampled else None
        assert self._session is not None
        started = time.perf_counter()
        try:
            response = await self._session.request(
                scope["method"], url, data=body or None, headers=headers, allow_redirects=False
            )
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            stats.primary_errors += 1
            message = f"the primary is unreachable: {type(exc).__name__}"
            return await send_json(
                send, 502, {"error": {"message": message, "type": "bad_gateway"}}
            )
        async with response:
            await send(
                {
                    "type": "http.response.start",
                    "status": response.status,
                    "headers": [
                        (name.lower(), value)
                        for name, value in response.raw_headers
                        if name.lower() not in _HOP_BY_HOP
                    ],
                }
            )
            try:
                async for chunk in response.content.iter_any():
                    if copy is not None:
                        copy.append(chunk)
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
            except (aiohttp.ClientError, TimeoutError, OSError):
                stats.primary_errors += 1
                raise  # uvicorn drops the connection: the client sees a cut, not a clean end
            latency = time.perf_counter() - started
            if copy is not None:
                stats.sampled += 1
                self._enqueue(
                    _Sample(
                        path=path,
                        body=body,
                        conversation_header=_header(scope, live_keys.CONVERSATION_HEADER),
                        status=response.status,
                        content_type=response.headers.get("Content-Type"),
                        content_encoding=response.headers.get("Content-Encoding"),
                        response=b"".join(copy),
                        latency_s=latency,
                        seen_at=datetime.now(UTC),
                    )
                )
            # Counted before the client sees the end, so /mirror/stats is never behind it.
            await send({"type": "http.response.body", "body": b"", "more_body": False})

    def _enqueue(self, sample: _Sample) -> None:
        assert self._queue is not None
        try:
            self._queue.put_nowait(sample)
        except asyncio.QueueFull:
            self._stats.dropped += 1

    async def _work(self) -> None:
        assert self._queue is not None
        while True:
            sample = await self._queue.get()
            try:
                await self._shadow(sample)
            except Exception:
                log.exception("mirror: a sample could not be shadowed")
                self._stats.candidate_errors += 1
            finally:
                self._queue.task_done()

    async def _shadow(self, sample: _Sample) -> None:
        stats = self._stats
        try:
            request = json.loads(sample.body)
        except ValueError:
            request = None
        if not isinstance(request, dict):
            stats.unreadable += 1
            return
        cap = self.config.max_spend_usd
        if cap is not None and stats.spend_usd >= cap:
            stats.capped += 1
            return
        stats.sent += 1
        asks = [self._ask(self.candidate, sample.path, request, "candidate")]
        if self.secondary is not None:
            stats.secondary_sent += 1
            asks.append(self._ask(self.secondary, sample.path, request, "secondary"))
        sides = await asyncio.gather(*asks)
        stats.spend_usd += sum(side.cost_usd for side in sides)
        current = side_from_answer(
            self.primary_name,
            captured_answer(
                sample.response, sample.content_type, sample.status, sample.content_encoding
            ),
            sample.status,
            sample.latency_s,
            price_of(str(request.get("model") or ""), self.prices),
        )
        pair = self._pair(sample, request, current, sides[0], sides[1] if len(sides) > 1 else None)
        assert self._writer is not None
        self._writer.put(pair)

    async def _ask(
        self, target: ShadowTarget, path: str, request: dict[str, Any], role: str
    ) -> PairSide:
        """The target's answer; a timeout or an exception becomes a recorded, counted error."""
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.config.candidate_timeout_s):
                side = await target.ask(path, request)
        except Exception as exc:  # a candidate's failure of any kind must stay in the background
            reason = "timed out" if isinstance(exc, TimeoutError) else type(exc).__name__
            side = PairSide(
                system=target.name,
                error=f"{reason}: {exc}" if str(exc) else reason,
                latency_s=time.perf_counter() - started,
            )
        if side.error is not None:
            if role == "candidate":
                self._stats.candidate_errors += 1
            else:
                self._stats.secondary_errors += 1
        return side

    def _pair(
        self,
        sample: _Sample,
        request: dict[str, Any],
        current: PairSide,
        candidate: PairSide,
        again: PairSide | None,
    ) -> MirrorPair:
        redact = self.redact
        raw_conversation = live_keys.conversation_id(request, sample.conversation_header)
        conversation = redact(raw_conversation)
        if conversation != raw_conversation:  # e.g. an e-mail as the user id: keep a stable hash
            conversation = "conv-" + short(content_hash(raw_conversation))
        return MirrorPair(
            id=f"{sample.seen_at:%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}",
            mirror=self.config.mirror,
            source="live",
            example_id=live_keys.example_id(request),
            conversation_id=conversation,
            turn=live_keys.turn(request),
            request=redact(request),
            current=_redacted_side(redact, current),
            candidate=_redacted_side(redact, candidate),
            current_again=_redacted_side(redact, again) if again is not None else None,
            created_at=sample.seen_at,
        )

    def _count_written(self, n: int) -> None:
        self._stats.recorded += n

    def _count_write_failed(self, n: int) -> None:
        self._stats.write_errors += n


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1").strip() or None
    return None


def _redacted_side(redact: Redactor, side: PairSide) -> PairSide:
    return PairSide.model_validate(redact(side.model_dump(mode="json")))
