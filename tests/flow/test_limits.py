"""Resource limits on untrusted workflows: Liquid, the executor, the validator and the oracle.

Costs are asserted in work units (``evalwheel_flow.limits``), not seconds: the limits are counts,
so the same workflow stops at the same point on every machine. Before these limits a 4000×4000
loop validated and took 65 s to score one item.
"""

from __future__ import annotations

import pytest

from evalwheel_flow import liquid_fields
from evalwheel_flow.catalog import load_catalog
from evalwheel_flow.equivalence import check_equivalence
from evalwheel_flow.limits import (
    LIQUID_OUTPUT_BYTES,
    ORACLE_EVENTS,
    WORKFLOW_STEPS,
    WorkBudget,
)
from evalwheel_flow.scoring import score
from evalwheel_flow.shop.events import Event, sample_payload
from evalwheel_flow.shop.executor import execute
from evalwheel_flow.simulation_summary import simulate_summary
from evalwheel_flow.validator import validate
from evalwheel_flow.workflow import Workflow
from tests.flow.helpers import T, workflow

CATALOG = load_catalog()
BIG_ORDER = "(order.totalPriceSet.shopMoney.amount > 200)"
TAG = ("add_order_tags", {"tags": ["big"]})
LOOP_4000 = "{% for i in (1..4000) %}{% for j in (1..4000) %}x{% endfor %}{% endfor %}"


def emailing(body: str, *, copies: int = 1) -> Workflow:
    """Tag big orders, then send ``copies`` internal emails with ``body``."""
    email = ("send_internal_email", {"to": "ops@example.com", "subject": "s", "body": body})
    return workflow("order_created", BIG_ORDER, [TAG] + [email] * copies)


def config_errors(wf: Workflow) -> list[str]:
    report = validate(wf, CATALOG)
    assert not report.taskErrors, report.taskErrors
    return [p.message for p in report.configFieldErrors]


def order_event() -> Event:
    return Event(T + "order_created", sample_payload(CATALOG, CATALOG.task(T + "order_created")))


def test_a_4000_by_4000_loop_is_invalid_and_refused_before_its_first_iteration() -> None:
    errors = config_errors(emailing(LOOP_4000))
    assert errors == [
        "Liquid resource limit: more than 1,000 loop iterations in one field (nested loops multiply)"
    ]
    budget = WorkBudget(10**9, "test")
    with pytest.raises(liquid_fields.LiquidLimitError, match="loop iterations"):
        liquid_fields.render(LOOP_4000, {}, budget)
    assert budget.spent == len(LOOP_4000)  # one pass over the text, no iteration


@pytest.mark.parametrize(
    ("template", "message"),
    [
        # nested loops multiply: 50 × 50 is refused at the inner loop's first entry
        (
            "{% for a in (1..50) %}{% for b in (1..50) %}{{ a }}{% endfor %}{% endfor %}",
            "loop iterations",
        ),
        # sibling loops count together (python-liquid's own limit checks each nest alone)
        ("{% for i in (1..600) %}{% endfor %}{% for i in (1..600) %}{% endfor %}", "loop iter"),
        # a loop body is charged a pass over the field per iteration
        ("{% for i in (1..900) %}" + "{{ i }}" * 30 + "{% endfor %}", "work units"),
        # a filter given a huge range is refused before it builds the string
        ("{{ (1..1000000) | join: ',' }}", "work units"),
        # output: 9,000 × 11 bytes
        ("{{ (1..9000) | join: 'xxxxxxxxxx' }}", f"more than {LIQUID_OUTPUT_BYTES:,} bytes"),
        # assigned variables doubling in a loop
        (
            "{% assign s = 'xxxxxxxx' %}{% for i in (1..30) %}{% assign s = s | append: s %}"
            "{% endfor %}{{ s | size }}",
            "assigned variables",
        ),
        ("{{ order.name }}" + " " * 10_000, "characters of Liquid"),
    ],
)
def test_liquid_over_a_limit_is_a_validator_error_and_a_failed_run(
    template: str, message: str
) -> None:
    errors = config_errors(emailing(template))
    assert len(errors) == 1 and errors[0].startswith("Liquid resource limit: "), errors
    assert message in errors[0]
    run = execute(emailing(template), order_event())
    if run.effects:  # the email step fired: the run failed there, with the limit named
        assert run.error and run.error.startswith("Liquid: ") and message in run.error


