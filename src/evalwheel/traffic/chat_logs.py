"""OpenAI-style chat logs, one JSON object per line, in either of the two shapes people log:

- ``{"messages": [...]}`` (the fine-tuning shape): a final assistant message is the answer, the
  messages before it the request;
- ``{"request": {chat.completions body}, "response": {chat.completion object}}``: the request's
  messages (and tools), and the first choice's message as the answer, tool calls kept.

The conversation id is read from ``conversation_id`` / ``session_id`` at the top level or under a
``metadata`` object (the line's or the request's); the time from ``timestamp``, ``time``,
``created_at`` or the response's ``created``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evalwheel.datasets.readers import ByteCounter, RowError, read_jsonl
from evalwheel.traffic.messages import MessageProblem, chat_message, chat_messages
from evalwheel.traffic.records import ReadResult, TrafficRecord, parse_time

CONVERSATION_FIELDS = ("conversation_id", "session_id")
TIME_FIELDS = ("timestamp", "time", "created_at")


def _conversation(*sources: Any) -> str | None:
    for source in sources:
        if not isinstance(source, dict):
            continue
        for scope in (source, source.get("metadata")):
            if not isinstance(scope, dict):
                continue
            for name in CONVERSATION_FIELDS:
                if scope.get(name) not in (None, ""):
                    return str(scope[name])
    return None


def _time(line: int, data: dict[str, Any], response: Any) -> tuple[Any, RowError | None]:
    for name in TIME_FIELDS:
        if data.get(name) is not None:
            try:
                return parse_time(data[name]), None
            except ValueError as exc:
                return None, RowError(line, name, str(exc))
    if isinstance(response, dict) and response.get("created") is not None:
        try:
            return parse_time(response["created"]), None
        except ValueError as exc:
            return None, RowError(line, "response.created", str(exc))
    return None, None


def _answer(response: Any) -> dict[str, Any] | None:
    if not isinstance(response, dict):
        return None
    choices = response.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise MessageProblem("response.choices", "expected a list of choices with a message")
    return chat_message(choices[0].get("message"), "response.choices[0].message")


def chat_record(line: int, data: dict[str, Any]) -> TrafficRecord:
    """One log line as a record; ``MessageProblem`` names the field that is wrong."""
    request = data.get("request")
    response = data.get("response")
    request_input: dict[str, Any]
    if request is not None:
        if not isinstance(request, dict):
            raise MessageProblem("request", "expected a chat.completions request object")
        if "messages" not in request:
            raise MessageProblem("request.messages", "required")
        request_input = {"messages": chat_messages(request["messages"], "request.messages")}
        if request.get("tools"):
            request_input["tools"] = request["tools"]
        answer = _answer(response)
        details = {"model": request["model"]} if isinstance(request.get("model"), str) else {}
        key = str(response["id"]) if isinstance(response, dict) and response.get("id") else None
    elif "messages" in data:
        messages = chat_messages(data["messages"], "messages")
        answer = messages.pop() if messages and messages[-1]["role"] == "assistant" else None
        if not messages:
            raise MessageProblem("messages", "no request before the assistant's answer")
        request_input = {"messages": messages}
        if data.get("tools"):
            request_input["tools"] = data["tools"]
        details = {"model": data["model"]} if isinstance(data.get("model"), str) else {}
        key = str(data["id"]) if data.get("id") not in (None, "") else None
    else:
        raise MessageProblem(
            "messages", 'required ({"messages": [...]} or {"request", "response"})'
        )
    return TrafficRecord(
        line=line,
        key=key or f"line-{line}",
        input=request_input,
        output=answer,
        conversation_id=_conversation(data, request),
        details=details,
    )


def read_chat(path: Path) -> ReadResult:
    result = ReadResult()
    for row in read_jsonl(path, ByteCounter()):
        if row.errors:
            result.errors.extend(row.errors)
            continue
        line = row.line or 0
        try:
            record = chat_record(line, row.data)
        except MessageProblem as exc:
            result.errors.append(RowError(line, exc.where, str(exc)))
            continue
        record.seen_at, problem = _time(line, row.data, row.data.get("response"))
        if problem is not None:
            result.errors.append(problem)
            continue
        result.records.append(record)
    return result
