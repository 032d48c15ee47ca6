"""The model client against a real HTTP server on 127.0.0.1 that injects faults."""

import asyncio
import json
from collections.abc import Iterator

import pytest
from pydantic import BaseModel

from evalwheel.llm.budget import Budget
from evalwheel.llm.cache import CacheMode, cache_key
from evalwheel.llm.client import ModelClient
from evalwheel.llm.errors import (
    BudgetExceeded,
    CacheMiss,
    ClientFailure,
    InvalidOutput,
    ModelCallError,
)
from evalwheel.llm.registry import ModelSpec
from evalwheel.llm.structured import StructuredMode, generate
from evalwheel.llm.types import ChatRequest
from evalwheel.store import Store
from evalwheel.testing.openai_stub import StubServer


@pytest.fixture
def stub() -> Iterator[StubServer]:
    server = StubServer(hang_s=3.0, retry_after="0.05")
    server.__enter__()
    yield server
    server.__exit__(None, None, None)


def spec_for(url: str, **kw) -> ModelSpec:
    fields = {
        "name": "stub",
        "base_url": url,
        "model": "stub-1",
        "timeout_s": 1.0,
        "max_retries": 3,
    }
    return ModelSpec(**{**fields, **kw})


def ask(text: str, **kw) -> ChatRequest:
    return ChatRequest(messages=[{"role": "user", "content": text}], **kw)


def run(coro):
    return asyncio.run(coro)


async def _one(spec: ModelSpec, request: ChatRequest, **kw):
    async with ModelClient(spec, backoff_initial_s=0.01, **kw) as client:
        try:
            return await client.chat(request), client.stats
        except ModelCallError as exc:
            return exc, client.stats


@pytest.mark.parametrize(
    ("fault", "attempts"),
    [("429x2", 3), ("500x1", 2), ("malformedx1", 2), ("cutx1", 2), ("timeoutx1", 2)],
)
def test_transient_faults_are_retried_to_success(stub: StubServer, fault: str, attempts: int):
    response, stats = run(_one(spec_for(stub.url), ask(f"hello [[fault:{fault}]]")))
    assert not isinstance(response, Exception), response
    assert response.content == "echo: hello"
    assert response.attempts == attempts
    assert stats.retries == attempts - 1
    assert stub.state.requests == attempts


def test_client_errors_are_not_retried(stub: StubServer):
    error, stats = run(_one(spec_for(stub.url), ask("x [[fault:400]]")))
    assert isinstance(error, ClientFailure)
    record = error.record()
    assert record.type == "client_error" and record.status == 400 and record.attempts == 1
    assert stub.state.requests == 1 and stats.errors == {"client_error": 1}


def test_persistent_failure_is_a_recorded_error_after_the_retries(stub: StubServer):
    error, _ = run(_one(spec_for(stub.url, max_retries=2), ask("x [[fault:500x99]]")))
    record = error.record()
    assert (
        record.type == "server_error" and record.attempts == 3 and "server error" in record.message
    )
    assert stub.state.requests == 3


def test_retry_after_is_honoured(stub: StubServer):
    stub.state.retry_after = "0.3"
    loop_time = {}

    async def go():
        async with ModelClient(spec_for(stub.url), backoff_initial_s=0.001) as client:
            started = asyncio.get_running_loop().time()
            await client.chat(ask("x [[fault:429x1]]"))
            loop_time["elapsed"] = asyncio.get_running_loop().time() - started

    run(go())
    # Not a timing assertion on speed: a lower bound the client must respect (it may be slower).
    assert loop_time["elapsed"] >= 0.3


def test_cache_hits_skip_the_server_and_replay_needs_no_server(stub: StubServer, tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 's.db'}", tmp_path / "blobs")
    spec = spec_for(stub.url)
    first, stats1 = run(_one(spec, ask("cache me"), store=store))
    assert stats1.cache_misses == 1 and stub.state.requests == 1
    again, stats2 = run(_one(spec, ask("cache me"), store=store))
    assert again.cached and again.content == first.content and stats2.cache_hits == 1
    assert stub.state.requests == 1
    refreshed, _ = run(_one(spec, ask("cache me"), store=store, cache_mode=CacheMode.REFRESH))
    assert not refreshed.cached and stub.state.requests == 2
    stub.__exit__(None, None, None)  # the server is gone: replay must not need it
    replayed, stats3 = run(_one(spec, ask("cache me"), store=store, cache_mode=CacheMode.REPLAY))
    assert replayed.content == first.content and stats3.cache_hits == 1
    missing, _ = run(_one(spec, ask("never seen"), store=store, cache_mode=CacheMode.REPLAY))
    assert isinstance(missing, CacheMiss)
    store.close()


