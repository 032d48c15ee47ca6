"""Which spans are model calls, and what each one was sent and answered.

Two conventions are read. OpenTelemetry GenAI: ``gen_ai.operation.name`` (``chat``,
``text_completion``, ``generate_content`` are model calls), messages in ``gen_ai.input.messages`` /
``gen_ai.output.messages`` (JSON, on the span or on a ``gen_ai.client.inference.operation.details``
event), the older indexed ``gen_ai.prompt.N.*`` / ``gen_ai.completion.N.*``, and the older
per-message events. OpenInference: ``openinference.span.kind = LLM``, messages flattened as
``llm.input_messages.N.message.*`` (tool calls included), ``input.value``/``output.value`` when
there are none. Tool, agent, chain and retrieval spans are not calls; the results of their tools
reach the next call as ``tool`` messages anyway.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from evalwheel.traffic import messages as msg
from evalwheel.traffic.messages import Message, MessageProblem
from evalwheel.traffic.otlp import Span, SpanProblem

MODEL_OPERATIONS = frozenset({"chat", "text_completion", "generate_content"})
DETAILS_EVENT = "gen_ai.client.inference.operation.details"
_ROLE_EVENTS = {
    "gen_ai.system.message": "system",
    "gen_ai.user.message": "user",
    "gen_ai.assistant.message": "assistant",
    "gen_ai.tool.message": "tool",
}
CONVERSATION_KEYS = ("gen_ai.conversation.id", "session.id")
_MESSAGE_EVENTS = frozenset({*_ROLE_EVENTS, "gen_ai.content.prompt", DETAILS_EVENT})


@dataclass
class ModelCall:
    messages: list[Message]
    answer: Message | None
    details: dict[str, Any] = field(default_factory=dict)


def conversation_of(span: Span) -> str | None:
    for key in CONVERSATION_KEYS:
        value = span.attributes.get(key)
        if value not in (None, ""):
            return str(value)
    return None


def _json(value: Any, where: str) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError as exc:
        raise SpanProblem(where, f"invalid JSON: {exc.msg} (column {exc.colno})") from None


def indexed(attrs: dict[str, Any], prefix: str) -> list[dict[str, Any]]:
    """``prefix.0.role``, ``prefix.0.content``, ``prefix.1.role`` … as ``[{role, content}, …]``
    in index order (the rest of each key kept whole, e.g. ``tool_calls.0.name``)."""
    found: dict[int, dict[str, Any]] = defaultdict(dict)
    for key, value in attrs.items():
        if not key.startswith(prefix + "."):
            continue
        index, _, rest = key[len(prefix) + 1 :].partition(".")
        if index.isdigit() and rest:
            found[int(index)][rest] = value
    return [found[i] for i in sorted(found)]


def _problem(where: str, exc: MessageProblem) -> SpanProblem:
    return SpanProblem(f"{where}{exc.where}", str(exc))


# GenAI ---------------------------------------------------------------------------------------


def _indexed_message(entry: dict[str, Any], tool_key: str) -> Message:
    message: Message = {"role": str(entry.get("role") or "user"), "content": entry.get("content")}
    calls = indexed(entry, tool_key)
    if calls:
        message["tool_calls"] = [
            msg.tool_call(c.get("id"), c.get("name"), c.get("arguments")) for c in calls
        ]
    if entry.get("tool_call_id") is not None:
        message["tool_call_id"] = str(entry["tool_call_id"])
    return message


def _event_message(name: str, attrs: dict[str, Any], where: str) -> Message:
    message: Message = {"role": _ROLE_EVENTS[name], "content": attrs.get("content")}
    calls = _json(attrs.get("tool_calls"), f"{where}[tool_calls]")
    if isinstance(calls, list) and calls:
        message["tool_calls"] = [
            msg.tool_call(
                c.get("id"),
                (c.get("function") or {}).get("name"),
                (c.get("function") or {}).get("arguments"),
            )
            for c in calls
            if isinstance(c, dict)
        ]
    if attrs.get("id") is not None and message["role"] == "tool":
        message["tool_call_id"] = str(attrs["id"])
    return message


def _genai_list(attrs: dict[str, Any], key: str, where: str) -> list[Message] | None:
    if key not in attrs:
        return None
    at = f"{where}[{key}]"
    value = _json(attrs[key], at)
    if isinstance(value, list):  # an arrayValue may hold each message as JSON text
        value = [_json(v, f"{at}[{i}]") for i, v in enumerate(value)]
    try:
        return msg.genai_messages(value, "")
    except MessageProblem as exc:
        raise _problem(at, exc) from None


def _genai_input(span: Span) -> list[Message]:
    attrs = span.attributes
    details = _details_event(span)
    messages = _genai_list(attrs, "gen_ai.input.messages", "attributes")
    if messages is None and details is not None:
        messages = _genai_list(details[1], "gen_ai.input.messages", details[0])
    if messages is None and indexed(attrs, "gen_ai.prompt"):
        messages = [_indexed_message(e, "tool_calls") for e in indexed(attrs, "gen_ai.prompt")]
    if messages is None:
        messages = _event_messages(span)
    system = attrs.get("gen_ai.system_instructions")
    if system is not None and not any(m.get("role") == "system" for m in messages):
        where = "attributes[gen_ai.system_instructions]"
        try:
            messages.insert(0, msg.system_instructions(_json(system, where), ""))
        except MessageProblem as exc:
            raise _problem(where, exc) from None
    return messages


def _details_event(span: Span) -> tuple[str, dict[str, Any]] | None:
    for i, (name, attrs) in enumerate(span.events):
        if name == DETAILS_EVENT:
            return f"events[{i}]", attrs
    return None


def _event_messages(span: Span) -> list[Message]:
    messages: list[Message] = []
    for i, (name, attrs) in enumerate(span.events):
        where = f"events[{i}]"
        if name == "gen_ai.content.prompt" and "gen_ai.prompt" in attrs:
            at = f"{where}[gen_ai.prompt]"
            try:
                messages.extend(msg.chat_messages(_json(attrs["gen_ai.prompt"], at), ""))
            except MessageProblem as exc:
                raise _problem(at, exc) from None
        elif name in _ROLE_EVENTS:
            messages.append(_event_message(name, attrs, where))
    return messages


def _genai_answer(span: Span) -> Message | None:
    attrs = span.attributes
    details = _details_event(span)
    outputs = _genai_list(attrs, "gen_ai.output.messages", "attributes")
    if outputs is None and details is not None:
        outputs = _genai_list(details[1], "gen_ai.output.messages", details[0])
    if outputs is None and indexed(attrs, "gen_ai.completion"):
        outputs = [_indexed_message(e, "tool_calls") for e in indexed(attrs, "gen_ai.completion")]
    if outputs is None:
        outputs = _event_answers(span)
    return msg.assistant_answer(outputs)


def _event_answers(span: Span) -> list[Message]:
    for i, (name, attrs) in enumerate(span.events):
        where = f"events[{i}]"
        if name == "gen_ai.content.completion" and "gen_ai.completion" in attrs:
            at = f"{where}[gen_ai.completion]"
            value = _json(attrs["gen_ai.completion"], at)
            try:
                return msg.chat_messages(value if isinstance(value, list) else [value], "")
            except MessageProblem as exc:
                raise _problem(at, exc) from None
        if name == "gen_ai.choice":
            at = f"{where}[message]"
            message = _json(attrs.get("message"), at)
            if isinstance(message, dict):
                return [{"role": "assistant", **message}]
            return [{"role": "assistant", "content": attrs.get("content")}]
    return []


def _genai_call(span: Span) -> ModelCall:
    attrs = span.attributes
    model = attrs.get("gen_ai.response.model") or attrs.get("gen_ai.request.model")
    details = {"model": model} if model is not None else {}
    return ModelCall(_genai_input(span), _genai_answer(span), details)


# OpenInference -------------------------------------------------------------------------------


def _oi_message(entry: dict[str, Any]) -> Message:
    message: Message = {"role": str(entry.get("message.role") or "user")}
    if "message.content" in entry:
        message["content"] = entry["message.content"]
    else:
        parts = indexed(entry, "message.contents")
        texts = [p.get("message_content.text") for p in parts]
        message["content"] = "\n".join(t for t in texts if isinstance(t, str)) or None
    calls = indexed(entry, "message.tool_calls")
    if calls:
        message["tool_calls"] = [
            msg.tool_call(
                c.get("tool_call.id"),
                c.get("tool_call.function.name"),
                c.get("tool_call.function.arguments"),
            )
            for c in calls
        ]
    for source, target in (("message.tool_call_id", "tool_call_id"), ("message.name", "name")):
        if entry.get(source) is not None:
            message[target] = str(entry[source])
    return message


def _oi_value(attrs: dict[str, Any], key: str) -> Any:
    value = attrs.get(key)
    if isinstance(value, str) and attrs.get(key.replace(".value", ".mime_type")) == (
        "application/json"
    ):
        return _json(value, f"attributes[{key}]")
    return value


def _openinference_call(span: Span) -> ModelCall:
    attrs = span.attributes
    messages = [_oi_message(e) for e in indexed(attrs, "llm.input_messages")]
    if not messages:
        value = _oi_value(attrs, "input.value")
        if isinstance(value, dict) and isinstance(value.get("messages"), list):
            try:
                messages = msg.chat_messages(value["messages"], "")
            except MessageProblem as exc:
                raise _problem("attributes[input.value].messages", exc) from None
        elif value is not None:
            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            messages = [{"role": "user", "content": text}]
    outputs = [_oi_message(e) for e in indexed(attrs, "llm.output_messages")]
    if not outputs and attrs.get("output.value") is not None:
        value = _oi_value(attrs, "output.value")
        choices = value.get("choices") if isinstance(value, dict) else None
        if isinstance(choices, list) and choices and isinstance(choices[0], dict):
            outputs = [{"role": "assistant", **(choices[0].get("message") or {})}]
        else:
            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            outputs = [{"role": "assistant", "content": text}]
    model = attrs.get("llm.model_name")
    details = {"model": model} if model is not None else {}
    return ModelCall(messages, msg.assistant_answer(outputs), details)


def model_call(span: Span) -> ModelCall | None:
    """The call a span records, or None when it is not a model call."""
    attrs = span.attributes
    kind = attrs.get("openinference.span.kind")
    if kind is not None:
        return _openinference_call(span) if str(kind).upper() == "LLM" else None
    operation = attrs.get("gen_ai.operation.name")
    if operation is not None:
        return _genai_call(span) if operation in MODEL_OPERATIONS else None
    if "gen_ai.input.messages" in attrs or indexed(attrs, "gen_ai.prompt"):
        return _genai_call(span)
    if any(name in _MESSAGE_EVENTS for name, _ in span.events):  # before operation.name existed
        return _genai_call(span)
    return None
