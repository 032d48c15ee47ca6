"""The Flow agent: scripted tool-calling turns (a fake provider inside a unit test), and real runs
on the embedded model, in-process and over HTTP."""

import asyncio
import json

import jsonschema
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
from evalwheel_flow.agent.compact import to_workflow
from evalwheel_flow.agent.compact_schema import compact_schema
from evalwheel_flow.catalog import load_catalog

CATALOG = load_catalog()
EXPECTS = ("workflow", "clarify", "refuse")
TEXT = {"clarify": "question", "refuse": "message"}


class ScriptedProvider:
    """Answers each call with the next scripted tool call (a test double for a tool-calling model)."""

    def __init__(self, script: list[tuple[str, dict] | str | ChatResponse]) -> None:
        self.script = list(script)
        self.requests: list[ChatRequest] = []

    async def complete(self, request: ChatRequest, timeout_s: float) -> ChatResponse:
        self.requests.append(request)
        step = self.script.pop(0)
        if isinstance(step, ChatResponse):
            return step
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


def run_tools(script, request="Tag customers VIP when an order is over $200.", mode="tools"):
    provider = ScriptedProvider(script)
    spec = ModelSpec(name="scripted", base_url="http://127.0.0.1:9/v1", model="x")

    async def go():
        async with ModelClient(spec, provider=provider) as client:
            return await FlowAgent(client, mode=mode, max_turns=6).run(request)

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
    rows = [json.loads(line) for line in (DATA_DIR / "benchmark.jsonl").read_text().splitlines()]
    train = {r["id"]: r for r in rows if r["split"] == "train"}
    assert len(bank.items) > 100 and {s.id for s in bank.items} <= set(train)
    request = bank.items[0].request
    assert all(shot.request != request for shot in bank.retrieve(request, 5))


def test_bank_holds_the_train_splits_questions_and_refusals_with_their_references():
    bank = bank_from_file(DATA_DIR / "benchmark.jsonl", CATALOG)
    rows = {json.loads(x)["id"]: json.loads(x) for x in (DATA_DIR / "benchmark.jsonl").open()}
    kinds = {kind: [s for s in bank.items if s.expect == kind] for kind in EXPECTS}
    for kind in ("clarify", "refuse"):
        expected = {i for i, r in rows.items() if r["split"] == "train" and r["expect"] == kind}
        assert expected and {s.id for s in kinds[kind]} == expected
        assert all(
            s.reference is None and set(s.answer) == {"outcome", TEXT[kind]} for s in kinds[kind]
        )
    assert all(s.reference == rows[s.id]["reference"] for s in kinds["workflow"])
    # A vague request is shown a question, an impossible one a refusal, among its examples.
    for request, kind in (("Tag my best customers.", "clarify"), ("Post to TikTok.", "refuse")):
        assert kind in [shot.expect for shot in bank.retrieve(request, 3)]


def _write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _tag_row(item_id, tag, split=None, request=None):
    answer = {"trigger": "order_created", "actions": [{"action": "add_order_tags", "tags": [tag]}]}
    row = {
        "id": item_id,
        "request": request or f"Tag every new order {tag}.",
        "expect": "workflow",
        "tags": [],
        "reference": to_workflow(answer, CATALOG).to_data(),
    }
    return {**row, "split": split} if split else row


def test_bank_follows_an_explicit_split_over_the_seeded_one(tmp_path):
    from evalwheel.core.example import Example
    from evalwheel.datasets.splits import SplitPolicy, assign_split

    rows = [_tag_row(f"x{i}", f"t{i}") for i in range(40)]
    seeded = {
        r["id"]: assign_split(Example(id=r["id"], input=r["request"]), SplitPolicy()) for r in rows
    }
    # Every row the seed puts in train is declared test, and the others train.
    flipped = [{**r, "split": "test" if seeded[r["id"]] == "train" else "train"} for r in rows]
    bank = bank_from_file(_write(tmp_path / "b.jsonl", flipped), CATALOG)
    assert {s.id for s in bank.items} == {i for i, s in seeded.items() if s != "train"}


def test_bank_leaves_out_what_repeats_a_held_out_item(tmp_path):
    rows = [
        _tag_row("a", "gold", "train", "Put gold on new orders."),
        _tag_row("b", "gold", "test", "Every new order gets the gold tag."),  # same automation
        _tag_row("c", "silver", "train"),
        {"id": "d", "request": "Tag my best customers.", "expect": "clarify", "split": "train"},
        {"id": "e", "request": "tag my BEST customers", "expect": "clarify", "split": "dev"},
        {"id": "f", "request": "Reward loyal customers.", "expect": "clarify", "split": "train"},
        {
            "id": "g",
            "request": "Post every product to TikTok.",
            "expect": "refuse",
            "split": "train",
        },
    ]
    bank = bank_from_file(_write(tmp_path / "b.jsonl", rows), CATALOG)
    assert [s.id for s in bank.items] == ["c", "f", "g"]


