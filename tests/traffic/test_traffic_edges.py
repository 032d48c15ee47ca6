"""Traffic files as instrumentations and log pipelines really write them, and what goes wrong."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import evalwheel as ew
from evalwheel.project import Project
from tests.helpers import cli
from tests.traffic.otlp_fixtures import TRACE_A, export, span, value, write_export
from tests.traffic.test_otlp_import import dataset_names, stored

USER = [{"role": "user", "parts": [{"type": "text", "content": "Tag big orders"}]}]
ANSWER = [{"role": "assistant", "parts": [{"type": "text", "content": "Done"}]}]


def typed(data: Any) -> dict[str, Any]:
    """A JSON value as OTLP's typed ``AnyValue`` (objects as ``kvlistValue``)."""
    if isinstance(data, dict):
        pairs = [{"key": k, "value": typed(v)} for k, v in data.items()]
        return {"kvlistValue": {"values": pairs}}
    if isinstance(data, list):
        return {"arrayValue": {"values": [typed(v) for v in data]}}
    return value(data)


def chat_span(span_id: str, **attributes: Any) -> dict[str, Any]:
    return span(TRACE_A, span_id, "chat", 0, {"gen_ai.operation.name": "chat", **attributes})


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_message_attributes_as_text_as_typed_values_or_as_texts(
    project: Project, tmp_path: Path
) -> None:
    as_text = chat_span(
        "1111111111111111",
        **{"gen_ai.input.messages": json.dumps(USER), "gen_ai.output.messages": json.dumps(ANSWER)},
    )
    as_values = chat_span("2222222222222222")
    as_values["attributes"] += [
        {"key": "gen_ai.input.messages", "value": typed(USER)},
        {"key": "gen_ai.output.messages", "value": typed(ANSWER)},
        {"key": "gen_ai.usage.input_tokens", "value": {"intValue": "9007199254740993"}},
    ]
    as_texts = chat_span(
        "3333333333333333",
        **{"gen_ai.input.messages": [json.dumps(m) for m in USER]},
    )
    path = write_export(tmp_path / "spans.jsonl", export([as_text, as_values, as_texts]))
    assert ew.import_traffic(path, "prod", project=project).items == 3
    items = {i["id"].split("-")[1]: i for i in stored(project, "prod")}
    expected = [{"role": "user", "content": "Tag big orders"}]
    assert all(item["input"]["messages"] == expected for item in items.values())
    assert items["1111111111111111"]["output"]["content"] == "Done"
    assert items["2222222222222222"]["output"]["content"] == "Done"


def test_a_span_with_message_events_only_is_a_model_call(project: Project, tmp_path: Path) -> None:
    """Older GenAI instrumentations put no gen_ai.operation.name on the span, only events."""
    old = span(TRACE_A, "4444444444444444", "openai.chat", 0, {"gen_ai.system": "openai"})
    old["events"] = [
        {
            "name": "gen_ai.user.message",
            "attributes": [{"key": "content", "value": {"stringValue": "Tag big orders"}}],
        },
        {
            "name": "gen_ai.choice",
            "attributes": [
                {"key": "message", "value": {"stringValue": json.dumps({"content": "Done"})}}
            ],
        },
    ]
    path = write_export(tmp_path / "spans.jsonl", export([old]))
    result = ew.import_traffic(path, "prod", project=project)
    assert (result.items, result.skipped_spans) == (1, 0)
    (item,) = stored(project, "prod")
    assert item["input"]["messages"] == [{"role": "user", "content": "Tag big orders"}]
    assert item["output"]["content"] == "Done"


def test_a_file_without_model_calls_says_what_it_skipped(project: Project, tmp_path: Path) -> None:
    tool = span(
        TRACE_A, "5555555555555555", "execute_tool", 0, {"gen_ai.operation.name": "execute_tool"}
    )
    path = write_export(tmp_path / "spans.jsonl", export([tool]))
    result = cli("traffic", "import", path, "--name", "prod")
    assert result.exit_code == 2
    assert f"{path}:1: (file): no model-call spans (1 other spans" in result.stderr
    for empty in ('{"resourceSpans": []}\n', ""):
        path.write_text(empty, encoding="utf-8")
        result = cli("traffic", "import", path, "--name", "prod", "--format", "otlp")
        assert result.exit_code == 2 and "no model-call spans" in result.stderr
        assert "Traceback" not in result.stderr
    assert dataset_names(project) == []


def test_a_mapped_column_missing_on_one_row_names_the_line_and_the_mapping(
    project: Project, tmp_path: Path
) -> None:
    path = write_jsonl(tmp_path / "log.jsonl", [{"prompt": "a"}, {"prompt": "b"}, {"q": "c"}])
    with pytest.raises(ew.InputError) as caught:
        ew.import_traffic(path, "logs", mapping={"input": "prompt"}, project=project)
    assert (caught.value.line, caught.value.field) == (3, "prompt")
    assert "(--map input=prompt): this row has no such column" in str(caught.value)
    assert "map one with" not in str(caught.value)
    assert dataset_names(project) == []


def test_tool_call_arguments_and_content_parts_are_redacted_and_reimport_is_idempotent(
    project: Project, tmp_path: Path
) -> None:
    arguments = {
        "phone": "+44 20 7946 0958",
        "card": "4111 1111 1111 1111",
        "note": "(555) 123-4567",
    }
    row = {
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "call 555-123-4567"}]},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "c1",
                        "type": "function",
                        "function": {"name": "refund", "arguments": json.dumps(arguments)},
                    }
                ],
            },
        ]
    }
    path = write_jsonl(tmp_path / "chat.jsonl", [row])
    first = ew.import_traffic(path, "chat", project=project)
    assert first.redactions == {"card": 1, "phone": 3}
    (item,) = stored(project, "chat")
    assert item["input"]["messages"][0]["content"] == [{"type": "text", "text": "call [PHONE]"}]
    assert json.loads(item["output"]["tool_calls"][0]["function"]["arguments"]) == {
        "phone": "[PHONE]",
        "card": "[CARD]",
        "note": "[PHONE]",
    }
    again = ew.import_traffic(path, "chat", project=project)
    assert again.created is False and again.version_id == first.version_id
    bad = write_jsonl(tmp_path / "bad.jsonl", [row, row | {"id": "x"}, {"messages": [{}]}])
    with pytest.raises(ew.InputError) as caught:
        ew.import_traffic(bad, "chat2", project=project)
    assert caught.value.line == 3
    assert dataset_names(project) == ["chat"]
