"""``mirror serve``: the live shadow proxy, against real servers on 127.0.0.1."""

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
from typing import Any
from urllib.parse import urlsplit

import pytest

from evalwheel.api.mirroring_live import serve_mirror, shadow_config, shadow_proxy, shadow_target
from evalwheel.asgi import lifespan, read_body, send_json
from evalwheel.core.mirror import MirrorPair, PairSide
from evalwheel.errors import InputError
from evalwheel.http_guard import GuardConfig
from evalwheel.http_server import ListenOptions
from evalwheel.llm.prices import Price
from evalwheel.llm.registry import ModelSpec
from evalwheel.mirror import live_keys
from evalwheel.mirror.shadow_proxy import ShadowConfig, ShadowStats
from evalwheel.mirror.shadow_targets import EndpointTarget, ModelTarget
from evalwheel.mirror.sse_capture import captured_answer
from evalwheel.store import Store
from evalwheel.store.mirrors import MirrorPairRepository
from evalwheel.testing.openai_stub import StubServer
from evalwheel.testing.server_thread import ServerThread

TOKEN = "proxy-token-0123456789abcdef"
CLIENT_KEY = "sk-proj-CLIENTKEY1234567890abcdefXYZ"

# An SSE answer in many chunks: content in pieces, one tool call whose arguments arrive in two
# fragments, usage at the end, odd spacing kept (the bytes must come back exactly as sent).
SSE_CHUNKS = [
    b'data: {"id":"c1","object":"chat.completion.chunk","model":"up",'
    b'"choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"}}]}\n\n',
    b'data: {"id":"c1","object":"chat.completion.chunk","model":"up",'
    b'"choices":[{"index":0,"delta":{"content":"lo"}}]}\n\n',
    b'data: {"id":"c1","object":"chat.completion.chunk","model":"up","choices":[{"index":0,'
    b'"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function",'
    b'"function":{"name":"tag","arguments":"{\\"tag\\": "}}]}}]}\n\n',
    b'data: {"id":"c1","object":"chat.completion.chunk","model":"up","choices":[{"index":0,'
    b'"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\\"vip\\"}"}}]},'
    b'"finish_reason":"tool_calls"}]}\n\n',
    b'data: {"id":"c1","object":"chat.completion.chunk","model":"up","choices":[],'
    b'"usage":{"prompt_tokens":7,"completion_tokens":3,"total_tokens":10}}\n\n',
    b"data: [DONE]\n\n",
]


class Upstream:
    """The primary: streams ``SSE_CHUNKS`` when asked to stream, else one JSON completion; keeps
    the headers it received."""

    def __init__(self) -> None:
        self.headers: list[dict[bytes, bytes]] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            return await lifespan(receive, send)
        body = json.loads(await read_body(receive) or b"{}")
        self.headers.append(dict(scope["headers"]))
        if not body.get("stream"):
            answer = {
                "id": "c2",
                "object": "chat.completion",
                "model": "up",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": "plain answer"},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},
            }
            return await send_json(send, 200, answer, [(b"x-upstream", b"yes")])
        headers = [(b"content-type", b"text/event-stream"), (b"x-upstream", b"yes")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        for chunk in SSE_CHUNKS:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})


class RaisingTarget:
    name = "raiser"

    async def ask(self, path: str, request: dict[str, Any]) -> PairSide:
        raise RuntimeError("the candidate blew up")

    async def aclose(self) -> None:
        return None


class BlockedTarget:
    """A candidate that does not answer until the test says so (slower than any primary)."""

    name = "blocked"

    def __init__(self) -> None:
        self.release = threading.Event()
        self.asked = 0

    async def ask(self, path: str, request: dict[str, Any]) -> PairSide:
        self.asked += 1
        await asyncio.to_thread(self.release.wait, 30)
        return PairSide(system=self.name, content="late answer", status=200)

    async def aclose(self) -> None:
        self.release.set()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(f"sqlite:///{tmp_path / 'store.db'}", tmp_path / "blobs")
    yield s
    s.close()


@contextmanager
def proxied(
    store: Store,
    primary: str,
    candidate: Any,
    *,
    token: str | None = TOKEN,
    **config: Any,
) -> Iterator[tuple[str, Any]]:
    """The proxy on a free port (uvicorn's own Server/Date headers off, as ``serve_mirror`` runs
    it); leaving the block shuts it down, which drains the background work into the store."""
    settings = {"sample": 1.0, "drain_s": 30.0, **config}
    proxy = shadow_proxy(
        ShadowConfig(primary=primary, **settings),
        candidate,
        store,
        GuardConfig(token=token, max_in_flight=64, max_queued=64),
    )
    with ServerThread(proxy, path="", server_header=False, date_header=False) as url:
        yield url, proxy


