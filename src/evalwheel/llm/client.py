"""One async client for every model: cache → budget → rate limits → concurrency → retries → provider.

A call returns a ``ChatResponse`` or raises a ``ModelCallError`` whose ``record()`` is what gets
stored; nothing is turned into a default value. ``CallStats`` counts what happened (calls, cache
hits and misses, retries, errors by type, tokens, cost), per client, i.e. per run.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from aiolimiter import AsyncLimiter
from pydantic import BaseModel, Field
from tenacity import AsyncRetrying, retry_if_exception

from evalwheel.llm.budget import Budget, BudgetTracker, estimate_input_tokens
from evalwheel.llm.cache import CacheMode, CallCache, cache_key
from evalwheel.llm.errors import CacheMiss, DeadlineExceeded, ModelCallError
from evalwheel.llm.prices import Price, price_for
from evalwheel.llm.providers import Provider
from evalwheel.llm.registry import ModelSpec
from evalwheel.llm.retry import RetryPolicy
from evalwheel.llm.types import ChatRequest, ChatResponse
from evalwheel.store.db import Store, StoreError

_SAMPLE: ContextVar[int] = ContextVar("evalwheel_sample", default=0)


@contextmanager
def independent_sample(index: int) -> Iterator[None]:
    """Calls made inside are repetition ``index`` of their item: sample 0 shares the ordinary cache
    entry, sample k > 0 has its own, so repeated runs draw independent samples (pass^k) and still
    never re-pay a repetition they already finished."""
    token = _SAMPLE.set(index)
    try:
        yield
    finally:
        _SAMPLE.reset(token)


def current_sample() -> int:
    """The repetition index calls are being made under (see ``independent_sample``)."""
    return _SAMPLE.get()


class CallStats(BaseModel):
    calls: int = 0
    succeeded: int = 0
    failed: int = 0
    cache_hits: int = 0
    cache_misses: int = 0
    retries: int = 0
    errors: dict[str, int] = Field(default_factory=dict)
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    unpriced_calls: int = Field(default=0, description="calls whose cost is unknown (counted as 0)")
    cache_write_errors: int = Field(
        default=0, description="answers that could not be stored in the call cache"
    )


def make_provider(spec: ModelSpec) -> Provider:
    if spec.provider == "embedded":
        from evalwheel.llm.embedded import EmbeddedProvider

        return EmbeddedProvider(
            spec.gguf_path,
            spec.n_ctx,
            spec.n_threads,
            spec.params,
            lora_path=spec.lora_path,
            lora_scale=spec.lora_scale,
        )
    from evalwheel.llm.http_provider import OpenAIHttpProvider

    return OpenAIHttpProvider(
        str(spec.base_url),
        spec.model or "",
        spec.api_key(),
        max_connections=spec.max_concurrency,
        default_params=spec.params,
    )


class ModelClient:
    def __init__(
        self,
        spec: ModelSpec,
        *,
        store: Store | None = None,
        cache_mode: CacheMode = CacheMode.USE,
        budget: Budget | None = None,
        prices: dict[str, Price] | None = None,
        deadline_s: float | None = None,
        backoff_initial_s: float = 0.5,
        provider: Provider | None = None,
        tracker: BudgetTracker | None = None,
    ) -> None:
        """``tracker`` shares one budget between clients (a system and its judges): with it,
        ``budget`` is ignored."""
        self.spec = spec
        self.provider = provider or make_provider(spec)
        self.identity = spec.identity
        self.cache_mode = cache_mode if store is not None else CacheMode.OFF
        if cache_mode == CacheMode.REPLAY and store is None:
            raise ValueError("replay needs a store to replay from")
        self.cache = (
            CallCache(store) if store is not None and self.cache_mode != CacheMode.OFF else None
        )
        self.price = price_for(spec, prices)
        self.tracker = tracker or BudgetTracker(budget or Budget())
        self.deadline = time.monotonic() + deadline_s if deadline_s else None
        self.stats = CallStats()
        self._errors: Counter[str] = Counter()
        self._semaphore = asyncio.Semaphore(spec.max_concurrency)
        self._rpm = AsyncLimiter(spec.rpm, 60) if spec.rpm else None
        self._tpm = AsyncLimiter(spec.tpm, 60) if spec.tpm else None
        self._backoff_initial_s = backoff_initial_s

    def body(self, request: ChatRequest) -> dict[str, Any]:
        """The full request as sent (model defaults merged in): what the cache key covers."""
        return {**self.spec.params, **request.payload()}

    async def chat(self, request: ChatRequest) -> ChatResponse:
        self.stats.calls += 1
        try:
            response = await self._chat(request)
        except ModelCallError as exc:
            self.stats.failed += 1
            self._errors[exc.kind] += 1
            self.stats.errors = dict(self._errors)
            raise
        self.stats.succeeded += 1
        return response

    async def _chat(self, request: ChatRequest) -> ChatResponse:
        sample = _SAMPLE.get()
        body = self.body(request)
        if sample and (self.spec.provider == "embedded" or body.get("seed") is not None):
            # A fixed seed would make every repetition the same sample: repetition k samples with
            # seed + k (the embedded model always seeds; an endpoint only when asked to).
            request = request.model_copy(update={"seed": int(body.get("seed") or 0) + sample})
            body = self.body(request)
        key = cache_key(self.identity, body, sample) if self.cache else ""
        if self.cache and self.cache_mode in (CacheMode.USE, CacheMode.REPLAY):
            hit = self.cache.get(key)
            if hit is not None:
                self.stats.cache_hits += 1
                return hit.model_copy(
                    update={"cached": True, "cost_usd": 0.0, "latency_s": 0.0, "attempts": 0}
                )
            self.stats.cache_misses += 1
            if self.cache_mode == CacheMode.REPLAY:
                raise CacheMiss("not in the call cache, and the cache is in replay mode")
        elif self.cache:
            self.stats.cache_misses += 1
        input_estimate = estimate_input_tokens(request)
        output_estimate = request.max_tokens or self.spec.expected_output_tokens
        worst_usd = self.price.cost(input_estimate, output_estimate) if self.price else 0.0
        reservation = self.tracker.reserve(input_estimate + output_estimate, worst_usd)
        try:
            response = await self._with_retries(request, input_estimate + output_estimate)
        except BaseException:
            self.tracker.settle(reservation, 0, 0.0)
            raise
        usage = response.usage
        if self.price is None:
            self.stats.unpriced_calls += 1
            response.cost_usd = 0.0
        else:
            response.cost_usd = self.price.cost(usage.input_tokens, usage.output_tokens)
        self.tracker.settle(reservation, usage.total, response.cost_usd)
        self.stats.input_tokens += usage.input_tokens
        self.stats.output_tokens += usage.output_tokens
        self.stats.cost_usd += response.cost_usd
        if self.cache and self.cache_mode in (CacheMode.USE, CacheMode.REFRESH):
            try:
                await self.cache.put_durable(key, self.identity, body, response)
            except StoreError:
                # The answer is paid for and good; only remembering it failed. Counted, not fatal.
                self.stats.cache_write_errors += 1
        return response

    async def _with_retries(self, request: ChatRequest, tokens: int) -> ChatResponse:
        policy = RetryPolicy(self.spec.max_retries, self._backoff_initial_s, deadline=self.deadline)
        attempts = 0
        try:
            async for attempt in AsyncRetrying(
                retry=retry_if_exception(policy.should_retry),
                wait=policy.wait,
                stop=policy.stop,
                reraise=True,
            ):
                with attempt:
                    attempts += 1
                    if attempts > 1:
                        self.stats.retries += 1
                    response = await self._attempt(request, tokens)
        except ModelCallError as exc:
            exc.attempts = attempts
            raise
        response.attempts = attempts
        return response

    async def _attempt(self, request: ChatRequest, tokens: int) -> ChatResponse:
        try:
            async with asyncio.timeout(self._remaining()):
                if self._rpm is not None:
                    await self._rpm.acquire()
                if self._tpm is not None:
                    await self._tpm.acquire(min(tokens, self._tpm.max_rate))
        except TimeoutError:
            raise DeadlineExceeded(
                "the run's deadline passed while waiting for the rate limit"
            ) from None
        remaining = self._remaining()
        if remaining is not None and remaining <= 0:
            raise DeadlineExceeded("the run's deadline has passed")
        timeout = self.spec.timeout_s if remaining is None else min(self.spec.timeout_s, remaining)
        async with self._semaphore:
            return await self.provider.complete(request, timeout)

    def _remaining(self) -> float | None:
        return None if self.deadline is None else self.deadline - time.monotonic()

    def flush(self) -> None:
        if self.cache:
            self.cache.flush()

    async def aclose(self) -> None:
        self.flush()
        await self.provider.aclose()

    async def __aenter__(self) -> ModelClient:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()
