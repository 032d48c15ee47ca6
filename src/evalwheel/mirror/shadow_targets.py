"""Where the live proxy sends its sampled copies: another OpenAI-compatible URL, or a model
configured in the project (called through ``ModelClient``, with its retries, limits and prices).

A target answers with a ``PairSide`` and never raises for the endpoint's failures: an error is
part of what the comparison must see (a failed candidate counts as failed, not as missing).
"""

from __future__ import annotations

import json
import time
from typing import Any, Protocol

import aiohttp
from pydantic import JsonValue

from evalwheel.core.mirror import PairSide
from evalwheel.llm.cache import CacheMode
from evalwheel.llm.client import ModelClient
from evalwheel.llm.errors import ModelCallError
from evalwheel.llm.prices import BUILTIN_PRICES, Price
from evalwheel.llm.registry import ModelSpec
from evalwheel.llm.types import ChatRequest
from evalwheel.mirror.sse_capture import CapturedAnswer, captured_answer
from evalwheel.redaction import redact_url

# What only concerns how the primary's answer was delivered or stored, not what was asked.
_DELIVERY_FIELDS = ("stream", "stream_options", "store", "metadata")


class ShadowTarget(Protocol):
    """A system asked the sampled request in the background."""

    name: str

    async def ask(self, path: str, request: dict[str, Any]) -> PairSide:
        """The target's answer; errors are recorded in ``PairSide.error``."""
        ...

    async def aclose(self) -> None: ...


def price_of(model: str | None, prices: dict[str, Price] | None = None) -> Price | None:
    """A model id's price from the built-in list and the project's ``[prices]``, if known."""
    return {**BUILTIN_PRICES, **(prices or {})}.get(model or "")


def side_from_answer(
    name: str, answer: CapturedAnswer, status: int | None, latency_s: float, price: Price | None
) -> PairSide:
    """A recorded side from a response read by ``sse_capture``."""
    cost = price.cost(answer.input_tokens, answer.output_tokens) if price else 0.0
    return PairSide(
        system=name,
        content=answer.content,
        tool_calls=answer.tool_calls,
        status=status,
        error=answer.error,
        latency_s=latency_s,
        input_tokens=answer.input_tokens,
        output_tokens=answer.output_tokens,
        cost_usd=cost,
    )


class EndpointTarget:
    """An OpenAI-compatible URL asked the same path with the same body, not streamed (so usage
    and latency are those of the whole answer). The client's own credentials are never sent here;
    ``api_key`` (from an environment variable the operator names) is."""

    def __init__(
        self,
        url: str,
        *,
        api_key: str | None = None,
        model: str | None = None,
        prices: dict[str, Price] | None = None,
        timeout_s: float = 60.0,
        max_connections: int = 32,
    ) -> None:
        self.url = url.rstrip("/")
        self.name = redact_url(self.url)
        self.model = model
        self.prices = prices or {}
        self.timeout_s = timeout_s
        self._headers = {"Content-Type": "application/json"}
        if api_key:
            self._headers["Authorization"] = f"Bearer {api_key}"
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None

    async def ask(self, path: str, request: dict[str, Any]) -> PairSide:
        body = {k: v for k, v in request.items() if k not in _DELIVERY_FIELDS}
        if self.model:
            body["model"] = self.model
        started = time.perf_counter()
        try:
            async with self._client().post(
                self.url + path, data=json.dumps(body).encode(), headers=self._headers
            ) as response:
                payload = await response.read()
                status = response.status
                media = response.headers.get("Content-Type")
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            return PairSide(system=self.name, error=error, latency_s=time.perf_counter() - started)
        answer = captured_answer(payload, media, status)
        price = price_of(str(body.get("model") or answer.model or ""), self.prices)
        return side_from_answer(self.name, answer, status, time.perf_counter() - started, price)

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._max_connections),
                timeout=aiohttp.ClientTimeout(total=self.timeout_s),
            )
        return self._session

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()


class ModelTarget:
    """A model of the project (``[models.NAME]`` or ``local``), through ``ModelClient``: the
    request's ``model`` is replaced by the configured one; cost comes from its price."""

    def __init__(
        self, spec: ModelSpec, *, prices: dict[str, Price] | None = None, client: Any = None
    ) -> None:
        self.name = spec.name
        self.client = client or ModelClient(spec, cache_mode=CacheMode.OFF, prices=prices)

    async def ask(self, path: str, request: dict[str, Any]) -> PairSide:
        started = time.perf_counter()
        fields = {k: v for k, v in request.items() if k not in (*_DELIVERY_FIELDS, "model")}
        try:
            response = await self.client.chat(ChatRequest.model_validate(fields))
        except (ModelCallError, ValueError) as exc:
            return PairSide(
                system=self.name, error=str(exc), latency_s=time.perf_counter() - started
            )
        calls: list[dict[str, JsonValue]] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in response.tool_calls
        ]
        return PairSide(
            system=self.name,
            content=response.content,
            tool_calls=calls,
            status=200,
            latency_s=time.perf_counter() - started,
            input_tokens=response.usage.input_tokens,
            output_tokens=response.usage.output_tokens,
            cost_usd=response.cost_usd,
        )

    async def aclose(self) -> None:
        await self.client.aclose()
