"""The answer inside a captured chat-completions response, whether it came back as one JSON object
or as a ``text/event-stream`` of deltas.

The live proxy passes the primary's bytes through untouched and only reads them afterwards, in the
background, to record what the primary said: content and tool calls (merged from the stream's
deltas by index, the way OpenAI clients assemble them) and token usage when the endpoint sent it.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

from pydantic import BaseModel, Field, JsonValue

_ERROR_EXCERPT = 500


class CapturedAnswer(BaseModel):
    """What one response said, or why it could not be read (``error``)."""

    content: str | None = None
    tool_calls: list[dict[str, JsonValue]] = Field(default_factory=list)
    finish_reason: str | None = None
    model: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    error: str | None = None


def decoded_body(body: bytes, content_encoding: str | None) -> bytes:
    """The body without its transfer compression (gzip/deflate); raises ValueError for others.

    The proxy forwards compressed bytes as they are; only the recorded copy is decompressed."""
    encoding = (content_encoding or "identity").strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompress(body, 16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        try:
            return zlib.decompress(body)
        except zlib.error:
            return zlib.decompress(body, -zlib.MAX_WBITS)
    raise ValueError(f"cannot read a {encoding!r}-encoded response")


def captured_answer(
    body: bytes, content_type: str | None, status: int = 200, content_encoding: str | None = None
) -> CapturedAnswer:
    """Read a chat-completions response (JSON or SSE). Never raises: a body that is not a
    completion becomes ``error`` with an excerpt, so the pair still records what happened."""
    try:
        text = decoded_body(body, content_encoding).decode("utf-8", errors="replace")
    except (ValueError, zlib.error) as exc:
        return CapturedAnswer(error=str(exc))
    if status >= 400:
        return CapturedAnswer(error=f"HTTP {status}: {text[:_ERROR_EXCERPT]}")
    media = (content_type or "").partition(";")[0].strip().lower()
    try:
        if media == "text/event-stream":
            return _from_events(text)
        return _from_completion(json.loads(text))
    except (ValueError, TypeError, AttributeError) as exc:
        return CapturedAnswer(error=f"not a chat completion ({exc}): {text[:_ERROR_EXCERPT]}")


def _from_completion(data: Any) -> CapturedAnswer:
    if not isinstance(data, dict) or not data.get("choices"):
        raise ValueError("no choices")
    choice = data["choices"][0]
    message = choice.get("message") or {}
    calls = [_tool_call(call) for call in message.get("tool_calls") or []]
    inputs, outputs = _usage(data)
    return CapturedAnswer(
        content=message.get("content"),
        tool_calls=calls,
        finish_reason=choice.get("finish_reason"),
        model=data.get("model"),
        input_tokens=inputs,
        output_tokens=outputs,
    )


def _tool_call(call: dict[str, Any]) -> dict[str, JsonValue]:
    function = call.get("function") or {}
    arguments = function.get("arguments")
    if not isinstance(arguments, str):
        arguments = json.dumps(arguments)
    return {
        "id": call.get("id") or "",
        "type": call.get("type") or "function",
        "function": {"name": function.get("name") or "", "arguments": arguments},
    }


def _usage(data: dict[str, Any]) -> tuple[int, int]:
    usage = data.get("usage") or {}
    return int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)


def sse_events(text: str) -> list[str]:
    """The ``data`` payloads of an event stream, one per event (multi-line data joined with
    newlines, comments and other fields ignored), as the SSE specification reads them."""
    events: list[str] = []
    data: list[str] = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not line:
            if data:
                events.append("\n".join(data))
                data = []
            continue
        field, _, value = line.partition(":")
        if field == "data":
            data.append(value[1:] if value.startswith(" ") else value)
    if data:
        events.append("\n".join(data))
    return events


def _from_events(text: str) -> CapturedAnswer:
    content: list[str] = []
    calls: dict[int, dict[str, Any]] = {}
    answer = CapturedAnswer()
    saw_choice = False
    for payload in sse_events(text):
        if payload.strip() == "[DONE]":
            break
        chunk = json.loads(payload)
        if not isinstance(chunk, dict):
            raise ValueError("an event is not a JSON object")
        if chunk.get("error"):
            raise ValueError(f"the stream reported an error: {chunk['error']}")
        answer.model = answer.model or chunk.get("model")
        if chunk.get("usage"):
            answer.input_tokens, answer.output_tokens = _usage(chunk)
        for choice in chunk.get("choices") or []:
            if choice.get("index", 0) != 0:
                continue
            saw_choice = True
            delta = choice.get("delta") or {}
            if delta.get("content"):
                content.append(delta["content"])
            for part in delta.get("tool_calls") or []:
                _merge_call(calls.setdefault(int(part.get("index", 0)), {}), part)
            answer.finish_reason = choice.get("finish_reason") or answer.finish_reason
    if not saw_choice:
        raise ValueError("no choices in the stream")
    answer.content = "".join(content) if content else None
    answer.tool_calls = [_tool_call(calls[i]) for i in sorted(calls)]
    return answer


def _merge_call(call: dict[str, Any], part: dict[str, Any]) -> None:
    """Add one streamed tool-call fragment: id, type and name arrive once, arguments in pieces."""
    for key in ("id", "type"):
        if part.get(key):
            call[key] = part[key]
    function = call.setdefault("function", {"name": "", "arguments": ""})
    fragment = part.get("function") or {}
    if fragment.get("name"):
        function["name"] = fragment["name"]
    if fragment.get("arguments"):
        function["arguments"] += fragment["arguments"]