def test_liquid_within_the_limits_validates_and_renders() -> None:
    body = (
        "{% for li in order.lineItems %}{{ li.title }}{% unless forloop.last %}, {% endunless %}"
        "{% endfor %} ({% for a in (1..10) %}{% for b in (1..10) %}.{% endfor %}{% endfor %})"
    )
    wf = emailing(body)
    assert validate(wf, CATALOG).ok, validate(wf, CATALOG).errors()
    event = order_event()
    event.payload["order"]["totalPriceSet"]["shopMoney"]["amount"] = "250.00"
    run = execute(wf, event)
    titles = ", ".join(li["title"] for li in event.payload["order"]["lineItems"])
    assert run.error is None
    assert run.snapshot["outbox"][0]["body"] == f"{titles} ({'.' * 100})"


def test_fields_within_their_own_limits_but_too_many_together_are_invalid() -> None:
    heavy = "{% for i in (1..900) %}{{ i }}{% endfor %}" + " " * 60  # ~90,000 units a render
    assert config_errors(emailing(heavy)) == []
    errors = config_errors(emailing(heavy, copies=4))
    assert errors and "trial-rendering its Liquid fields needs more than" in errors[-1]


def test_the_oracle_stops_at_its_work_limit_and_says_so() -> None:
    heavy = "{% for i in (1..900) %}{{ i }}{% endfor %}" + " " * 60
    reference = emailing("done")
    candidate = emailing(heavy, copies=12)  # ~1.1 M units on the first event that fires
    result = check_equivalence(reference, candidate, CATALOG)
    assert not result.equivalent and result.limit
    assert "this equivalence check needs more than 1,000,000 work units" in result.limit
    scored = score("workflow", reference.to_data(), "workflow", candidate.to_data())
    assert not scored.passed and scored.equivalent is False and scored.limit == result.limit
    summary = simulate_summary(candidate, CATALOG)
    assert "stopped after" in summary and "simulating this workflow needs more than" in summary


def fanning_out(rungs: int) -> Workflow:
    """Tagging actions whose output leads to two more, joining again: 2**rungs paths, each adding
    the same tag, so the end state is one tag on the order."""
    data = workflow("order_created", None, []).to_data()
    steps, links = data["root"]["steps"], data["root"]["links"]
    tag = [{"config_field_id": "tags", "value": '["big"]'}]

    def add(step_id: str, *sources: str) -> None:
        steps.append(
            {
                "step_id": step_id,
                "task_id": T + "add_order_tags",
                "task_type": "ACTION",
                "config_field_values": tag,
            }
        )
        links.extend(
            {"from_step_id": s, "from_port_id": p, "to_step_id": step_id, "to_port_id": "input"}
            for s, p in ((source, "output") for source in sources)
        )

    add("join0", "trigger")
    for i in range(rungs):
        add(f"left{i}", f"join{i}")
        add(f"right{i}", f"join{i}")
        add(f"join{i + 1}", f"left{i}", f"right{i}")
    return Workflow.from_data(data)


def test_paths_that_multiply_exhaust_the_oracle_budget() -> None:
    ladder = fanning_out(11)  # ~6,000 steps an event, under the executor's 10,000 a run
    tag_it = workflow("order_created", None, [TAG])
    assert validate(ladder, CATALOG).ok
    run = execute(ladder, order_event())
    assert run.error is None and run.behaviour() == execute(tag_it, order_event()).behaviour()
    result = check_equivalence(tag_it, ladder, CATALOG)
    assert not result.equivalent and result.events_checked < 3
    assert result.limit and "work units" in result.limit


def test_too_many_literals_make_a_suite_the_oracle_does_not_build() -> None:
    conditions = [f"(order.totalPriceSet.shopMoney.amount > {n})" for n in range(0, 1500, 10)]
    many = workflow("order_created", None, [TAG], conditions=conditions)
    result = check_equivalence(workflow("order_created", BIG_ORDER, [TAG]), many, CATALOG)
    assert not result.equivalent and result.events_checked == 0
    assert result.limit and f"more than {ORACLE_EVENTS:,} events" in result.limit


def test_a_workflow_over_the_size_limits_gets_one_task_error_and_is_not_run() -> None:
    huge = workflow("order_created", None, [TAG] * (WORKFLOW_STEPS + 1))
    report = validate(huge, CATALOG)
    assert [p.message for p in report.taskErrors] == [
        f"the workflow has {WORKFLOW_STEPS + 2:,} steps (at most {WORKFLOW_STEPS:,})"
    ]
    assert report.configFieldErrors == [] and not report.ok
    result = check_equivalence(workflow("order_created", None, [TAG]), huge, CATALOG)
    assert not result.equivalent and result.limit and "steps" in result.limit
    assert simulate_summary(huge, CATALOG).startswith("not simulated: the workflow has")