def test_compact_schema_lists_every_trigger():
    schema = compact_schema(CATALOG)
    handles = set()
    for option in schema["anyOf"]:
        trigger = option["properties"].get("trigger", {})
        handles |= set(trigger.get("enum", [trigger.get("const")]) if trigger else [])
    assert handles == {t.handle for t in CATALOG.by_type("TRIGGER")}


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
        example = Example(
            id=row["id"], input=row["request"], tags=tuple(row["tags"]), split=row.get("split")
        )
        held_out = assign_split(example, SplitPolicy()) != "train"
        if held_out and row["reference"]:
            answer = from_workflow(Workflow.from_data(row["reference"]), CATALOG)
            assert answer is None or canonical_json(answer) not in bank_answers, row["id"]


def test_a_compact_question_or_refusal_needs_no_trigger():
    question = json.dumps({"outcome": "clarify", "question": "Which customers count as best?"})
    result, provider = run_tools([question], "Tag my best customers.", mode="compact")
    assert result.outcome == "clarify" and result.question == "Which customers count as best?"
    schema = provider.requests[0].response_format["json_schema"]["schema"]
    assert jsonschema.Draft202012Validator(schema).is_valid(json.loads(question))
    refusal = json.dumps({"outcome": "refuse", "message": "Flow cannot post to TikTok."})
    result, _ = run_tools([refusal], "Post to TikTok.", mode="compact")
    assert result.outcome == "refuse" and result.message == "Flow cannot post to TikTok."


def test_an_answer_cut_off_at_max_tokens_is_its_own_error():
    cut = ChatResponse(
        content='{"outcome": "workflow", "trigger": "order_cr', finish_reason="length"
    )
    for mode in ("compact", "tools"):
        result, _ = run_tools([cut], mode=mode)
        assert result.outcome == "error" and result.finish_reason == "length", mode
        assert result.error.startswith("cut off: the answer reached max_tokens="), mode


def test_tools_create_else_branches_and_loops():
    answer = {
        "trigger": "order_paid",
        "conditions": ["(order.totalPriceSet.shopMoney.amount > 300)"],
        "actions": [
            {
                "action": "foreach",
                "list": "order.lineItems",
                "item": "li",
                "conditions": [],
                "actions": [{"action": "add_product_tags", "tags": ["big-basket"]}],
            }
        ],
        "else_actions": [{"action": "add_order_tags", "tags": ["small"]}],
    }
    result, _ = run_tools([("validate_workflow", answer), ("create_workflow", answer)])
    assert result.tool_calls[0]["result"] == {"valid": True, "errors": []}
    assert result.outcome == "workflow" and result_is_valid(result, CATALOG)
    ports = {link["from_port_id"] for link in result.workflow["root"]["links"]}
    assert {"false", "loop_body"} <= ports
    result, _ = run_tools([("create_workflow", {**answer, "otherwise": []})] * 6)
    assert "unknown arguments: otherwise" in result.tool_calls[0]["result"]["errors"][0]


def test_the_ideal_trajectory_of_a_loop_or_an_else_replays_to_the_same_workflow():
    from evalwheel_flow.app import APP
    from evalwheel_flow.equivalence import check_equivalence
    from evalwheel_flow.workflow import Workflow

    rows = [json.loads(x) for x in (DATA_DIR / "benchmark.jsonl").open()]
    for shape in ("shape:foreach", "shape:else", "shape:scheduled", "shape:wait"):
        row = next(r for r in rows if shape in r["tags"])
        messages = APP.ideal_trajectory(row["request"], row["reference"])
        created = APP.execute_trajectory(messages)
        assert created is not None, shape
        reference = Workflow.from_data(row["reference"])
        assert check_equivalence(reference, Workflow.from_data(created)).equivalent, shape


def test_the_system_version_follows_the_bank(tmp_path):
    spec = ModelSpec(name="scripted", base_url="http://127.0.0.1:9/v1", model="x")
    rows = [json.loads(x) for x in (DATA_DIR / "benchmark.jsonl").open()]
    smaller = tmp_path / "b.jsonl"
    smaller.write_text("".join(json.dumps(r) + "\n" for r in rows[1:]))

    async def versions():
        async with ModelClient(spec, provider=ScriptedProvider([])) as client:
            full = FlowAgent(client, bank=bank_from_file(DATA_DIR / "benchmark.jsonl", CATALOG))
            less = FlowAgent(client, bank=bank_from_file(smaller, CATALOG))
            return full.system().version, less.system().version

    full, less = asyncio.run(versions())
    assert full != less


@pytest.mark.model
def test_the_embedded_model_writes_every_outcome_under_the_grammar():
    """The anyOf schema reaches llama.cpp as a grammar (not the any-JSON fallback): whatever the
    model decides, its raw answer is legal under the schema, and a question or a refusal carries
    nothing else."""
    requests = [
        "Tag my best customers.",
        "Print packing slips on my office printer.",
        "When an order is over $300, tag the order gold, otherwise tag it standard.",
    ]
    bank = bank_from_file(DATA_DIR / "benchmark.jsonl", CATALOG)

    async def go():
        async with ModelClient(builtin_models()["local"]) as client:
            agent = FlowAgent(client, mode="compact", bank=bank)
            return [await agent.run(r) for r in requests]

    validator = jsonschema.Draft202012Validator(compact_schema(CATALOG))
    for result in asyncio.run(go()):
        assert result.finish_reason == "stop", result.error
        answer = json.loads(result.messages[-1]["content"], strict=False)
        assert validator.is_valid(answer), answer
        if answer["outcome"] != "workflow":
            assert result.outcome == answer["outcome"] and len(answer) == 2
