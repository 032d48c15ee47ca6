"""What the chat kinds (``openai`` and ``prompt``) share: request parameters checked when the
system is configured, and one model reply turned into the ``AppOutput`` a run records.

The call itself always goes through the ``ModelClient`` the runner hands to ``run``, so the call
cache, the budget, retries, rate limits and prices apply to a user's agent exactly as to Flow.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from evalwheel.apps.interface import AppOutput
from evalwheel.llm.types import ChatRequest, ChatResponse, Message

#: Request fields a system's ``params`` may not set: the kind builds them itself.
RESERVED_PARAMS = ("messages", "tools", "model", "stream", "n")


def check_params(params: dict[str, Any]) -> tuple[str, str] | None:
    """(field under ``params``, problem) for request parameters that cannot be sent, or None."""
    for key in RESERVED_PARAMS:
        if key in params:
            return key, f"set by the system itself; {key!r} cannot be a parameter"
    try:
        ChatRequest(messages=[{"role": "user", "content": "x"}], **params)
    except ValidationError as exc:
        error = exc.errors()[0]
        return ".".join(str(p) for p in error["loc"]), error["msg"]
    return None


def request(
    messages: list[Message],
    params: dict[str, Any],
    tools: list[dict[str, Any]] | None = None,
    tool_choice: Any = None,
) -> ChatRequest:
    return ChatRequest(messages=messages, tools=tools or None, tool_choice=tool_choice, **params)


def parsed_arguments(text: str) -> Any:
    """A tool call's arguments as JSON when they parse (so ``json_match`` can compare them),
    else the text exactly as the model wrote it."""
    try:
        return json.loads(text)
    except (json.JSONDecodeError, TypeError):
        return text


def to_output(messages: list[Message], response: ChatResponse) -> AppOutput:
    """One assistant reply as a trace: the content is the artifact; a reply made only of tool
    calls has the calls (name and parsed arguments) as its artifact instead."""
    calls = [
        {"id": c.id, "name": c.name, "arguments": parsed_arguments(c.arguments)}
        for c in response.tool_calls
    ]
    assistant: Message = {"role": "assistant", "content": response.content}
    if response.tool_calls:
        assistant["tool_calls"] = [
            {
                "id": c.id,
                "type": "function",
                "function": {"name": c.name, "arguments": c.arguments},
            }
            for c in response.tool_calls
        ]
    has_content = response.content is not None and response.content != ""
    artifact: Any = (
        response.content
        if has_content or not calls
        else [{"name": c["name"], "arguments": c["arguments"]} for c in calls]
    )
    return AppOutput(
        outcome="tool_calls" if calls and not has_content else "answer",
        artifact=artifact,
        messages=[*messages, assistant],
        tool_calls=calls,
        input_tokens=response.usage.input_tokens,
        output_tokens=response.usage.output_tokens,
        cost_usd=response.cost_usd,
    )