def post(url: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> tuple:
    """A raw HTTP POST: (status, headers, body bytes exactly as received after de-chunking)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    sent = {"Content-Type": "application/json", **(headers or {})}
    connection.request("POST", parts.path + "/v1/chat/completions", json.dumps(body), sent)
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, dict(response.getheaders()), data


def auth() -> dict[str, str]:
    return {"X-Evalwheel-Token": TOKEN, "Authorization": f"Bearer {CLIENT_KEY}"}


def chat(text: str = "Tag orders over $100 as VIP.", **extra: Any) -> dict[str, Any]:
    return {"model": "up", "messages": [{"role": "user", "content": text}], **extra}


def stored(store: Store, mirror: str = "live") -> list[MirrorPair]:
    return MirrorPairRepository(store).pairs(mirror)


def settled(proxy: Any, sampled: int) -> ShadowStats:
    """The stats once ``sampled`` samples are counted (a sample is counted just after its last
    byte is sent, so the client can be a moment ahead)."""
    deadline = time.monotonic() + 10
    while proxy.stats().sampled < sampled and time.monotonic() < deadline:
        time.sleep(0.01)
    return proxy.stats()


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"  # nothing listens there once the probe is closed


def test_a_streamed_answer_arrives_byte_identical_through_the_openai_sdk(store: Store) -> None:
    from openai import OpenAI

    upstream = Upstream()
    with ServerThread(upstream, path="") as primary, StubServer() as candidate_url:
        candidate = EndpointTarget(candidate_url.removesuffix("/v1"))
        with proxied(store, primary, candidate) as (url, _proxy):
            direct = OpenAI(base_url=primary + "/v1", api_key=CLIENT_KEY, max_retries=0)
            through = OpenAI(
                base_url=url + "/v1",
                api_key=CLIENT_KEY,
                max_retries=0,
                default_headers={"X-Evalwheel-Token": TOKEN},
            )
            raw = []
            for client in (direct, through):
                with client.chat.completions.with_streaming_response.create(
                    model="up", messages=chat()["messages"], stream=True
                ) as response:
                    raw.append(b"".join(response.iter_bytes()))
            parsed = list(
                through.chat.completions.create(
                    model="up", messages=chat()["messages"], stream=True
                )
            )
            direct_raw = post(primary, chat(stream=True), auth())
            proxied_raw = post(url, chat(stream=True), auth())
    assert raw[0] == raw[1] == b"".join(SSE_CHUNKS)
    assert "".join(c.choices[0].delta.content or "" for c in parsed if c.choices) == "Hello"
    assert proxied_raw[2] == direct_raw[2] == b"".join(SSE_CHUNKS)
    assert proxied_raw[1]["content-type"] == "text/event-stream"
    assert proxied_raw[1]["x-upstream"] == "yes"
    # The client's key reached the primary; the proxy's token did not.
    proxied_headers = upstream.headers[-1]
    assert proxied_headers[b"authorization"] == f"Bearer {CLIENT_KEY}".encode()
    assert b"x-evalwheel-token" not in proxied_headers
    # The recorded primary answer is the stream merged back together.
    pairs = stored(store)
    assert len(pairs) == 3
    current = pairs[0].current
    assert current.content == "Hello"
    assert current.tool_calls == [
        {
            "id": "call_1",
            "type": "function",
            "function": {"name": "tag", "arguments": '{"tag": "vip"}'},
        }
    ]
    assert (current.input_tokens, current.output_tokens) == (7, 3)
    assert pairs[0].candidate is not None and pairs[0].candidate.content.startswith("echo: ")


def test_a_json_answer_arrives_byte_identical_and_unsampled_requests_are_not_recorded(
    store: Store,
) -> None:
    from openai import OpenAI

    with (
        ServerThread(Upstream(), path="") as primary,
        proxied(store, primary, RaisingTarget(), sample=0.0) as (url, proxy),
    ):
        results = [post(url, chat(f"item {i}"), auth()) for i in range(5)]
        direct = [post(primary, chat(f"item {i}")) for i in range(5)]
        client = OpenAI(
            base_url=url + "/v1",
            api_key=CLIENT_KEY,
            max_retries=0,
            default_headers={"X-Evalwheel-Token": TOKEN},
        )
        answer = client.chat.completions.create(model="up", messages=chat()["messages"])
        stats = proxy.stats()
    for (status, headers, body), (d_status, d_headers, d_body) in zip(results, direct, strict=True):
        assert status == d_status == 200
        assert body == d_body
        assert headers["content-length"] == d_headers["content-length"] == str(len(body))
        assert headers["x-upstream"] == "yes"
    assert answer.choices[0].message.content == "plain answer"
    assert stats.requests == 6 and stats.sampled == 0 and stats.sent == 0
    assert stored(store) == []


def test_the_proxy_token_is_required_and_the_stats_endpoint_counts(store: Store) -> None:
    with (
        ServerThread(Upstream(), path="") as primary,
        proxied(store, primary, RaisingTarget()) as (url, proxy),
    ):
        refused = post(url, chat(), {"Authorization": f"Bearer {CLIENT_KEY}"})
        assert refused[0] == 401
        ok = post(url, chat(), auth())
        assert ok[0] == 200
        settled(proxy, sampled=1)
        parts = urlsplit(url)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        connection.request("GET", "/mirror/stats", headers={"X-Evalwheel-Token": TOKEN})
        stats = ShadowStats.model_validate_json(connection.getresponse().read())
        connection.close()
    assert stats.requests == 1 and stats.sampled == 1


@pytest.mark.parametrize("kind", ["down", "raising"])
def test_a_dead_or_raising_candidate_never_fails_the_primary(store: Store, kind: str) -> None:
    candidate = RaisingTarget() if kind == "raising" else EndpointTarget(closed_port_url())
    with ServerThread(Upstream(), path="") as primary:
        with proxied(store, primary, candidate) as (url, proxy):
            results = [post(url, chat(f"item {i}", stream=i % 2 == 0), auth()) for i in range(6)]
        stats = proxy.stats()
    assert [status for status, _, _ in results] == [200] * 6
    assert all(body == b"".join(SSE_CHUNKS) for _, _, body in results[::2])
    assert stats.sent == 6 and stats.candidate_errors == 6 and stats.recorded == 6
    pairs = stored(store)
    assert all(p.candidate is not None and p.candidate.error for p in pairs)
    assert all(p.current.error is None and p.current.content for p in pairs)


def test_primary_answers_do_not_wait_for_a_candidate_that_has_not_answered(store: Store) -> None:
    candidate = BlockedTarget()
    with ServerThread(Upstream(), path="") as primary:
        with proxied(store, primary, candidate, workers=2) as (url, proxy):
            results = [post(url, chat(f"item {i}"), auth()) for i in range(6)]
            # Every primary answer is back while the candidate still holds its calls.
            assert [status for status, _, _ in results] == [200] * 6
            assert not candidate.release.is_set()
            candidate.release.set()
        stats = proxy.stats()
    assert stats.recorded == 6 and stats.candidate_errors == 0
    assert {p.candidate.content for p in stored(store) if p.candidate} == {"late answer"}


def test_a_full_queue_drops_samples_and_counts_them(store: Store) -> None:
    candidate = BlockedTarget()
    with ServerThread(Upstream(), path="") as primary:
        with proxied(store, primary, candidate, workers=1, queue_size=1) as (url, proxy):
            results = [post(url, chat(f"item {i}"), auth()) for i in range(6)]
            before_release = settled(proxy, sampled=6)
            candidate.release.set()
        stats = proxy.stats()
    assert [status for status, _, _ in results] == [200] * 6
    # One sample with the worker, one in the queue: the other four had nowhere to go.
    assert before_release.sampled == 6 and before_release.dropped >= 4
    assert stats.recorded == 6 - stats.dropped


def test_pairs_are_stored_redacted_and_without_credentials(store: Store) -> None:
    secret = "sk-proj-BODYSECRET1234567890abcdefXYZ"
    text = f"My key is {secret}, mail me at jane.doe@example.com"
    with StubServer() as stub_url:
        primary = stub_url.removesuffix("/v1")
        with proxied(store, primary, EndpointTarget(primary)) as (url, _proxy):
            assert post(url, chat(text, user="jane.doe@example.com"), auth())[0] == 200
    (pair,) = stored(store)
    dumped = json.dumps(pair.model_dump(mode="json"))
    for hidden in (secret, "jane.doe@example.com", CLIENT_KEY, TOKEN):
        assert hidden not in dumped
    assert "[EMAIL]" in pair.request["messages"][0]["content"]  # type: ignore[index]
    assert "[API_KEY]" in pair.current.content and "[EMAIL]" in pair.candidate.content  # type: ignore[union-attr,operator]
    # The user id was an e-mail: the conversation keeps a stable hash of it instead.
    assert pair.conversation_id and pair.conversation_id.startswith("conv-")


def test_a_redaction_hook_given_to_the_proxy_is_applied(store: Store) -> None:
    def redact(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace("Acme", "<brand>")
        if isinstance(value, dict):
            return {k: redact(v) for k, v in value.items()}
        if isinstance(value, list):
            return [redact(v) for v in value]
        return value

    with StubServer() as stub_url:
        primary = stub_url.removesuffix("/v1")
        proxy = shadow_proxy(
            ShadowConfig(primary=primary, sample=1.0),
            EndpointTarget(primary),
            store,
            GuardConfig(token=TOKEN),
            redact=redact,
        )
        with ServerThread(proxy, path="") as url:
            assert post(url, chat("Acme orders over $5"), auth())[0] == 200
    dumped = json.dumps(stored(store)[0].model_dump(mode="json"))
    assert "Acme" not in dumped and "<brand>" in dumped


def test_the_spend_cap_stops_candidate_calls(store: Store) -> None:
    with StubServer() as stub_url:
        primary = stub_url.removesuffix("/v1")
        expensive = EndpointTarget(
            primary, prices={"up": Price(input_usd_per_mtok=1e6, output_usd_per_mtok=1e6)}
        )
        with proxied(store, primary, expensive, workers=1, max_spend_usd=0.5) as (url, proxy):
            for i in range(5):
                assert post(url, chat(f"item {i}"), auth())[0] == 200
        stats = proxy.stats()
    assert stats.sent == 1 and stats.capped == 4 and stats.spend_usd > 0.5
    assert len(stored(store)) == 1


def test_a_configured_model_is_the_candidate_through_model_client(store: Store) -> None:
    with StubServer() as stub_url:
        primary = stub_url.removesuffix("/v1")
        spec = ModelSpec(name="cand", base_url=stub_url, model="stub", max_retries=0)
        with proxied(store, primary, ModelTarget(spec)) as (url, _proxy):
            assert post(url, chat("[[reply:from the model]] hi", stream=False), auth())[0] == 200
    (pair,) = stored(store)
    assert pair.candidate is not None and pair.candidate.system == "cand"
    assert pair.candidate.content == "from the model"


def test_a_non_loopback_bind_without_a_token_is_refused(store: Store) -> None:
    config = ShadowConfig(primary="http://127.0.0.1:9")
    with pytest.raises(InputError, match="not a loopback"):
        serve_mirror(
            config,
            RaisingTarget(),
            store,
            GuardConfig(token=None),
            ListenOptions(host="0.0.0.0", port=0),
        )


def test_bad_options_are_input_errors() -> None:
    with pytest.raises(InputError, match="sample"):
        shadow_config(primary="http://127.0.0.1:9", sample=2)
    with pytest.raises(InputError, match="candidate"):
        shadow_target("no-such-model", None)


def test_conversation_and_turn_follow_a_multi_turn_request() -> None:
    first = {"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "a"}]}
    later = {
        "messages": [
            *first["messages"],
            {"role": "assistant", "content": "b"},
            {"role": "user", "content": "c"},
        ]
    }
    assert live_keys.conversation_id(first) == live_keys.conversation_id(later)
    assert (live_keys.turn(first), live_keys.turn(later)) == (0, 1)
    assert live_keys.conversation_id(first, "abc") == "abc"
    assert live_keys.conversation_id({**first, "metadata": {"conversation_id": "m"}}) == "m"
    assert live_keys.example_id(first) == live_keys.example_id({**first, "stream": True})
    assert live_keys.example_id(first) != live_keys.example_id(later)


def test_an_unreadable_primary_answer_is_recorded_as_an_error() -> None:
    assert captured_answer(b"oops", "application/json").error is not None
    assert captured_answer(b'{"error": "x"}', "application/json", status=500).error.startswith(
        "HTTP 500"
    )
