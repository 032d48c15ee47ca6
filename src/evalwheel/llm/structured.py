"""Structured output, validated into pydantic models, in three modes.

- ``json_schema``: the endpoint constrains the output to the schema (response_format json_schema;
  the embedded model does it with a grammar);
- ``tool``: the schema becomes the parameters of a tool the model is forced to call;
- ``prompted``: the schema is given in the prompt and the reply is parsed, with repair (code
  fences, trailing commas, unquoted keys… via ``json_repair``) for models that support neither.

Whatever the mode, a reply that does not validate raises ``InvalidOutput`` carrying the raw text:
the caller records an error, never a default value.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from evalwheel.llm.errors import InvalidOutput
from evalwheel.llm.types import ChatRequest, ChatResponse

T = TypeVar("T", bound=BaseModel)


class StructuredMode(StrEnum):
    JSON_SCHEMA = "json_schema"
    TOOL = "tool"
    PROMPTED = "prompted"


def schema_name(model: type[BaseModel]) -> str:
    return "".join(c if c.isalnum() or c in "_-" else "_" for c in model.__name__)[:64]


def structured_request(
    request: ChatRequest, output: type[BaseModel], mode: StructuredMode
) -> ChatRequest:
    """The request that asks for ``output`` in the given mode."""
    schema = output.model_json_schema()
    name = schema_name(output)
    if mode == StructuredMode.JSON_SCHEMA:
        return request.model_copy(
            update={
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {"name": name, "schema": schema, "strict": True},
                },
            }
        )
    if mode == StructuredMode.TOOL:
        tool = {
            "type": "function",
            "function": {
                "name": name,
                "description": schema.get("description", ""),
                "parameters": schema,
            },
        }
        return request.model_copy(
            update={
                "tools": [tool],
                "tool_choice": {"type": "function", "function": {"name": name}},
            }
        )
    instruction = (
        "Reply with one JSON object and nothing else. It must match this JSON Schema:\n"
        + json.dumps(schema)
    )
    return request.model_copy(
        update={"messages": [{"role": "system", "content": instruction}, *request.messages]}
    )


def raw_structured_text(response: ChatResponse, mode: StructuredMode) -> str:
    if mode == StructuredMode.TOOL:
        if not response.tool_calls:
            raise InvalidOutput("the model did not call the required tool", raw=response.content)
        return response.tool_calls[0].arguments
    if response.content is None:
        raise InvalidOutput("the model returned no content", raw=None)
    return response.content


def _loads(text: str, repair: bool) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        if not repair:
            raise
    from json_repair import repair_json

    stripped = text.strip()
    if stripped.startswith("```"):
        stripped = stripped.strip("`")
        stripped = stripped[stripped.find("\n") + 1 :] if "\n" in stripped else stripped
    value = repair_json(stripped, return_objects=True)
    if value in ("", None):
        raise json.JSONDecodeError("nothing recoverable", text, 0)
    return value


def parse_structured(response: ChatResponse, output: type[T], mode: StructuredMode) -> T:
    text = raw_structured_text(response, mode)
    try:
        value = _loads(text, repair=mode == StructuredMode.PROMPTED)
    except json.JSONDecodeError as exc:
        raise InvalidOutput(f"not JSON: {exc.msg}", raw=text) from None
    try:
        return output.model_validate(value)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or '(root)'}: {e['msg']}" for e in exc.errors()[:5]
        )
        raise InvalidOutput(f"does not match {output.__name__}: {problems}", raw=text) from None


async def generate(
    client: Any,
    request: ChatRequest,
    output: type[T],
    mode: StructuredMode = StructuredMode.JSON_SCHEMA,
) -> tuple[T, ChatResponse]:
    """Call ``client`` (a ModelClient) and return the validated value with the response."""
    response = await client.chat(structured_request(request, output, mode))
    return parse_structured(response, output, mode), response
