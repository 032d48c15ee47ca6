"""OTLP JSON trace exports built in code, shaped like the collector's file exporter output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

T0 = 1_735_725_600_000_000_000  # 2025-01-01T10:00:00Z in nanoseconds
TRACE_A = "5b8efff798038103d269b633813fc60c"
TRACE_B = "0af7651916cd43dd8448eb211c80319c"


def value(v: Any) -> dict[str, Any]:
    if isinstance(v, bool):
        return {"boolValue": v}
    if isinstance(v, int):
        return {"intValue": str(v)}
    if isinstance(v, float):
        return {"doubleValue": v}
    if isinstance(v, list):
        return {"arrayValue": {"values": [value(x) for x in v]}}
    return {"stringValue": v}


def attrs(**kv: Any) -> list[dict[str, Any]]:
    return [{"key": k.replace("__", "."), "value": value(v)} for k, v in kv.items()]


def span(
    trace: str, span_id: str, name: str, start_s: float, attributes: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    return {
        "traceId": trace,
        "spanId": span_id,
        "name": name,
        "kind": 3,
        "startTimeUnixNano": str(T0 + int(start_s * 1e9)),
        "endTimeUnixNano": str(T0 + int((start_s + 1) * 1e9)),
        "attributes": [{"key": k, "value": value(v)} for k, v in attributes.items()],
        **extra,
    }


def export(spans: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "resourceSpans": [
            {
                "resource": {"attributes": attrs(service__name="shop-agent")},
                "scopeSpans": [{"scope": {"name": "genai-instrumentation"}, "spans": spans}],
            }
        ]
    }


def genai_conversation() -> list[dict[str, Any]]:
    """A two-turn agent conversation: the model asks for a tool, the tool runs, the model answers.
    The second call comes first in the file; start times order them."""
    first_input = [
        {
            "role": "user",
            "parts": [
                {
                    "type": "text",
                    "content": "Tag orders over 100 USD as VIP. Reach me at jo@example.com",
                }
            ],
        }
    ]
    call = {
        "type": "tool_call",
        "id": "call_1",
        "name": "lookup_currency",
        "arguments": {"shop": "northbrew"},
    }
    first_output = [{"role": "assistant", "parts": [call], "finish_reason": "tool_call"}]
    second_input = [
        *first_input,
        {"role": "assistant", "parts": [call]},
        {
            "role": "tool",
            "parts": [
                {"type": "tool_call_response", "id": "call_1", "response": {"currency": "USD"}}
            ],
        },
    ]
    second_output = [
        {
            "role": "assistant",
            "parts": [
                {"type": "text", "content": "Done: orders over 100 USD tag the customer VIP."}
            ],
            "finish_reason": "stop",
        }
    ]
    common = {"gen_ai.request.model": "gpt-4o-mini", "gen_ai.operation.name": "chat"}
    return [
        span(
            TRACE_A,
            "00f067aa0ba902b7",
            "invoke_agent shop",
            0,
            {"gen_ai.operation.name": "invoke_agent", "gen_ai.conversation.id": "conv-42"},
        ),
        span(
            TRACE_A,
            "b7ad6b7169203331",
            "chat gpt-4o-mini",
            3,
            {
                **common,
                "gen_ai.input.messages": json.dumps(second_input),
                "gen_ai.output.messages": json.dumps(second_output),
            },
            parentSpanId="00f067aa0ba902b7",
        ),
        span(
            TRACE_A,
            "c7ad6b7169203331",
            "execute_tool lookup_currency",
            2,
            {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "lookup_currency"},
        ),
        span(
            TRACE_A,
            "a7ad6b7169203331",
            "chat gpt-4o-mini",
            1,
            {
                **common,
                "gen_ai.system_instructions": json.dumps(
                    [{"type": "text", "content": "You build Shopify Flow workflows."}]
                ),
                "gen_ai.input.messages": json.dumps(first_input),
                "gen_ai.output.messages": json.dumps(first_output),
            },
        ),
    ]


def indexed_call() -> list[dict[str, Any]]:
    """One call in the older indexed attributes, in a trace without a conversation id."""
    return [
        span(
            TRACE_B,
            "1111111111111111",
            "chat",
            10,
            {
                "gen_ai.operation.name": "chat",
                "gen_ai.prompt.0.role": "user",
                "gen_ai.prompt.0.content": "When stock is low, email ops",
                "gen_ai.completion.0.role": "assistant",
                "gen_ai.completion.0.content": "Which threshold counts as low?",
            },
        )
    ]


def write_export(path: Path, *lines: dict[str, Any]) -> Path:
    path.write_text("".join(json.dumps(doc) + "\n" for doc in lines), encoding="utf-8")
    return path
