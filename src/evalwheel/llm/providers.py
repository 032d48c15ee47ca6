"""The provider interface: one attempt of one chat call, no retries, no cache.

Everything above (retries, limits, cache, budgets) lives in ``client.ModelClient`` and is shared by
every provider, the way Simon Willison's ``llm`` keeps plugins small.
"""

from __future__ import annotations

from typing import Any, Protocol

from evalwheel.llm.types import ChatRequest, ChatResponse


class Provider(Protocol):
    async def complete(self, request: ChatRequest, timeout_s: float) -> ChatResponse:
        """One attempt; raises ``errors.ModelCallError`` subclasses on failure."""
        ...

    async def aclose(self) -> None: ...


def parse_openai_completion(data: Any) -> ChatResponse:
    """Read an OpenAI chat.completion object; raises ValueError if it is not one."""
    from evalwheel.llm.types import ToolCall, Usage

    if not isinstance(data, dict) or not data.get("choices"):
        raise ValueError("no choices in the response")
    choice = data["choices"][0]
    message = choice.get("message") or {}
    calls = []
    for call in message.get("tool_calls") or []:
        function = call.get("function") or {}
        arguments = function.get("arguments")
        if not isinstance(arguments, str):
            import json

            arguments = json.dumps(arguments)
        calls.append(
            ToolCall(id=call.get("id") or "", name=function.get("name") or "", arguments=arguments)
        )
    usage = data.get("usage") or {}
    return ChatResponse(
        content=message.get("content"),
        tool_calls=calls,
        finish_reason=choice.get("finish_reason"),
        usage=Usage(
            input_tokens=int(usage.get("prompt_tokens") or 0),
            output_tokens=int(usage.get("completion_tokens") or 0),
        ),
        model=data.get("model"),
    )
