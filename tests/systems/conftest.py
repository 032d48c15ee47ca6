"""Real servers on 127.0.0.1 for configured systems: the OpenAI-compatible stub and a JSON service."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from evalwheel.llm.registry import ModelSpec
from evalwheel.testing.openai_stub import StubServer
from evalwheel.testing.server_thread import ServerThread
from tests.systems.helpers import JsonEndpoint


@pytest.fixture
def stub() -> Iterator[StubServer]:
    server = StubServer()
    server.__enter__()
    yield server
    server.__exit__(None, None, None)


@pytest.fixture
def stub_model(stub: StubServer) -> ModelSpec:
    """The stub as a priced model, so costs are recorded."""
    return ModelSpec(
        name="stub",
        base_url=stub.url,
        model="m",
        max_retries=0,
        input_usd_per_mtok=1.0,
        output_usd_per_mtok=2.0,
    )


@pytest.fixture
def endpoint() -> Iterator[tuple[JsonEndpoint, str]]:
    service = JsonEndpoint()
    server = ServerThread(service, path="")
    url = server.__enter__()
    yield service, url
    server.__exit__(None, None, None)