def test_api_keys_never_reach_the_cache(stub: StubServer, tmp_path, monkeypatch):
    monkeypatch.setenv("STUB_KEY", "sk-secret-value-123456789")
    store = Store.open(f"sqlite:///{tmp_path / 's.db'}", tmp_path / "blobs")
    spec = spec_for(stub.url, api_key_env="STUB_KEY")
    run(_one(spec, ask("hi"), store=store))
    dump = "\n".join(store.engine.raw_connection().iterdump())
    assert "sk-secret" not in dump and "STUB_KEY" not in dump
    monkeypatch.setenv("STUB_KEY", "another-key")
    assert cache_key(spec.identity, ask("hi").payload()) == cache_key(
        spec_for(stub.url).identity, ask("hi").payload()
    )
    store.close()


def test_a_missing_key_variable_is_a_clear_error(stub: StubServer):
    from evalwheel.llm.errors import ModelConfigError

    with pytest.raises(ModelConfigError, match="NOT_SET_KEY"):
        ModelClient(spec_for(stub.url, api_key_env="NOT_SET_KEY"))


def test_budget_refuses_a_call_that_could_exceed_it(stub: StubServer):
    spec = spec_for(stub.url, input_usd_per_mtok=1000.0, output_usd_per_mtok=1000.0)

    async def go():
        async with ModelClient(spec, budget=Budget(usd=0.5)) as client:
            await client.chat(ask("short", max_tokens=10))
            spent = client.tracker.spent_usd
            with pytest.raises(BudgetExceeded):
                await client.chat(ask("this one asks for far too many tokens", max_tokens=2000))
            return spent, client.tracker.spent_usd

    before, after = run(go())
    assert 0 < before == after <= 0.5
    assert stub.state.requests == 1


class Verdict(BaseModel):
    label: str
    score: int


@pytest.mark.parametrize(
    ("mode", "directive"),
    [
        (StructuredMode.JSON_SCHEMA, '[[reply:{"label": "good", "score": 3}]]'),
        (StructuredMode.TOOL, '[[args:{"label": "good", "score": 3}]]'),
        (StructuredMode.PROMPTED, '[[reply:```json\n{"label": "good", "score": 3,}\n```]]'),
    ],
)
def test_structured_output_modes(stub: StubServer, mode: StructuredMode, directive: str):
    async def go():
        async with ModelClient(spec_for(stub.url)) as client:
            return await generate(client, ask(f"judge {directive}"), Verdict, mode)

    value, _ = run(go())
    assert value == Verdict(label="good", score=3)


def test_invalid_structured_output_is_an_error_with_the_raw_text(stub: StubServer):
    async def go():
        async with ModelClient(spec_for(stub.url)) as client:
            return await generate(
                client, ask('[[reply:{"label": "good"}]]'), Verdict, StructuredMode.JSON_SCHEMA
            )

    with pytest.raises(InvalidOutput) as info:
        run(go())
    assert "score" in str(info.value) and info.value.raw == '{"label": "good"}'


def test_requests_carry_model_defaults_and_schema(stub: StubServer):
    spec = spec_for(stub.url, params={"temperature": 0, "top_p": 0.5})

    async def go():
        async with ModelClient(spec) as client:
            body = client.provider.body(ask("x", max_tokens=5))
            return body

    body = run(go())
    assert body == {
        "temperature": 0,
        "top_p": 0.5,
        "messages": [{"role": "user", "content": "x"}],
        "max_tokens": 5,
        "model": "stub-1",
    }
    assert json.dumps(body)


def test_requests_per_minute_limit_holds_calls_back(stub: StubServer):
    from evalwheel.llm.errors import DeadlineExceeded

    async def go():
        async with ModelClient(spec_for(stub.url, rpm=2), deadline_s=1.0) as client:
            await client.chat(ask("one"))
            await client.chat(ask("two"))
            assert not client._rpm.has_capacity()
            with pytest.raises(DeadlineExceeded, match="rate limit"):
                await client.chat(ask("three"))  # the next slot is 30 s away, past the deadline

    run(go())
    assert stub.state.requests == 2


def test_tokens_per_minute_limit_counts_estimated_tokens(stub: StubServer):
    async def go():
        async with ModelClient(spec_for(stub.url, tpm=1000)) as client:
            await client.chat(ask("x" * 400, max_tokens=500))
            return client._tpm.has_capacity(500)

    assert run(go()) is False
