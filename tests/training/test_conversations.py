"""Training rows are the system's own serving format: the Flow conversation of a row equals what
the agent sends its model for the same request and shots, rendered as the embedded provider
renders it; rows the application cannot convert are refused by id; settings are validated."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from typing import Any

import pytest

from evalwheel.api.training import train, train_config
from evalwheel.core.example import Example
from evalwheel.errors import InputError
from evalwheel.llm.client import ModelClient
from evalwheel.llm.embedded import plain_messages
from evalwheel.llm.registry import ModelSpec
from evalwheel.llm.types import ChatRequest, ChatResponse, ToolCall
from evalwheel.training.conversations import build_rows, sft_rows, training_conversation
from evalwheel.training.models import TrainConfig, TrainingConversation
from evalwheel_flow import DATA_DIR
from evalwheel_flow.agent.agent import TOOLS_PROMPT, FlowAgent
from evalwheel_flow.agent.compact import from_workflow
from evalwheel_flow.agent.tools import TOOL_SPECS
from evalwheel_flow.app import APP
from evalwheel_flow.catalog import load_catalog
from evalwheel_flow.workflow import Workflow
from tests.helpers import cli, write_jsonl


def benchmark(expect: str = "workflow") -> list[Example]:
    rows = [json.loads(line) for line in (DATA_DIR / "benchmark.jsonl").read_text().splitlines()]
    return [
        Example(
            id=r["id"],
            input=r["request"],
            reference=r.get("reference"),
            metadata={"expect": r.get("expect", "workflow")},
        )
        for r in rows
        if r.get("expect", "workflow") == expect
    ]


class Recorder:
    """A provider that records what the agent sends and answers with scripted replies."""

    def __init__(self, replies: list[ChatResponse]) -> None:
        self.replies = replies
        self.requests: list[ChatRequest] = []

    async def complete(self, request: ChatRequest, timeout_s: float) -> ChatResponse:
        self.requests.append(request)
        return self.replies.pop(0)

    async def aclose(self) -> None:
        return None


def served(mode: str, request: str, replies: list[ChatResponse], shots: int = 3) -> Recorder:
    recorder = Recorder(replies)
    spec = ModelSpec(name="recorded", base_url="http://127.0.0.1:9/v1", model="x")

    async def go() -> None:
        async with ModelClient(spec, provider=recorder) as client:
            agent = FlowAgent(client, mode=mode, bank=APP.bank(), shots=shots)  # type: ignore[arg-type]
            await agent.run(request)

    asyncio.run(go())
    return recorder


def in_bank(example: Example) -> bool:
    return any(item.request.strip() == str(example.input).strip() for item in APP.bank().items)


@pytest.mark.parametrize("shots", [0, 3, 6])
def test_compact_conversation_is_what_the_agent_sends(shots: int) -> None:
    example = next(e for e in benchmark() if in_bank(e))
    answer = from_workflow(Workflow.from_data(example.reference), load_catalog())
    recorder = served(
        "compact", str(example.input), [ChatResponse(content=json.dumps(answer))], shots
    )
    sent = recorder.requests[0].messages

    conversation = training_conversation(APP, example, {"shots": shots})

    assert conversation.messages[:-1] == sent
    assert conversation.messages[-1] == {"role": "assistant", "content": json.dumps(answer)}
    assert len(sent) == 2 + 2 * shots
    (row,) = sft_rows(conversation)
    assert row["prompt"] == plain_messages(sent, None)  # what llama.cpp receives
    assert row["completion"] == [{"role": "assistant", "content": json.dumps(answer)}]


def test_the_rows_own_request_is_never_among_its_shots() -> None:
    examples = [e for e in benchmark() if in_bank(e)][:25]
    assert len(examples) == 25
    for example in examples:
        conversation = training_conversation(APP, example, {"shots": 6})
        shown = [m["content"] for m in conversation.messages[1:-2] if m["role"] == "user"]
        assert len(shown) == 6
        assert str(example.input).strip() not in [str(s).strip() for s in shown], example.id


@pytest.mark.parametrize("expect", ["clarify", "refuse"])
def test_questions_and_refusals_are_compact_decisions(expect: str) -> None:
    example = benchmark(expect)[0]
    conversation = training_conversation(APP, example, {})
    answer = json.loads(str(conversation.messages[-1]["content"]))
    assert answer["outcome"] == expect
    assert answer.get("question" if expect == "clarify" else "message")


def test_tools_conversation_is_what_the_agent_sends() -> None:
    example = benchmark()[0]
    trajectory = APP.ideal_trajectory(str(example.input), example.reference)
    turns = [m for m in trajectory if m["role"] == "assistant"]
    first_call = turns[0]["tool_calls"][0]["function"]
    call = ToolCall(id="call_1", name=first_call["name"], arguments=first_call["arguments"])
    replies = [ChatResponse(tool_calls=[call]), ChatResponse(content="stop")]
    recorder = served("tools", str(example.input), replies)
    first = recorder.requests[0]

    conversation = training_conversation(APP, example, {"mode": "tools"})
    assert conversation.tools == TOOL_SPECS
    assert conversation.messages[0] == {"role": "system", "content": TOOLS_PROMPT}

    rows = sft_rows(conversation)
    assert len(rows) == len(turns)
    assert rows[0]["prompt"] == plain_messages(first.messages, first.tools)
    assert json.loads(rows[0]["completion"][0]["content"]) == {
        "name": first_call["name"],
        "arguments": json.loads(first_call["arguments"]),
    }
    last = turns[-1]
    if not last.get("tool_calls"):  # a closing message, written as the tool grammar makes it
        assert json.loads(rows[-1]["completion"][0]["content"]) == {"content": last["content"]}


def test_only_target_turns_are_completions() -> None:
    conversation = TrainingConversation(
        messages=[
            {"role": "system", "content": "s"},
            {"role": "user", "content": "shot"},
            {"role": "assistant", "content": "shot answer"},
            {"role": "user", "content": "q"},
            {"role": "assistant", "content": "a"},
        ],
        targets_from=4,
    )
    (row,) = sft_rows(conversation)
    assert row["completion"] == [{"role": "assistant", "content": "a"}]
    assert [m["content"] for m in row["prompt"]] == ["s", "shot", "shot answer", "q"]


def test_a_row_without_a_usable_reference_is_refused_by_id() -> None:
    good = benchmark()[0]
    missing = Example(id="no-ref", input="tag big orders", metadata={"expect": "workflow"})
    with pytest.raises(InputError, match="no-ref"):
        build_rows(APP, [good, missing], {})
    two_triggers = dict(good.reference)  # type: ignore[arg-type]
    root = dict(two_triggers["root"])
    trigger = next(s for s in root["steps"] if s["task_type"] == "TRIGGER")
    root["steps"] = [*root["steps"], {**trigger, "step_id": "trigger2"}]
    broken = Example(id="two-triggers", input="x", reference={**two_triggers, "root": root})
    with pytest.raises(InputError, match="two-triggers"):
        build_rows(APP, [broken], {})


def test_an_app_without_the_hook_is_refused() -> None:
    class Plain:
        name = "plain"

    with pytest.raises(InputError, match="training_conversation"):
        training_conversation(Plain(), Example(id="a", input="x", reference="y"), {})


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"rank": 0}, "rank"),
        ({"steps": 0}, "steps"),
        ({"learning_rate": 2.0}, "learning_rate"),
        ({"max_length": 8}, "max_length"),
        ({"device": "tpu"}, "device"),
    ],
)
def test_bad_settings_are_input_errors(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError) as caught:
        train_config(**overrides)
    assert caught.value.field == field


def test_settings_defaults_and_overrides() -> None:
    config = train_config(TrainConfig(rank=8), steps=5, batch=None)
    assert (config.rank, config.lora_alpha, config.steps, config.batch) == (8, 16, 5, None)


def test_train_refuses_an_unconvertible_row_before_loading_a_model(sqlite_project: Any) -> None:
    rows = [{"id": "r-1", "input": "tag orders over $100 VIP"}]
    with pytest.raises(InputError, match="r-1"):
        train("flow-local", rows, project=sqlite_project)


def test_cli_train_exits_2_naming_the_row(sqlite_project: Any, tmp_path: Any) -> None:
    data = write_jsonl(tmp_path / "rows.jsonl", [{"id": "bad-row", "input": "tag big orders"}])
    result = cli("train", "--system", "flow-local", "--data", str(data))
    assert result.exit_code == 2
    assert "bad-row" in result.stderr


def test_the_cli_does_not_import_torch() -> None:
    code = "import sys, evalwheel.cli.app; print('torch' in sys.modules, 'trl' in sys.modules)"
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.split() == ["False", "False"]


def test_an_adapter_of_another_base_is_not_registered_on_the_embedded_system(
    sqlite_project: Any, tmp_path: Any
) -> None:
    rows = [e.model_dump() for e in benchmark()[:2]]
    with pytest.raises(InputError, match="another base model") as caught:
        train("flow-local", rows, base=str(tmp_path), register="flow-other", project=sqlite_project)
    assert caught.value.field == "register"
