"""``kind = "openai"`` against the OpenAI-compatible stub on 127.0.0.1, through the real runner:
text and message-list inputs, a system prompt, tool calls, tokens and cost, and the call cache."""

import json

from evalwheel.llm.registry import ModelSpec
from evalwheel.project import Project
from evalwheel.testing.openai_stub import StubServer
from tests.systems.helpers import run_system

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}


def test_text_input_system_prompt_tokens_and_cost(sqlite_project: Project, stub_model: ModelSpec):
    rows = [
        {"id": "a", "input": "Capital of France? [[reply:Paris]]", "reference": "Paris"},
        {"id": "b", "input": "Capital of Spain? [[reply:Lisbon]]", "reference": "Madrid"},
    ]
    table = {"kind": "openai", "model": "stub", "system_prompt": "Answer with one word."}
    outcome = run_system(sqlite_project, "agent", table, rows, model=stub_model)
    a = outcome.outputs["a"]
    assert a.artifact == "Paris" and a.outcome == "answer" and a.error is None
    assert [m["role"] for m in a.messages] == ["system", "user", "assistant"]
    assert a.messages[0]["content"] == "Answer with one word."
    assert a.input_tokens > 0 and a.output_tokens > 0 and a.cost_usd > 0
    assert outcome.scores[("a", "exact_match")].passed is True
    assert outcome.scores[("b", "exact_match")].passed is False
    assert outcome.failed == 0
    assert outcome.description["system_prompt"] == "Answer with one word."


def test_a_message_list_input_is_the_conversation(sqlite_project: Project, stub_model: ModelSpec):
    conversation = [
        {"role": "system", "content": "Be terse."},
        {"role": "user", "content": "hello"},
        {"role": "assistant", "content": "hi"},
        {"role": "user", "content": "bye [[reply:ciao]]"},
    ]
    rows = [
        {"id": "list", "input": conversation, "reference": "ciao"},
        {"id": "obj", "input": {"messages": conversation}, "reference": "ciao"},
    ]
    table = {"kind": "openai", "model": "stub", "system_prompt": "ignored: the input has one"}
    outcome = run_system(sqlite_project, "conv", table, rows, model=stub_model)
    for item in ("list", "obj"):
        output = outcome.outputs[item]
        assert output.messages[:-1] == conversation
        assert output.artifact == "ciao"
        assert outcome.scores[(item, "exact_match")].passed is True


def test_tool_calls_are_the_artifact_when_there_is_no_content(
    sqlite_project: Project, stub_model: ModelSpec
):
    (sqlite_project.root / "tools.json").write_text(json.dumps([WEATHER_TOOL]))
    rows = [
        {
            "id": "w",
            "input": 'Weather in Paris? [[args:{"city": "Paris"}]]',
            "reference": [{"name": "get_weather", "arguments": {"city": "Paris"}}],
        }
    ]
    for name, tools in (("inline", [WEATHER_TOOL]), ("from-file", "tools.json")):
        table = {"kind": "openai", "model": "stub", "tools": tools}
        outcome = run_system(
            sqlite_project, name, table, rows, model=stub_model, scorers=("json_match",)
        )
        output = outcome.outputs["w"]
        assert output.outcome == "tool_calls"
        assert output.artifact == [{"name": "get_weather", "arguments": {"city": "Paris"}}]
        assert output.tool_calls[0]["name"] == "get_weather"
        assert output.messages[-1]["tool_calls"][0]["function"]["name"] == "get_weather"
        assert outcome.scores[("w", "json_match")].passed is True
        # The tools' content, not the file's name, is part of the system's identity.
        assert outcome.description["tools"] == [WEATHER_TOOL]


def test_calls_go_through_the_runners_client_and_its_cache(
    sqlite_project: Project, stub: StubServer, stub_model: ModelSpec
):
    rows = [{"id": f"i{i}", "input": f"q{i}", "reference": f"echo: q{i}"} for i in range(4)]
    table = {"kind": "openai", "model": "stub", "params": {"temperature": 0, "max_tokens": 20}}
    first = run_system(sqlite_project, "cached", table, rows, model=stub_model)
    seen = stub.state.requests
    assert seen == 4 and all(s.passed for s in first.scores.values())
    second = run_system(sqlite_project, "cached", table, rows, model=stub_model)
    assert stub.state.requests == seen  # every call answered from the call cache
    assert [o.artifact for o in second.outputs.values()] == [
        o.artifact for o in first.outputs.values()
    ]
