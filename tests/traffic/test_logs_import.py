"""Chat logs (both shapes) and mapped JSONL logs as traffic; the Flow app's shipped traffic file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import evalwheel as ew
from evalwheel.project import Project
from tests.helpers import cli_json, write_jsonl
from tests.traffic.test_otlp_import import dataset_names, stored

FLOW_TRAFFIC = Path(__file__).parents[2] / "src" / "evalwheel_flow" / "data" / "traffic.jsonl"


def test_chat_logs_both_shapes(project: Project, tmp_path: Path):
    call = {
        "id": "call_1",
        "type": "function",
        "function": {"name": "add_tag", "arguments": '{"tag": "VIP"}'},
    }
    rows = [
        {
            "conversation_id": "c1",
            "timestamp": "2025-03-01T12:00:05+02:00",
            "messages": [
                {"role": "user", "content": "tag big spenders"},
                {"role": "assistant", "content": None, "tool_calls": [call]},
            ],
        },
        {
            "request": {
                "model": "gpt-4o-mini",
                "metadata": {"conversation_id": "c1"},
                "messages": [
                    {"role": "user", "content": "tag big spenders"},
                    {"role": "assistant", "tool_calls": [call]},
                    {"role": "tool", "tool_call_id": "call_1", "content": "ok"},
                ],
                "tools": [{"type": "function", "function": {"name": "add_tag"}}],
            },
            "response": {
                "id": "chatcmpl-9",
                "object": "chat.completion",
                "created": 1740830410,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": "Tagged."}}],
            },
        },
        {"messages": [{"role": "user", "content": "hello"}]},
    ]
    path = write_jsonl(tmp_path / "chat.jsonl", rows)
    result = ew.import_traffic(path, "chat", project=project)
    assert (result.format, result.items, result.conversations) == ("chat", 3, 2)
    items = {i["id"]: i for i in stored(project, "chat")}
    assert set(items) == {"line-1", "chatcmpl-9", "line-3"}
    first, second, lone = items["line-1"], items["chatcmpl-9"], items["line-3"]
    assert first["input"] == {"messages": [{"role": "user", "content": "tag big spenders"}]}
    assert first["output"]["tool_calls"] == [call]
    assert first["metadata"]["seen_at"] == "2025-03-01T10:00:05Z"
    assert second["input"]["tools"][0]["function"]["name"] == "add_tag"
    assert second["output"] == {"role": "assistant", "content": "Tagged."}
    assert (
        second["metadata"]["seen_at"] == "2025-03-01T12:00:10Z"
        and second["metadata"]["model"] == "gpt-4o-mini"
    )
    assert [first["metadata"]["turn"], second["metadata"]["turn"]] == [0, 1]
    assert lone["output"] is None and "seen_at" not in lone["metadata"]
    assert lone["metadata"]["conversation_id"] == "line-3" and lone["metadata"]["turn"] == 0
    assert lone["metadata"]["source"] == {"file": "chat.jsonl", "format": "chat", "line": 3}


def test_chat_log_bad_message_is_located(project: Project, tmp_path: Path):
    rows = [
        {"messages": [{"role": "user", "content": "a"}]},
        {"request": {"messages": [{"content": "no role"}]}},
    ]
    path = write_jsonl(tmp_path / "chat.jsonl", rows)
    with pytest.raises(ew.InputError) as caught:
        ew.import_traffic(path, "chat", project=project)
    assert (caught.value.line, caught.value.field) == (2, "request.messages[0].role")
    assert dataset_names(project) == []


def test_jsonl_with_a_field_mapping(project: Project, tmp_path: Path):
    rows = [
        {
            "req": {"text": "when an order ships, email me"},
            "resp": "ok",
            "rid": "r1",
            "ts": 1735725600,
            "sid": "s1",
            "shop": "northbrew",
        },
        {
            "req": {"text": "and tag it"},
            "resp": "done",
            "rid": "r2",
            "ts": 1735725660,
            "sid": "s1",
            "shop": "northbrew",
        },
    ]
    path = write_jsonl(tmp_path / "log.jsonl", rows[::-1])
    mapping = {
        "input": "req.text",
        "output": "resp",
        "id": "rid",
        "time": "ts",
        "conversation": "sid",
    }
    result = ew.import_traffic(path, "logs", mapping=mapping, project=project)
    assert (result.format, result.items, result.conversations) == ("jsonl", 2, 1)
    items = {i["id"]: i for i in stored(project, "logs")}
    assert items["r1"]["input"] == "when an order ships, email me" and items["r1"]["output"] == "ok"
    assert (items["r1"]["metadata"]["turn"], items["r2"]["metadata"]["turn"]) == (
        0,
        1,
    )  # by time, not line
    assert items["r1"]["metadata"]["seen_at"] == "2025-01-01T10:00:00Z"
    assert (
        items["r1"]["metadata"]["conversation_id"] == "s1"
        and items["r1"]["metadata"]["shop"] == "northbrew"
    )


def test_mapping_to_a_missing_column_is_one_error(project: Project, tmp_path: Path):
    path = write_jsonl(tmp_path / "log.jsonl", [{"prompt": "a"}, {"prompt": "b"}])
    with pytest.raises(ew.InputError) as caught:
        ew.import_traffic(path, "logs", mapping={"input": "question"}, project=project)
    assert "--map input=question: no row has this column" in str(caught.value)
    with pytest.raises(ew.InputError) as caught:
        ew.import_traffic(path, "logs", project=project)
    assert caught.value.field == "input" and "--map input=prompt" in str(caught.value)
    assert dataset_names(project) == []


def test_flow_traffic_imports_both_ways(project: Project):
    rows = sum(1 for line in FLOW_TRAFFIC.open(encoding="utf-8") if line.strip())
    out = cli_json("dataset", "import", FLOW_TRAFFIC, "--name", "flow-traffic", "--kind", "traffic")
    assert out["version"]["n_items"] == rows
    result = ew.import_traffic(FLOW_TRAFFIC, "flow-prod", project=project)
    assert result.format == "jsonl" and result.items == rows
    item = next(i for i in stored(project, "flow-prod") if i["id"] == "traffic-00001")
    assert item["metadata"]["merchant"] == "m0001" and "expect:workflow" in item["tags"]
    assert "[EMAIL]" in item["input"] and "finance@northbrew.co" not in json.dumps(item)
