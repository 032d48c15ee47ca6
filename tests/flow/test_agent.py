"""The Flow agent: scripted tool-calling turns (a fake provider inside a unit test), and real runs
on the embedded model, in-process and over HTTP."""

import asyncio
import json

import pytest

from evalwheel.http_guard import GuardConfig
from evalwheel.llm.client import ModelClient, make_provider
from evalwheel.llm.registry import ModelSpec, builtin_models
from evalwheel.llm.serve import ModelServer
from evalwheel.llm.types import ChatRequest, ChatResponse, ToolCall
from evalwheel.testing.server_thread import ServerThread
from evalwheel_flow import DATA_DIR
from evalwheel_flow.agent.agent import FlowAgent, result_is_valid
from evalwheel_flow.agent.bank import bank_from_file
from evalwheel_flow.agent.compact import compact_schema
from evalwheel_flow.catalog import load_catalog

CATALOG = load_catalog()


class ScriptedProvider:
    """Answers each call with the next scripted tool call (a test double for a tool-calling model)."""

    def __init__(self, script: list[tuple[str, dict] | str]) -> None:
        self.script = list(script)
        self.requests: list[ChatRequest] = []

    async def complete(self, request: ChatRequest, timeout_s: float) -> ChatResponse:
        self.requests.append(request)
        step = self.script.pop(0)
        if isinstance(step, str):
            return ChatResponse(content=step)
        name, args = step
        return ChatResponse(
            tool_calls=[
                ToolCall(id=f"c{len(self.requests)}", name=name, arguments=json.dumps(args))
            ]
        )

    async def aclose(self) -> None:
        return None


def run_tools(script, request="Tag customers VIP when an order is over $200."):
    provider = ScriptedProvider(script)
    spec = ModelSpec(name="scripted", base_url="http://127.0.0.1:9/v1", model="x")

    async def go():
        async with ModelClient(spec, provider=provider) as client:
            return await FlowAgent(client, mode="tools", max_turns=6).run(request)

    return asyncio.run(go()), provider


GOOD = {
    "trigger": "order_created",
    "conditions": ["(order.totalPriceSet.shopMoney.amount > 200)"],
    "actions": [{"action": "add_customer_tags", "tags": ["VIP"]}],
}


def test_tool_turns_end_in_a_valid_workflow():
    bad = {**GOOD, "conditions": ["(order.total > 200)"]}
    result, provider = run_tools(
        [
            ("search_tasks", {"query": "order created", "task_type": "TRIGGER"}),
            ("search_data_paths", {"trigger": "order_created", "query": "totalPriceSet amount"}),
            ("create_workflow", bad),
            ("create_workflow", GOOD),
        ]
    )
    assert result.outcome == "workflow" and result_is_valid(result, CATALOG)
    names = [c["name"] for c in result.tool_calls]
    assert names == ["search_tasks", "search_data_paths", "create_workflow", "create_workflow"]
    assert result.tool_calls[2]["result"]["created"] is False
    assert "has no field 'total'" in " ".join(result.tool_calls[2]["result"]["errors"])
    paths = [p["path"] for p in result.tool_calls[1]["result"]]
    assert "order.totalPriceSet.shopMoney.amount" in paths
    # The model saw the tool results of earlier turns.
    assert any(m.get("role") == "tool" for m in provider.requests[-1].messages)


def test_clarifying_question_and_refusal():
    result, _ = run_tools(
        [("ask_merchant", {"question": "Which tag should VIPs get?"})], "Make my VIPs happy"
    )
    assert result.outcome == "clarify" and result.question == "Which tag should VIPs get?"
    result, _ = run_tools(["Flow cannot change your theme's colours."], "Make my store pink")
    assert result.outcome == "refuse" and "theme" in result.message


def test_giving_up_is_an_error_not_a_silent_empty_answer():
    result, _ = run_tools([("search_tasks", {"query": "x"})] * 6)
    assert result.outcome == "error" and "no workflow after 6 turns" in result.error


def test_bank_excludes_the_item_itself_and_uses_train_only():
    bank = bank_from_file(DATA_DIR / "benchmark.jsonl", CATALOG)
    assert 100 < len(bank.items) < 300
    request = bank.items[0].request
    assert all(shot.request != request for shot in bank.retrieve(request, 5))


def test_compact_schema_lists_every_trigger():
    schema = compact_schema(CATALOG)
    assert len(schema["properties"]["trigger"]["enum"]) == len(CATALOG.by_type("TRIGGER"))


REQUESTS = ["When an order is over $300, tag the customer big-spender.", "Cancel high risk orders."]


async def _run_compact(spec: ModelSpec) -> list[dict]:
    bank = bank_from_file(DATA_DIR / "benchmark.jsonl", CATALOG)
    async with ModelClient(spec) as client:
        agent = FlowAgent(client, mode="compact", bank=bank, max_tokens=200)
        results = [await agent.run(r) for r in REQUESTS]
    return [
        {"outcome": r.outcome, "workflow": r.workflow, "question": r.question, "error": r.error}
        for r in results
    ]


@pytest.mark.model
def test_embedded_agent_in_process_and_over_http_agree():
    local = builtin_models()["local"]
    in_process = asyncio.run(_run_compact(local))
    # A 135M model may fail (e.g. an answer cut off at max_tokens): then it must say why.
    assert all(r["outcome"] in ("workflow", "clarify", "refuse") or r["error"] for r in in_process)
    # No token: loopback only, and this test is about the answers, not the guard.
    with ServerThread(ModelServer(make_provider(local), "local", GuardConfig(token=None))) as url:
        served = ModelSpec(name="served", base_url=url, model="local", timeout_s=600, max_retries=0)
        over_http = asyncio.run(_run_compact(served))
    assert over_http == in_process


def test_the_agent_is_a_versioned_system():
    spec = ModelSpec(name="scripted", base_url="http://127.0.0.1:9/v1", model="x")

    async def versions():
        async with ModelClient(spec, provider=ScriptedProvider([])) as client:
            bank = bank_from_file(DATA_DIR / "benchmark.jsonl", CATALOG)
            a = FlowAgent(client, mode="compact", bank=bank).system()
            b = FlowAgent(client, mode="compact", bank=bank, shots=5).system()
            c = FlowAgent(client, mode="tools").system()
            return a, b, c

    a, b, c = asyncio.run(versions())
    assert len({a.version, b.version, c.version}) == 3 and a.app == "flow"
    assert a.fewshot_bank is not None and c.tools


def test_bank_holds_no_paraphrase_of_a_held_out_automation():
    from evalwheel.core.example import Example
    from evalwheel.core.hashing import canonical_json
    from evalwheel.datasets.splits import SplitPolicy, assign_split
    from evalwheel_flow.agent.compact import from_workflow
    from evalwheel_flow.workflow import Workflow

    bank = bank_from_file(DATA_DIR / "benchmark.jsonl", CATALOG)
    bank_answers = {canonical_json(s.answer) for s in bank.items}
    for line in (DATA_DIR / "benchmark.jsonl").read_text().splitlines():
        row = json.loads(line)
        example = Example(id=row["id"], input=row["request"], tags=tuple(row["tags"]))
        held_out = assign_split(example, SplitPolicy()) != "train"
        if held_out and row["reference"]:
            answer = from_workflow(Workflow.from_data(row["reference"]), CATALOG)
            assert answer is None or canonical_json(answer) not in bank_answers, row["id"]
