import json

import pytest

from evalwheel_flow import DATA_DIR
from evalwheel_flow.catalog import load_catalog
from evalwheel_flow.shop.events import Event, sample_payload, set_path
from evalwheel_flow.shop.executor import execute
from evalwheel_flow.validator import validate
from evalwheel_flow.workflow import Workflow
from tests.flow.helpers import T, workflow

CATALOG = load_catalog()


def shipped_workflows():
    for name in ("benchmark", "workflows", "golden_candidates"):
        for line in (DATA_DIR / f"{name}.jsonl").read_text().splitlines():
            row = json.loads(line)
            if row.get("reference") is not None:
                yield f"{name}:{row['id']}", Workflow.from_data(row["reference"])


def test_benchmark_covers_what_the_issue_asks():
    rows = [json.loads(line) for line in (DATA_DIR / "benchmark.jsonl").read_text().splitlines()]
    assert len(rows) >= 300
    assert len({t for r in rows for t in r["tags"] if t.startswith("trigger:")}) >= 15
    expects = {r["expect"] for r in rows}
    assert expects == {"workflow", "clarify", "refuse"}
    from evalwheel_flow.conditions.ast import BINARY_OPS, QUANTIFIERS, UNARY_OPS

    ops = {t[3:] for r in rows for t in r["tags"] if t.startswith("op:")}
    assert set(BINARY_OPS) | set(UNARY_OPS) | set(QUANTIFIERS) <= ops
    tags = {t for r in rows for t in r["tags"]}
    assert {"foreach", "scheduled", "multi-action"} <= tags


def test_catalog_has_the_breadth_the_app_needs():
    assert len(CATALOG.by_type("TRIGGER")) >= 20 and len(CATALOG.by_type("ACTION")) >= 30
    assert CATALOG.search("tag customer")[0].handle in ("add_customer_tags", "customer_tags_added")


def test_documents_round_trip_losslessly_with_unknown_keys():
    data = json.loads((DATA_DIR / "benchmark.jsonl").read_text().splitlines()[0])["reference"]
    assert data is not None
    data["root"]["steps"][0]["position"] = {"x": 10, "y": 20}
    data["editor"] = {"zoom": 1.5}
    assert Workflow.from_data(data).to_data() == data
    canonical = Workflow.from_data(data).canonical()
    assert canonical == Workflow.from_data(json.loads(canonical)).canonical()


@pytest.mark.parametrize(("item_id", "wf"), list(shipped_workflows()))
def test_every_shipped_reference_validates_and_runs(item_id, wf):
    report = validate(wf, CATALOG)
    assert report.ok, report.errors()
    trigger = wf.triggers()[0]
    for seed in range(3):
        result = execute(
            wf,
            Event(
                trigger.task_id, sample_payload(CATALOG, CATALOG.task(trigger.task_id), seed=seed)
            ),
        )
        assert result.fired and result.error is None


def _buckets(wf):
    report = validate(wf, CATALOG)
    return {
        bucket: [p.message for p in getattr(report, bucket)]
        for bucket in ("taskErrors", "configFieldErrors", "conditionErrors", "foreachBodyErrors")
        if getattr(report, bucket)
    }


def test_context_mismatch_is_a_task_error():
    errors = _buckets(workflow("customer_created", None, [("add_order_tags", {"tags": ["x"]})]))
    assert list(errors) == ["taskErrors"] and "needs a order" in errors["taskErrors"][0]


def test_config_field_errors():
    errors = _buckets(
        workflow(
            "order_created",
            None,
            [
                ("add_order_tags", {"tags": "VIP"}),
                ("cancel_order", {"reason": "BORED", "refund": "yes", "restock": "true"}),
                (
                    "send_internal_email",
                    {"to": "not-an-email", "subject": "{{ order.nmae }}", "body": "x"},
                ),
            ],
        )
    )
    messages = " | ".join(errors["configFieldErrors"])
    assert (
        "JSON array" in messages
        and "'BORED' is not one of" in messages
        and "must be true or false" in messages
    )
    assert "not an email address" in messages and "has no field 'nmae'" in messages


