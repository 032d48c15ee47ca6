"""The oracle sees what a workflow computes even when only a free field reports it.

Free wording (an e-mail's subject and body, a note) is compared by presence, so before this a report
workflow (get data → count or sum → e-mail) was "equivalent" to one with another query, another
summed field, or no number in the e-mail at all. And a search query the simulator cannot read
found every resource, so any two such queries were the same workflow. The pairs are built from
shipped references (ids named), written out here.
"""

from __future__ import annotations

from typing import Any

import pytest

from evalwheel_flow.equivalence import check_equivalence
from evalwheel_flow.shop.executor import query_term
from evalwheel_flow.workflow import Workflow


def chain(trigger: str, steps: list[tuple[str, dict[str, str]]], trigger_config=None) -> Workflow:
    """trigger → each action in sequence (data steps and the e-mail)."""
    data: list[dict[str, Any]] = [
        {
            "step_id": "trigger",
            "task_id": f"shopify::admin::{trigger}",
            "task_type": "TRIGGER",
            "config_field_values": [
                {"config_field_id": k, "value": v} for k, v in (trigger_config or {}).items()
            ],
        }
    ]
    links = []
    for i, (handle, fields) in enumerate(steps):
        data.append(
            {
                "step_id": f"s{i}",
                "task_id": f"shopify::admin::{handle}",
                "task_type": "ACTION",
                "config_field_values": [
                    {"config_field_id": k, "value": v} for k, v in fields.items()
                ],
            }
        )
        links.append(
            {
                "from_step_id": data[-2]["step_id"],
                "from_port_id": "output",
                "to_step_id": f"s{i}",
                "to_port_id": "input",
            }
        )
    return Workflow.from_data(
        {
            "__metadata": {"version": 0.1},
            "root": {"workflow_name": "t", "steps": data, "links": links, "patched_fields": []},
        }
    )


def low_stock_count(query: str = "tag:low-stock", body: str = "{{count}} products") -> Workflow:
    """bench-0279: every day, e-mail how many products are tagged low-stock."""
    return chain(
        "scheduled_time",
        [
            ("get_product_data", {"query": query}),
            ("count", {"list": "getProductData"}),
            ("send_internal_email", {"to": "alerts@myshop.test", "subject": "s", "body": body}),
        ],
        {"recurrence": "FREQ=DAILY"},
    )


def sales_total(
    query: str = "tag:today",
    field: str = "totalPriceSet.shopMoney.amount",
    body: str = "Orders add up to {{sum}}.",
) -> Workflow:
    """bench-w-0041: each morning, e-mail the sum of the totals of orders tagged today."""
    return chain(
        "scheduled_time",
        [
            ("get_order_data", {"query": query}),
            ("sum", {"list": "getOrderData", "field": field}),
            ("send_internal_email", {"to": "hello@kitecraft.io", "subject": "s", "body": body}),
        ],
        {"recurrence": "FREQ=DAILY;BYHOUR=8"},
    )


@pytest.mark.parametrize(
    "other",
    [
        low_stock_count(query="tag:clearance"),  # counts other products
        low_stock_count(query=""),  # counts every product
        low_stock_count(body="Low stock report."),  # never says how many
    ],
)
def test_a_count_a_report_quotes_is_behaviour(other):
    # Old code: each of these was "equivalent" (the body is free, so the count was never read).
    result = check_equivalence(low_stock_count(), other)
    assert not result.equivalent
    assert any("quoted_data" in d["path"] for d in result.counterexample["diff"])


@pytest.mark.parametrize(
    "other",
    [sales_total(query="tag:yesterday"), sales_total(field="subtotalPriceSet.shopMoney.amount")],
)
def test_a_sum_a_report_quotes_is_behaviour(other):
    assert not check_equivalence(sales_total(), other).equivalent


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (low_stock_count(), low_stock_count(body="Low-stock products today: {{ count }}")),
        (sales_total(), sales_total(body="Total {{ sum | round: 2 }}")),
        (sales_total(), sales_total(query="tag:'Today'")),
    ],
)
def test_the_wording_around_the_reported_data_is_still_free(a, b):
    result = check_equivalence(a, b)
    assert result.equivalent, result.counterexample


def test_queries_the_simulator_cannot_read_are_not_all_the_same():
    # Old code: both found every order, so the two reports were "equivalent".
    last_day = sales_total(query="created_at:>-1d")
    last_week = sales_total(query="created_at:>-7d")
    assert not check_equivalence(last_day, last_week).equivalent
    spaced = sales_total(query="  Created_at:>-1d ")
    assert check_equivalence(last_day, spaced).equivalent


@pytest.mark.parametrize(
    ("query", "term"),
    [
        ("tag:vip", ("tags", "vip")),
        ("tag:'low stock'", ("tags", "low stock")),
        ("tag:vip status:open", None),  # two terms: old code read the tag "vip status:open"
        ("created_at:>-7d", None),
        ("title:x", None),
    ],
)
def test_query_terms(query, term):
    assert query_term(query) == term
