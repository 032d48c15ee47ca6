"""OTLP JSON exports with GenAI and OpenInference spans become traffic items; bad spans are located."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import evalwheel as ew
from evalwheel.project import Project
from evalwheel.store.datasets import DatasetRepository
from tests.helpers import cli
from tests.traffic.otlp_fixtures import (
    TRACE_A,
    TRACE_B,
    export,
    genai_conversation,
    indexed_call,
    span,
    write_export,
)


def stored(project: Project, name: str) -> list[dict]:
    store = project.open_store()
    try:
        repo = DatasetRepository(store)
        version = repo.resolve(name)
        assert version.kind == "traffic"
        return [e.model_dump(mode="json") for e in repo.iter_examples(version.version_id)]
    finally:
        store.close()


def dataset_names(project: Project) -> list[str]:
    store = project.open_store()
    try:
        return [v.name for v in DatasetRepository(store).list_versions()]
    finally:
        store.close()


def test_genai_spans_import_as_a_grouped_conversation(project: Project, tmp_path: Path):
    path = write_export(
        tmp_path / "spans.jsonl", export(genai_conversation()), export(indexed_call())
    )
    result = ew.import_traffic(path, "prod", project=project)
    assert isinstance(result, ew.TrafficImport)
    assert (result.format, result.items, result.conversations, result.skipped_spans) == (
        "otlp",
        3,
        2,
        2,
    )
    assert result.redactions == {"email": 2}
    items = {
        (i["metadata"]["conversation_id"], i["metadata"]["turn"]): i
        for i in stored(project, "prod")
    }
    assert set(items) == {("conv-42", 0), ("conv-42", 1), (TRACE_B, 0)}

    first, second = items["conv-42", 0], items["conv-42", 1]
    assert first["input"]["messages"] == [
        {"role": "system", "content": "You build Shopify Flow workflows."},
        {"role": "user", "content": "Tag orders over 100 USD as VIP. Reach me at [EMAIL]"},
    ]
    call = first["output"]["tool_calls"][0]
    assert call["id"] == "call_1" and call["function"]["name"] == "lookup_currency"
    assert json.loads(call["function"]["arguments"]) == {"shop": "northbrew"}
    # The tool's result reaches the second call as a tool message; the answer is text.
    assert second["input"]["messages"][-1] == {
        "role": "tool",
        "tool_call_id": "call_1",
        "content": '{"currency": "USD"}',
    }
    assert second["input"]["messages"][1]["tool_calls"][0]["function"]["name"] == "lookup_currency"
    assert second["output"] == {
        "role": "assistant",
        "content": "Done: orders over 100 USD tag the customer VIP.",
    }

    meta = first["metadata"]
    assert (
        meta["seen_at"] == "2025-01-01T10:00:01Z"
        and second["metadata"]["seen_at"] == "2025-01-01T10:00:03Z"
    )
    assert meta["source"] == {
        "file": "spans.jsonl",
        "format": "otlp",
        "line": 1,
        "trace_id": TRACE_A,
        "span_id": "a7ad6b7169203331",
        "span": "resourceSpans[0].scopeSpans[0].spans[3]",
    }
    assert meta["model"] == "gpt-4o-mini"
    assert first["id"] == f"{TRACE_A}-a7ad6b7169203331"
    indexed = items[TRACE_B, 0]
    assert indexed["input"]["messages"] == [
        {"role": "user", "content": "When stock is low, email ops"}
    ]
    assert indexed["output"]["content"] == "Which threshold counts as low?"


def test_same_file_same_version(project: Project, tmp_path: Path):
    path = write_export(tmp_path / "spans.jsonl", export(genai_conversation()))
    first = ew.import_traffic(path, "prod", project=project)
    again = ew.import_traffic(path, "prod", project=project)
    assert again.created is False and again.version_id == first.version_id


def test_pretty_printed_single_document(project: Project, tmp_path: Path):
    path = tmp_path / "export.json"
    path.write_text(json.dumps(export(genai_conversation()), indent=2), encoding="utf-8")
    assert ew.import_traffic(path, "prod", project=project).items == 2


def test_invalid_messages_json_is_located_and_nothing_is_stored(project: Project, tmp_path: Path):
    bad = indexed_call()
    bad[0]["attributes"].append(
        {"key": "gen_ai.input.messages", "value": {"stringValue": "[{not json"}}
    )
    path = write_export(tmp_path / "spans.jsonl", export(genai_conversation()), export(bad))
    with pytest.raises(ew.InputError) as caught:
        ew.import_traffic(path, "prod", project=project)
    exc = caught.value
    assert (exc.file, exc.line) == (str(path), 2)
    assert exc.field == "resourceSpans[0].scopeSpans[0].spans[0].attributes[gen_ai.input.messages]"
    assert "invalid JSON" in str(exc) and "spanId 1111111111111111" in str(exc)
    assert str(exc).startswith(f"{path}:2: resourceSpans[0]")
    assert dataset_names(project) == []


def test_span_without_trace_id_is_located(project: Project, tmp_path: Path):
    spans = genai_conversation()
    del spans[3]["traceId"]
    path = write_export(tmp_path / "spans.jsonl", export(spans))
    with pytest.raises(ew.InputError) as caught:
        ew.import_traffic(path, "prod", project=project)
    assert caught.value.line == 1
    assert caught.value.field == "resourceSpans[0].scopeSpans[0].spans[3].traceId"
    assert "required" in str(caught.value) and "chat gpt-4o-mini" in str(caught.value)
    assert dataset_names(project) == []


def test_cli_exit_2_on_a_bad_span(project: Project, tmp_path: Path):
    spans = indexed_call()
    spans[0]["spanId"] = "xyz"
    path = write_export(tmp_path / "spans.jsonl", export(spans))
    result = cli("traffic", "import", path, "--name", "prod")
    assert result.exit_code == 2
    assert (
        f"{path}:1: resourceSpans[0].scopeSpans[0].spans[0].spanId: expected 16 hex digits"
        in result.stderr
    )
    assert "nothing was imported" in result.stderr
    assert dataset_names(project) == []


def test_cli_imports_and_prints_json(project: Project, tmp_path: Path):
    path = write_export(tmp_path / "spans.jsonl", export(genai_conversation()))
    result = cli("traffic", "import", path, "--name", "prod", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["items"] == 2 and data["format"] == "otlp" and data["dataset"].startswith("prod@")


def test_openinference_spans(project: Project, tmp_path: Path):
    llm = {
        "openinference.span.kind": "LLM",
        "llm.model_name": "gpt-4o",
        "session.id": "sess-7",
        "llm.input_messages.0.message.role": "system",
        "llm.input_messages.0.message.content": "Be brief.",
        "llm.input_messages.1.message.role": "user",
        "llm.input_messages.1.message.content": "Refund order 1001",
        "llm.output_messages.0.message.role": "assistant",
        "llm.output_messages.0.message.tool_calls.0.tool_call.id": "call_9",
        "llm.output_messages.0.message.tool_calls.0.tool_call.function.name": "refund",
        "llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments": '{"order": 1001}',
    }
    follow = {
        "openinference.span.kind": "LLM",
        "session.id": "sess-7",
        "input.value": "And notify me",
        "output.value": "Notified.",
    }
    chain = {"openinference.span.kind": "CHAIN", "input.value": "x"}
    spans = [
        span(TRACE_A, "2222222222222222", "ChatCompletion", 1, llm),
        span(TRACE_A, "3333333333333333", "chain", 0, chain),
        span(TRACE_B, "4444444444444444", "ChatCompletion", 5, follow),
    ]
    path = write_export(tmp_path / "oi.jsonl", export(spans))
    result = ew.import_traffic(path, "oi", project=project)
    assert (result.items, result.conversations, result.skipped_spans) == (2, 1, 1)
    items = sorted(stored(project, "oi"), key=lambda i: i["metadata"]["turn"])
    assert [i["metadata"]["conversation_id"] for i in items] == ["sess-7", "sess-7"]
    assert items[0]["input"]["messages"][1] == {"role": "user", "content": "Refund order 1001"}
    assert items[0]["output"]["tool_calls"] == [
        {
            "id": "call_9",
            "type": "function",
            "function": {"name": "refund", "arguments": '{"order": 1001}'},
        }
    ]
    assert items[0]["metadata"]["model"] == "gpt-4o"
    assert items[1]["input"]["messages"] == [{"role": "user", "content": "And notify me"}]
    assert items[1]["output"] == {"role": "assistant", "content": "Notified."}


def test_messages_on_the_operation_details_event(project: Project, tmp_path: Path):
    event_attrs = [
        {
            "key": "gen_ai.input.messages",
            "value": {
                "stringValue": json.dumps(
                    [{"role": "user", "parts": [{"type": "text", "content": "hi"}]}]
                )
            },
        },
        {
            "key": "gen_ai.output.messages",
            "value": {
                "stringValue": json.dumps(
                    [
                        {
                            "role": "assistant",
                            "parts": [{"type": "text", "content": "hello"}],
                            "finish_reason": "stop",
                        }
                    ]
                )
            },
        },
    ]
    event = {
        "timeUnixNano": "1",
        "name": "gen_ai.client.inference.operation.details",
        "attributes": event_attrs,
    }
    attributes = {
        "gen_ai.operation.name": "chat",
        "gen_ai.conversation.id": "c-9",
        "gen_ai.usage.input_tokens": 12,
    }
    path = write_export(
        tmp_path / "ev.jsonl",
        export([span(TRACE_A, "5555555555555555", "chat", 0, attributes, events=[event])]),
    )
    ew.import_traffic(path, "ev", project=project)
    [item] = stored(project, "ev")
    assert item["input"] == {"messages": [{"role": "user", "content": "hi"}]}
    assert item["output"] == {"role": "assistant", "content": "hello"}
    assert item["metadata"]["conversation_id"] == "c-9"


def test_model_call_without_captured_messages_is_an_error(project: Project, tmp_path: Path):
    path = write_export(
        tmp_path / "bare.jsonl",
        export([span(TRACE_A, "6666666666666666", "chat", 0, {"gen_ai.operation.name": "chat"})]),
    )
    with pytest.raises(ew.InputError) as caught:
        ew.import_traffic(path, "bare", project=project)
    assert caught.value.field == "resourceSpans[0].scopeSpans[0].spans[0].attributes"
    assert "CAPTURE_MESSAGE_CONTENT" in str(caught.value)
