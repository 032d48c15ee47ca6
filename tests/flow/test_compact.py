"""The compact form: every shipped workflow round-trips through it (else branches, for-each, waits,
schedules, several conditions), its schema lets a question or a refusal stand alone, and the
token budget holds the longest benchmark answer twice over."""

import json
from collections import Counter
from functools import cache

import jsonschema
import pytest
from llama_cpp import llama_grammar

from evalwheel_flow import DATA_DIR
from evalwheel_flow.agent.compact import compact_or_reason, from_workflow, to_workflow
from evalwheel_flow.agent.compact_schema import COMPACT_MAX_TOKENS, compact_schema
from evalwheel_flow.catalog import load_catalog
from evalwheel_flow.equivalence import check_equivalence
from evalwheel_flow.signature import signature
from evalwheel_flow.validator import validate
from evalwheel_flow.workflow import Workflow

CATALOG = load_catalog()


def references(name: str) -> list[tuple[str, list[str], dict]]:
    rows = [json.loads(line) for line in (DATA_DIR / name).read_text().splitlines() if line]
    return [(r["id"], r.get("tags", []), r["reference"]) for r in rows if r.get("reference")]


ALL = references("benchmark.jsonl") + references("workflows.jsonl")


def _content(workflow: Workflow) -> list[str]:
    """The steps' tasks and config values, ignoring step ids and the order of values."""
    return sorted(json.dumps([s.task_id, sorted(s.config().items())]) for s in workflow.root.steps)


def test_every_shipped_workflow_has_a_compact_form_that_rebuilds_it():
    reasons = Counter()
    for item_id, _, reference in ALL:
        workflow = Workflow.from_data(reference)
        answer, reason = compact_or_reason(workflow, CATALOG)
        if answer is None:
            reasons[reason] += 1
            continue
        rebuilt = to_workflow(answer, CATALOG)
        assert signature(rebuilt) == signature(workflow), item_id
        assert _content(rebuilt) == _content(workflow), item_id
        assert from_workflow(rebuilt, CATALOG) == answer, item_id
    assert not reasons, reasons


def test_each_shape_of_the_benchmark_is_oracle_equivalent_after_the_round_trip():
    shapes: dict[str, dict] = {}
    for _, tags, reference in references("benchmark.jsonl"):
        for tag in tags:
            if tag.startswith("shape:"):
                shapes.setdefault(tag, reference)
    assert {"shape:else", "shape:foreach", "shape:wait", "shape:scheduled"} <= set(shapes)
    for tag, reference in shapes.items():
        workflow = Workflow.from_data(reference)
        rebuilt = to_workflow(from_workflow(workflow, CATALOG), CATALOG)
        assert check_equivalence(workflow, rebuilt).equivalent, tag


@pytest.mark.slow
def test_every_shipped_workflow_is_oracle_equivalent_after_the_round_trip():
    for item_id, _, reference in ALL:
        workflow = Workflow.from_data(reference)
        rebuilt = to_workflow(from_workflow(workflow, CATALOG), CATALOG)
        assert check_equivalence(workflow, rebuilt).equivalent, item_id


GOLD = {"action": "add_order_tags", "tags": ["gold"]}
STANDARD = {"action": "add_order_tags", "tags": ["standard"]}
OVER_300 = "(order.totalPriceSet.shopMoney.amount > 300)"

SHAPES = {
    "else": {
        "trigger": "order_created",
        "conditions": [OVER_300],
        "actions": [GOLD],
        "else_actions": [STANDARD],
    },
    "else if": {
        "trigger": "order_created",
        "conditions": [OVER_300],
        "actions": [GOLD],
        "else_actions": [
            {
                "action": "if",
                "conditions": ["(order.totalPriceSet.shopMoney.amount > 100)"],
                "actions": [{"action": "add_order_tags", "tags": ["silver"]}],
                "else_actions": [STANDARD],
            }
        ],
    },
    "for each with a condition": {
        "trigger": "order_paid",
        "conditions": [],
        "actions": [
            {
                "action": "foreach",
                "list": "order.lineItems",
                "item": "li",
                "conditions": ["(li.product.vendor == 'Acme')"],
                "actions": [{"action": "add_product_tags", "tags": ["acme"]}],
            },
            {"action": "add_order_tags", "tags": ["sorted"]},
        ],
    },
    "wait": {
        "trigger": "customer_created",
        "conditions": [],
        "actions": [
            {"action": "wait", "duration_minutes": 1440},
            {"action": "add_customer_tags", "tags": ["welcomed"]},
        ],
    },
    "look-up before a condition": {
        "trigger": "order_created",
        "before": [{"action": "lookup_customer_in_segment", "segment": "VIP"}],
        "conditions": ["(isMember == true)"],
        "actions": [{"action": "add_order_tags", "tags": ["vip"]}],
    },
    "scheduled loop": {
        "trigger": "scheduled_time",
        "recurrence": "FREQ=DAILY",
        "conditions": [],
        "actions": [
            {"action": "get_customer_data", "query": "tag:vip"},
            {
                "action": "foreach",
                "list": "getCustomerData",
                "item": "c",
                "conditions": [],
                "actions": [{"action": "add_customer_tags", "tags": ["vip-checked"]}],
            },
        ],
    },
}


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_shapes_build_valid_workflows_and_read_back(name):
    answer = {"outcome": "workflow", **SHAPES[name]}
    workflow = to_workflow(answer, CATALOG)
    assert validate(workflow, CATALOG).ok, name
    assert from_workflow(workflow, CATALOG) == answer