def test_condition_errors():
    errors = _buckets(
        workflow(
            "order_created", "(order.tags include? 'vip')", [("add_order_tags", {"tags": ["x"]})]
        )
    )
    assert "any? with ==" in errors["conditionErrors"][0]
    errors = _buckets(
        workflow(
            "order_created", "(order.riskLevel == 'EXTREME')", [("add_order_tags", {"tags": ["x"]})]
        )
    )
    assert "not among LOW, MEDIUM, HIGH" in errors["conditionErrors"][0]
    errors = _buckets(
        workflow("order_created", "(order.total > {{ x }})", [("add_order_tags", {"tags": ["x"]})])
    )
    assert "Liquid is not allowed" in errors["conditionErrors"][0]


def test_structure_errors():
    wf = workflow("order_created", None, [("add_order_tags", {"tags": ["x"]})])
    data = wf.to_data()
    data["root"]["steps"].append(dict(data["root"]["steps"][0], step_id="trigger2"))
    data["root"]["links"].append(
        {
            "from_step_id": "action0",
            "from_port_id": "true",
            "to_step_id": "ghost",
            "to_port_id": "input",
        }
    )
    errors = " | ".join(_buckets(Workflow.from_data(data))["taskErrors"])
    assert "exactly one trigger" in errors and "missing step 'ghost'" in errors


def test_foreach_over_a_non_list_is_a_foreach_body_error():
    data = workflow("order_created", None, []).to_data()
    data["root"]["steps"].append(
        {
            "step_id": "loop",
            "task_id": "shopify::flow::foreach",
            "task_type": "FOREACH",
            "config_field_values": [
                {"config_field_id": "list", "value": "order.name"},
                {"config_field_id": "item", "value": "li"},
            ],
        }
    )
    data["root"]["links"].append(
        {
            "from_step_id": "trigger",
            "from_port_id": "output",
            "to_step_id": "loop",
            "to_port_id": "input",
        }
    )
    errors = _buckets(Workflow.from_data(data))
    assert any("not a list" in m for m in errors["foreachBodyErrors"])
    assert any("loop body is empty" in m for m in errors["foreachBodyErrors"])


def test_inventory_prior_pitfall_is_a_warning_not_an_error():
    wf = workflow(
        "product_variant_inventory_quantity_changed",
        "(productVariant.inventoryQuantity < 5)",
        [("add_product_tags", {"tags": ["low"]})],
    )
    report = validate(wf, CATALOG)
    assert report.ok and "inventoryQuantityPrior" in report.warnings[0].message


def _order_event(**paths):
    payload = sample_payload(CATALOG, CATALOG.task(T + "order_created"), seed=0)
    for path, value in paths.items():
        set_path(payload, tuple(path.split("__")), value)
    return Event(T + "order_created", payload)


def test_executor_applies_actions_and_captures_messages():
    wf = workflow(
        "order_created",
        "(order.totalPriceSet.shopMoney.amount > 200)",
        [
            ("add_customer_tags", {"customer_id": "{{order.customer.id}}", "tags": ["VIP"]}),
            (
                "send_internal_email",
                {"to": "ops@example.com", "subject": "Big order {{ order.name }}", "body": "x"},
            ),
        ],
    )
    event = _order_event(order__totalPriceSet__shopMoney__amount="250.00", order__name="#1001")
    result = execute(wf, event)
    customer = event.payload["order"]["customer"]["id"]
    assert "vip" in result.snapshot["resources"][customer]["tags"]
    assert result.snapshot["outbox"] == [
        {
            "action": "send_internal_email",
            "body": "x",
            "subject": "Big order #1001",
            "to": "ops@example.com",
        }
    ]
    quiet = execute(wf, _order_event(order__totalPriceSet__shopMoney__amount="200.00"))
    assert quiet.effects == [] and quiet.fired


