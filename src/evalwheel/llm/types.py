"""Requests, responses and errors of a chat call, in the OpenAI protocol's vocabulary."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

Message = dict[str, Any]


class ChatRequest(BaseModel):
    """One chat completion request; fields beyond these pass through to the endpoint."""

    model_config = ConfigDict(extra="allow")

    messages: list[Message] = Field(min_length=1)
    response_format: dict[str, Any] | None = None
    tools: list[dict[str, Any]] | None = None
    tool_choice: Any = None
    temperature: float | None = None
    max_tokens: int | None = Field(default=None, ge=1)
    seed: int | None = None

    def payload(self) -> dict[str, Any]:
        """The request body without unset fields (so a default and an omission hash the same)."""
        return self.model_dump(mode="json", exclude_none=True)


class ToolCall(BaseModel):
    id: str
    name: str
    arguments: str = Field(description="JSON text, exactly as the model produced it")


class Usage(BaseModel):
    input_tokens: int = 0
    output_tokens: int = 0

    @property
    def total(self) -> int:
        return self.input_tokens + self.output_tokens


class ChatResponse(BaseModel):
    content: str | None = None
    tool_calls: list[ToolCall] = Field(default_factory=list)
    finish_reason: str | None = None
    usage: Usage = Field(default_factory=Usage)
    model: str | None = None
    cost_usd: float = 0.0
    latency_s: float = 0.0
    cached: bool = False
    attempts: int = 1


class CallError(BaseModel):
    """A call that ended without a usable response, kept as a record (never a default value)."""

    type: str = Field(
        description="timeout, connection, rate_limited, server_error, client_error, "
        "malformed_response, budget_exceeded, deadline_exceeded, cache_miss, invalid_output"
    )
    message: str
    status: int | None = None
    attempts: int = 0
    raw: str | None = Field(default=None, description="the response text, when there was one")