def test_else_actions_hang_on_the_false_port_and_loop_ids_come_from_the_item():
    workflow = to_workflow(SHAPES["else"], CATALOG)
    false_links = [link for link in workflow.root.links if link.from_port_id == "false"]
    assert [(link.from_step_id, link.to_step_id) for link in false_links] == [
        ("condition1", "action2")
    ]
    loop = to_workflow(SHAPES["for each with a condition"], CATALOG)
    assert loop.steps["action1"].config()["product_id"] == "{{li.product.id}}"
    assert [link.from_port_id for link in loop.root.links if link.to_step_id == "action2"] == [
        "after"
    ]
    scheduled = to_workflow(SHAPES["scheduled loop"], CATALOG)
    assert scheduled.steps["trigger"].config() == {"recurrence": "FREQ=DAILY"}
    assert scheduled.steps["action2"].config()["customer_id"] == "{{c.id}}"


def test_an_id_other_than_the_default_is_kept():
    answer = {
        "outcome": "workflow",
        "trigger": "order_created",
        "conditions": [],
        "actions": [{"action": "add_order_tags", "tags": ["x"], "order_id": "{{order.id}}x"}],
    }
    workflow = to_workflow(answer, CATALOG)
    assert workflow.steps["action1"].config()["order_id"] == "{{order.id}}x"
    assert from_workflow(workflow, CATALOG) == answer


def test_what_the_form_cannot_express_says_why():
    answer = {**SHAPES["else"], "outcome": "workflow"}
    data = to_workflow(answer, CATALOG).to_data()
    # A second step on the same true port: parallel branches.
    data["root"]["steps"].append(
        {
            "step_id": "extra",
            "task_id": "shopify::admin::add_order_tags",
            "task_type": "ACTION",
            "config_field_values": [{"config_field_id": "tags", "value": '["x"]'}],
        }
    )
    data["root"]["links"].append(
        {"from_step_id": "condition1", "from_port_id": "true", "to_step_id": "extra"}
    )
    answer, reason = compact_or_reason(Workflow.from_data(data), CATALOG)
    assert answer is None and "leads to 2 steps" in reason


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"trigger": "order_created", "actions": "tag"}, "'actions' must be a list"),
        ({"trigger": "order_created", "actions": []}, "nothing to do"),
        (
            {"trigger": "order_created", "actions": [GOLD], "else_actions": [GOLD]},
            "need a condition",
        ),
        (
            {
                "trigger": "order_created",
                "actions": [{"action": "if", "conditions": [OVER_300], "actions": [GOLD]}, GOLD],
            },
            "ends its list",
        ),
        ({"trigger": "nope", "actions": [GOLD]}, "unknown trigger"),
    ],
)
def test_malformed_answers_get_a_message_a_model_can_act_on(bad, message):
    with pytest.raises(ValueError, match=message):
        to_workflow(bad, CATALOG)


def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(compact_schema(CATALOG))


def test_a_question_or_a_refusal_needs_no_workflow_fields():
    validator = _validator()
    assert validator.is_valid({"outcome": "clarify", "question": "Which customers count?"})
    assert validator.is_valid({"outcome": "refuse", "message": "Flow cannot send SMS."})
    assert not validator.is_valid({"outcome": "clarify"})
    assert not validator.is_valid({"outcome": "workflow", "question": "Which customers?"})
    assert not validator.is_valid({"outcome": "clarify", "question": "x" * 1000})
    for name, shape in SHAPES.items():
        assert validator.is_valid({"outcome": "workflow", **shape}), name


def test_every_benchmark_answer_is_legal_under_the_grammar_schema():
    """What the few-shot examples show the model must be writable under its grammar (an example
    the grammar cannot produce teaches nothing)."""
    validator = _validator()
    illegal = []
    for item_id, _, reference in references("benchmark.jsonl"):
        answer = from_workflow(Workflow.from_data(reference), CATALOG)
        if not validator.is_valid(answer):
            illegal.append(item_id)
    assert not illegal


def test_the_schema_converts_to_a_llama_cpp_grammar():
    """llama-cpp-python falls back to any JSON when a schema does not convert; this one must."""
    grammar = llama_grammar.json_schema_to_gbnf(json.dumps(compact_schema(CATALOG)))
    assert '"\\"clarify\\""' in grammar and '"\\"else_actions\\""' in grammar


@cache
def _tokenizer():
    from llama_cpp import Llama

    from evalwheel.llm.embedded import find_gguf

    return Llama(model_path=str(find_gguf()), vocab_only=True, verbose=False)


def test_the_token_budget_holds_every_benchmark_answer_twice():
    """Counted with the embedded model's own tokenizer (vocabulary only, no weights)."""
    llm = _tokenizer()
    longest = max(
        len(llm.tokenize(json.dumps(from_workflow(Workflow.from_data(r), CATALOG)).encode()))
        for _, _, r in ALL
    )
    assert longest * 2 <= COMPACT_MAX_TOKENS, longest