def test_foreach_count_and_wait():
    data = workflow("order_created", None, []).to_data()
    steps, links = data["root"]["steps"], data["root"]["links"]
    steps += [
        {
            "step_id": "loop",
            "task_id": "shopify::flow::foreach",
            "task_type": "FOREACH",
            "config_field_values": [
                {"config_field_id": "list", "value": "order.lineItems"},
                {"config_field_id": "item", "value": "li"},
            ],
        },
        {
            "step_id": "tag",
            "task_id": T + "add_product_tags",
            "task_type": "ACTION",
            "config_field_values": [
                {"config_field_id": "product_id", "value": "{{li.product.id}}"},
                {"config_field_id": "tags", "value": '["sold"]'},
            ],
        },
        {
            "step_id": "pause",
            "task_id": "shopify::flow::wait",
            "task_type": "WAIT",
            "config_field_values": [{"config_field_id": "duration_minutes", "value": "60"}],
        },
    ]
    links += [
        {
            "from_step_id": "trigger",
            "from_port_id": "output",
            "to_step_id": "loop",
            "to_port_id": "input",
        },
        {
            "from_step_id": "loop",
            "from_port_id": "loop_body",
            "to_step_id": "tag",
            "to_port_id": "input",
        },
        {
            "from_step_id": "loop",
            "from_port_id": "after",
            "to_step_id": "pause",
            "to_port_id": "input",
        },
    ]
    wf = Workflow.from_data(data)
    assert validate(wf, CATALOG).ok, validate(wf, CATALOG).errors()
    event = _order_event()
    result = execute(wf, event)
    products = [li["product"]["id"] for li in event.payload["order"]["lineItems"]]
    assert [e["target"] for e in result.effects if e["action"] == "add_product_tags"] == products
    assert result.effects[-1] == {"action": "wait", "minutes": 60}


def test_schedules_must_be_rrules_no_more_often_than_every_ten_minutes():
    def scheduled(rule):
        data = workflow(
            "scheduled_time",
            None,
            [("send_internal_email", {"to": "a@b.co", "subject": "s", "body": "b"})],
        ).to_data()
        data["root"]["steps"][0]["config_field_values"] = [
            {"config_field_id": "recurrence", "value": rule}
        ]
        return _buckets(Workflow.from_data(data))

    assert scheduled("FREQ=WEEKLY;BYDAY=MO") == {}
    assert "every 10 minutes" in scheduled("FREQ=MINUTELY;INTERVAL=5")["configFieldErrors"][0]
    assert "not an RRULE" in scheduled("every monday")["configFieldErrors"][0]


@pytest.mark.parametrize("trigger", [t.handle for t in CATALOG.by_type("TRIGGER")])
def test_every_trigger_has_an_event_that_runs(trigger):
    wf = workflow(
        trigger,
        None,
        [("send_internal_email", {"to": "ops@example.com", "subject": "s", "body": "b"})],
    )
    if trigger == "scheduled_time":
        data = wf.to_data()
        data["root"]["steps"][0]["config_field_values"] = [
            {"config_field_id": "recurrence", "value": "FREQ=DAILY"}
        ]
        wf = Workflow.from_data(data)
    assert validate(wf, CATALOG).ok
    event = Event(T + trigger, sample_payload(CATALOG, CATALOG.task(T + trigger), seed=3))
    result = execute(wf, event)
    assert result.fired and result.error is None and len(result.snapshot["outbox"]) == 1


def test_sum_adds_a_field_over_a_list():
    data = workflow("order_created", None, []).to_data()
    data["root"]["steps"] += [
        {
            "step_id": "total",
            "task_id": T + "sum",
            "task_type": "ACTION",
            "config_field_values": [
                {"config_field_id": "list", "value": "order.lineItems"},
                {"config_field_id": "field", "value": "quantity"},
            ],
        },
        {
            "step_id": "mail",
            "task_id": T + "send_internal_email",
            "task_type": "ACTION",
            "config_field_values": [
                {"config_field_id": "to", "value": "a@b.co"},
                {"config_field_id": "subject", "value": "n"},
                {"config_field_id": "body", "value": "{{ sum }} items"},
            ],
        },
    ]
    data["root"]["links"] += [
        {
            "from_step_id": "trigger",
            "from_port_id": "output",
            "to_step_id": "total",
            "to_port_id": "input",
        },
        {
            "from_step_id": "total",
            "from_port_id": "output",
            "to_step_id": "mail",
            "to_port_id": "input",
        },
    ]
    wf = Workflow.from_data(data)
    assert validate(wf, CATALOG).ok, validate(wf, CATALOG).errors()
    event = _order_event()
    expected = sum(li["quantity"] for li in event.payload["order"]["lineItems"])
    result = execute(wf, event)
    assert result.snapshot["outbox"][0]["body"] == f"{float(expected)} items"
