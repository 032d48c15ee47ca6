"""The oracle's suite reaches what the long-tail benchmark uses (issue 12): for-each items, data
steps (get data from the shop's stock, count, sum, segment lookups), fulfillment holds and what
the shop looks like while a wait lasts. Each pair below was a survivor of bench/flow_mutation.py
on the rebuilt benchmark (the reference's id is named): before, the suite never made an event
that told the two apart.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from evalwheel_flow.equivalence import build_suite, check_equivalence
from evalwheel_flow.shop.events import Event
from evalwheel_flow.shop.executor import execute
from evalwheel_flow.workflow import Workflow
from tests.flow.helpers import T, workflow

FLOW = "shopify::flow::"


def graph(
    trigger: str, steps: list[tuple[str, str, dict[str, Any]]], links: list[tuple[str, str, str]]
) -> Workflow:
    """A workflow from (step id, task, config) and (from, port, to); the trigger is 'trigger'."""
    task_types = {"condition": "CONDITION", "foreach": "FOREACH", "wait": "WAIT"}
    data_steps = [{"step_id": "trigger", "task_id": T + trigger, "task_type": "TRIGGER"}]
    if trigger == "scheduled_time":
        data_steps[0]["config_field_values"] = [
            {"config_field_id": "recurrence", "value": "FREQ=DAILY"}
        ]
    for step_id, task, config in steps:
        control = task in task_types
        data_steps.append(
            {
                "step_id": step_id,
                "task_id": (FLOW if control else T) + task,
                "task_type": task_types.get(task, "ACTION"),
                "config_field_values": [
                    {"config_field_id": k, "value": v if isinstance(v, str) else json.dumps(v)}
                    for k, v in config.items()
                ],
            }
        )
    for step in data_steps:
        step.setdefault("config_field_values", [])
    return Workflow.from_data(
        {
            "__metadata": {"version": 0.1},
            "root": {
                "workflow_name": "t",
                "steps": data_steps,
                "links": [
                    {"from_step_id": f, "from_port_id": p, "to_step_id": t, "to_port_id": "input"}
                    for f, p, t in links
                ],
                "patched_fields": [],
            },
        }
    )


def bulk_lines(quantity: int) -> Workflow:
    """bench-w-0069: tag new orders with a line of 50 or more wholesale-qty (a for-each)."""
    return graph(
        "order_created",
        [
            ("loop", "foreach", {"list": "order.lineItems", "item": "li"}),
            ("check", "condition", {"condition": f"(li.quantity >= {quantity})"}),
            ("tag", "add_order_tags", {"order_id": "{{order.id}}", "tags": ["wholesale-qty"]}),
        ],
        [("trigger", "output", "loop"), ("loop", "loop_body", "check"), ("check", "true", "tag")],
    )


def test_a_condition_on_a_loop_item_is_probed():
    assert check_equivalence(bulk_lines(50), bulk_lines(50)).equivalent
    assert not check_equivalence(bulk_lines(50), bulk_lines(51)).equivalent


def win_back(query: str, action: str = "add_customer_tags") -> Workflow:
    """bench-w-0006: monthly, tag every customer tagged lapsed win-back (get data, for-each)."""
    return graph(
        "scheduled_time",
        [
            ("fetch", "get_customer_data", {"query": query}),
            ("loop", "foreach", {"list": "getCustomerData", "item": "c"}),
            ("tag", action, {"customer_id": "{{c.id}}", "tags": ["win-back"]}),
        ],
        [("trigger", "output", "fetch"), ("fetch", "output", "loop"), ("loop", "loop_body", "tag")],
    )


@pytest.mark.parametrize(
    "mutant",
    [win_back("tag:lapsed-90"), win_back("tag:lapsed", "remove_customer_tags")],
    ids=["another query", "another action"],
)
def test_a_scheduled_workflow_finds_resources_in_the_shop(mutant):
    result = check_equivalence(win_back("tag:lapsed"), mutant)
    assert not result.equivalent
    assert result.counterexample["event"]["stock"]["Customer"]


def test_a_query_filters_on_the_field_it_names():
    customer = {"id": "gid://shopify/Customer/1", "tags": ["Lapsed"]}
    other = {"id": "gid://shopify/Customer/2", "tags": ["vip"]}
    event = Event(T + "scheduled_time", {"scheduledAt": "2026-01-01T00:00:00Z"})
    event.stock = {"Customer": [customer, other]}
    run = execute(win_back("tag:lapsed"), event)
    assert [e["target"] for e in run.effects] == ["gid://shopify/Customer/1"]


def long_pick_list(over: int) -> Workflow:
    """bench-w-0020: tag orders with more than 8 line items pick-list-long (count)."""
    return graph(
        "order_created",
        [
            ("lines", "count", {"list": "order.lineItems"}),
            ("check", "condition", {"condition": f"(count > {over})"}),
            ("tag", "add_order_tags", {"order_id": "{{order.id}}", "tags": ["pick-list-long"]}),
        ],
        [("trigger", "output", "lines"), ("lines", "output", "check"), ("check", "true", "tag")],
    )


def test_a_count_is_probed_around_its_threshold():
    assert check_equivalence(long_pick_list(8), long_pick_list(8)).equivalent
    result = check_equivalence(long_pick_list(8), long_pick_list(9))
    assert not result.equivalent
    assert len(result.counterexample["event"]["payload"]["order"]["lineItems"]) == 9


def pallet(at_least: int) -> Workflow:
    """bench-w-0256: tag orders whose line quantities add up to 50 or more pallet (sum)."""
    return graph(
        "order_created",
        [
            ("total", "sum", {"list": "order.lineItems", "field": "quantity"}),
            ("check", "condition", {"condition": f"(sum >= {at_least})"}),
            ("tag", "add_order_tags", {"order_id": "{{order.id}}", "tags": ["pallet"]}),
        ],
        [("trigger", "output", "total"), ("total", "output", "check"), ("check", "true", "tag")],
    )


def test_a_sum_is_probed_around_its_threshold():
    assert not check_equivalence(pallet(50), pallet(51)).equivalent


def segment_order(segment: str) -> Workflow:
    """bench-w-0091: email finance when a new order's customer is in Wholesale buyers."""
    return graph(
        "order_created",
        [
            (
                "lookup",
                "lookup_customer_in_segment",
                {"customer_id": "{{order.customer.id}}", "segment": segment},
            ),
            ("check", "condition", {"condition": "(isMember == true)"}),
            (
                "mail",
                "send_internal_email",
                {"to": "finance@shop.example", "subject": "Segment order", "body": "x"},
            ),
        ],
        [("trigger", "output", "lookup"), ("lookup", "output", "check"), ("check", "true", "mail")],
    )


