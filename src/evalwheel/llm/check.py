"""``check_model``: three real calls that tell whether a model answers, follows a JSON schema and
calls tools — what a person wants to know before pointing a run or a judge at it."""

from __future__ import annotations

import json
import time

from pydantic import BaseModel, Field

from evalwheel.llm.client import ModelClient
from evalwheel.llm.errors import ModelCallError
from evalwheel.llm.types import CallError, ChatRequest

CHECK_SCHEMA = {
    "type": "object",
    "properties": {"answer": {"type": "string"}, "confidence": {"type": "number"}},
    "required": ["answer", "confidence"],
}
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}


class ModelCheck(BaseModel):
    """What the three calls showed."""

    model: str
    ok: bool = Field(default=False, description="a plain request was answered")
    latency_s: float | None = None
    reply: str | None = None
    json_schema: bool = False
    tools: bool = False
    errors: dict[str, CallError | str] = Field(default_factory=dict)


async def check_model(client: ModelClient) -> ModelCheck:
    """A plain request, a JSON-schema request and a forced tool call, through ``client``."""
    result = ModelCheck(model=client.spec.name)
    plain = ChatRequest(
        messages=[{"role": "user", "content": "Reply with the single word OK."}],
        max_tokens=8,
        temperature=0,
    )
    try:
        started = time.perf_counter()
        response = await client.chat(plain)
        result.latency_s = round(time.perf_counter() - started, 3)
        result.ok, result.reply = True, response.content
    except ModelCallError as exc:
        result.errors["plain"] = exc.record()
        return result
    structured = plain.model_copy(
        update={
            "messages": [
                {"role": "user", "content": "What is the capital of France? Answer with JSON."}
            ],
            "max_tokens": 64,
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "check", "schema": CHECK_SCHEMA, "strict": True},
            },
        }
    )
    try:
        response = await client.chat(structured)
        value = json.loads(response.content or "")
        result.json_schema = isinstance(value, dict) and {"answer", "confidence"} <= set(value)
    except (ModelCallError, ValueError) as exc:
        result.errors["json_schema"] = str(exc)
    tooled = plain.model_copy(
        update={
            "messages": [{"role": "user", "content": "What is the weather in Paris?"}],
            "max_tokens": 64,
            "tools": [WEATHER_TOOL],
            "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
        }
    )
    try:
        response = await client.chat(tooled)
        call = response.tool_calls[0] if response.tool_calls else None
        result.tools = bool(
            call and call.name == "get_weather" and isinstance(json.loads(call.arguments), dict)
        )
    except (ModelCallError, ValueError) as exc:
        result.errors["tools"] = str(exc)
    return result
