"""Every source's messages in one shape: OpenAI chat messages.

Stored traffic is replayed through systems that speak the OpenAI chat format (``input`` is
``{"messages": [...]}``), and outputs are compared call by call, so every source (chat logs,
GenAI ``parts``, OpenInference's flattened attributes) is turned into ``{"role", "content",
"tool_calls": [{"id", "type": "function", "function": {"name", "arguments"}}], "tool_call_id"}``.
Tool-call arguments are JSON text, as OpenAI writes them.
"""

from __future__ import annotations

import json
from typing import Any

Message = dict[str, Any]


class MessageProblem(ValueError):
    """A message that cannot be read; ``where`` is its path inside the attribute."""

    def __init__(self, where: str, message: str) -> None:
        self.where = where
        super().__init__(message)


def arguments_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps({} if value is None else value, ensure_ascii=False)


def tool_call(call_id: Any, name: Any, arguments: Any) -> dict[str, Any]:
    call: dict[str, Any] = {
        "type": "function",
        "function": {"name": name, "arguments": arguments_text(arguments)},
    }
    if call_id is not None:
        call = {"id": str(call_id), **call}
    return call


def chat_message(value: Any, where: str) -> Message:
    """An OpenAI chat message as logged, checked for a role; unknown keys are kept."""
    if not isinstance(value, dict):
        raise MessageProblem(where, f"expected a message object, got {type(value).__name__}")
    if not isinstance(value.get("role"), str) or not value["role"]:
        raise MessageProblem(f"{where}.role", "required (a message needs a role)")
    return dict(value)


def chat_messages(value: Any, where: str) -> list[Message]:
    if not isinstance(value, list):
        raise MessageProblem(where, f"expected a list of messages, got {type(value).__name__}")
    return [chat_message(m, f"{where}[{i}]") for i, m in enumerate(value)]


def _part_text(part: dict[str, Any]) -> str | None:
    if part.get("type") == "text" and isinstance(part.get("content"), str):
        return part["content"]
    return None


def genai_message(value: Any, where: str) -> list[Message]:
    """One GenAI semantic-conventions message (``{"role", "parts": [...]}``) as OpenAI messages:
    text parts become the content, ``tool_call`` parts tool calls, and each
    ``tool_call_response`` part a ``tool`` message of its own."""
    if not isinstance(value, dict):
        raise MessageProblem(where, f"expected a message object, got {type(value).__name__}")
    role = value.get("role")
    if not isinstance(role, str) or not role:
        raise MessageProblem(f"{where}.role", "required (a message needs a role)")
    parts = value.get("parts", [])
    if "parts" not in value and "content" in value:  # some SDKs log plain OpenAI messages here
        return [dict(value)]
    if not isinstance(parts, list) or not all(isinstance(p, dict) for p in parts):
        raise MessageProblem(f"{where}.parts", "expected a list of part objects")
    texts = [t for p in parts if (t := _part_text(p)) is not None]
    calls = [
        tool_call(p.get("id"), p.get("name"), p.get("arguments"))
        for p in parts
        if p.get("type") == "tool_call"
    ]
    responses = [p for p in parts if p.get("type") == "tool_call_response"]
    others = [p for p in parts if p.get("type") not in ("text", "tool_call", "tool_call_response")]
    out: list[Message] = [
        {
            "role": "tool",
            "tool_call_id": None if p.get("id") is None else str(p["id"]),
            "content": p.get("response")
            if isinstance(p.get("response"), str)
            else json.dumps(p.get("response"), ensure_ascii=False),
        }
        for p in responses
    ]
    if texts or calls or others or not responses:
        message: Message = {"role": role}
        if others:
            message["content"] = [{"type": "text", "text": t} for t in texts] + others
        else:
            message["content"] = "\n".join(texts) if texts else None
        if calls:
            message["tool_calls"] = calls
        if isinstance(value.get("name"), str):
            message["name"] = value["name"]
        out.insert(0, message)
    return out


def genai_messages(value: Any, where: str) -> list[Message]:
    if not isinstance(value, list):
        raise MessageProblem(
            where, f"expected a JSON array of messages, got {type(value).__name__}"
        )
    return [m for i, item in enumerate(value) for m in genai_message(item, f"{where}[{i}]")]


def system_instructions(value: Any, where: str) -> Message:
    """``gen_ai.system_instructions`` (a list of parts, or text) as one system message."""
    if isinstance(value, str):
        return {"role": "system", "content": value}
    if not isinstance(value, list) or not all(isinstance(p, dict) for p in value):
        raise MessageProblem(where, "expected a list of parts or text")
    return {"role": "system", "content": "\n".join(t for p in value if (t := _part_text(p)))}


def assistant_answer(messages: list[Message]) -> Message | None:
    """The answer a call gave: its first output message (the first choice)."""
    return messages[0] if messages else None