def test_a_segment_lookup_is_probed_with_members_and_others():
    assert not check_equivalence(
        segment_order("Wholesale buyers"), segment_order("Retail buyers")
    ).equivalent


def release(condition: str) -> Workflow:
    """bench-w-0054: when an order tagged expedite is on hold, release the hold."""
    return workflow(
        "order_tags_added",
        condition,
        [("release_fulfillment_order_hold", {"order_id": "{{order.id}}"})],
    )


def test_releasing_a_hold_is_visible_and_fails_without_one():
    held = "((tags any? |t| (t == 'expedite')) && (order.displayFulfillmentStatus == 'ON_HOLD'))"
    tagged = "(tags any? |t| (t == 'expedite'))"
    assert check_equivalence(release(held), release(held)).equivalent
    assert not check_equivalence(
        release(held), release(held.replace("expedite", "rush"))
    ).equivalent
    assert not check_equivalence(release(held), release(tagged)).equivalent


def hold_then_release(reason: str) -> Workflow:
    """bench-w-0215: hold medium-risk orders for 3 days, then release them."""
    return graph(
        "order_risk_analyzed",
        [
            ("check", "condition", {"condition": "(order.riskLevel == 'MEDIUM')"}),
            ("hold", "hold_fulfillment_order", {"order_id": "{{order.id}}", "reason": reason}),
            ("pause", "wait", {"duration_minutes": "4320"}),
            ("free", "release_fulfillment_order_hold", {"order_id": "{{order.id}}"}),
        ],
        [
            ("trigger", "output", "check"),
            ("check", "true", "hold"),
            ("hold", "output", "pause"),
            ("pause", "output", "free"),
        ],
    )


def test_what_the_shop_looks_like_during_a_wait_is_behaviour():
    result = check_equivalence(
        hold_then_release("HIGH_RISK_OF_FRAUD"), hold_then_release("AWAITING_PAYMENT")
    )
    assert not result.equivalent
    assert any("fulfillment_hold.reason" in d["path"] for d in result.counterexample["diff"])


def test_stock_items_match_every_query_of_their_kind_alone_too():
    a, b = win_back("tag:lapsed"), win_back("tag:dormant")
    found = [
        {tag for item in event.stock.get("Customer", []) for tag in item["tags"]}
        for event in build_suite(a, b)
    ]
    assert any("lapsed" in tags and "dormant" not in tags for tags in found)
    assert any("dormant" in tags and "lapsed" not in tags for tags in found)


def test_flow_run_replays_a_counterexample_with_its_stock(tmp_path):
    from evalwheel.cli.app import app
    from tests.helpers import runner

    result = check_equivalence(win_back("tag:lapsed"), win_back("tag:lapsed-90"))
    (tmp_path / "wf.json").write_text(json.dumps(win_back("tag:lapsed").to_data()))
    (tmp_path / "event.json").write_text(json.dumps(result.counterexample["event"]))
    out = runner.invoke(
        app,
        ["flow", "run", str(tmp_path / "wf.json"), "--event", str(tmp_path / "event.json")],
    )
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["effects"] == result.counterexample["a"]["effects"] != []
