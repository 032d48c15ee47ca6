"""Flow answers are related by behaviour: the same shop effects on every event, whatever the text."""

import json

from evalwheel.apps.interface import AppOutput
from evalwheel.core.example import Example
from evalwheel.mirror.relate import relate_outputs, side_from_output
from evalwheel_flow import DATA_DIR
from evalwheel_flow.app import APP
from evalwheel_flow.relate import relate_flow
from tests.flow.helpers import workflow

TOTAL = "order.totalPriceSet.shopMoney.amount"
TAG = [("add_order_tags", {"order_id": "{{order.id}}", "tags": ["big"]})]


def built(wf) -> AppOutput:
    return AppOutput(outcome="workflow", artifact=wf.to_data())


def asked(question: str) -> AppOutput:
    return AppOutput(outcome="clarify", artifact={"question": question, "message": None})


def reference(item_id: str) -> dict:
    for line in (DATA_DIR / "benchmark.jsonl").read_text().splitlines():
        row = json.loads(line)
        if row["id"] == item_id:
            return row["reference"]
    raise KeyError(item_id)


def test_a_rewritten_benchmark_workflow_is_equivalent():
    original = reference("bench-w-0184")
    renamed = json.loads(
        json.dumps(original).replace('"action1"', '"tag_it"').replace('"condition1"', '"city"')
    )
    renamed["root"]["steps"].reverse()
    renamed["root"]["workflow_name"] = "Melbourne orders"
    assert renamed != original
    found = relate_flow(
        AppOutput(outcome="workflow", artifact=original),
        AppOutput(outcome="workflow", artifact=renamed),
    )
    assert found.relation == "equivalent" and found.counterexample is None


def test_differently_written_conditions_with_the_same_behaviour_are_equivalent():
    one = workflow("order_created", f"(({TOTAL} > 200) && (order.riskLevel == 'LOW'))", TAG)
    two = workflow(
        "order_created", f"({TOTAL} >= 200.01)", TAG, conditions=["(order.riskLevel == 'LOW')"]
    )
    found = relate_flow(built(one), built(two))
    assert found.relation == "equivalent"
    assert APP.same(built(one), built(two))


def test_a_changed_threshold_is_different_with_the_counterexample():
    current = workflow("order_created", f"({TOTAL} > 200)", TAG)
    candidate = workflow("order_created", f"({TOTAL} > 250)", TAG)
    found = relate_flow(built(current), built(candidate))
    assert found.relation == "different"
    # The structural diff points at the condition's text.
    assert [(d.path, d.current, d.candidate) for d in found.diff] == [
        (
            "artifact.root.steps[1].config_field_values[0].value",
            f"({TOTAL} > 200)",
            f"({TOTAL} > 250)",
        )
    ]
    counter = found.counterexample
    assert isinstance(counter, dict)
    event = counter["event"]
    assert event["trigger"] == "shopify::admin::order_created"
    amount = float(event["payload"]["order"]["totalPriceSet"]["shopMoney"]["amount"])
    assert 200 < amount <= 250  # the only orders the two tell apart
    assert counter["current"]["fired"] and counter["current"]["effects"]
    assert not counter["candidate"]["effects"]
    assert counter["diff"] and {"path", "current", "candidate"} == set(counter["diff"][0])


def test_different_outcomes_are_different_on_outcome():
    wf = built(workflow("order_created", f"({TOTAL} > 200)", TAG))
    found = relate_flow(asked("Which tag?"), wf)
    assert found.relation == "different"
    assert [(d.path, d.current, d.candidate) for d in found.diff] == [
        ("outcome", "clarify", "workflow")
    ]
    refused = AppOutput(outcome="refuse", artifact={"question": None, "message": "No."})
    assert relate_flow(asked("Which tag?"), refused).diff[0].candidate == "refuse"


def test_two_questions_or_two_refusals_are_equivalent_whatever_the_wording():
    assert relate_flow(asked("Which tag?"), asked("What tag should I add?")).relation == (
        "equivalent"
    )
    no = AppOutput(outcome="refuse", artifact={"question": None, "message": "I can't."})
    nope = AppOutput(outcome="refuse", artifact={"question": None, "message": "Not possible."})
    assert relate_flow(no, nope).relation == "equivalent"
    assert APP.same(asked("Which tag?"), asked("What tag?"))


def test_invalid_workflows_are_equivalent_only_when_equal():
    broken = workflow("order_created", f"({TOTAL} > 200)", [("no_such_action", {})])
    other = workflow("order_created", f"({TOTAL} > 300)", [("no_such_action", {})])
    valid = workflow("order_created", f"({TOTAL} > 200)", TAG)
    found = relate_flow(built(broken), built(other))
    assert found.relation == "different"
    assert found.counterexample["invalid"]["current"]  # the validator's findings
    one_bad = relate_flow(built(valid), built(broken))
    assert one_bad.relation == "different"
    assert one_bad.counterexample["invalid"]["current"] == []
    assert one_bad.counterexample["invalid"]["candidate"]
    garbage = AppOutput(outcome="workflow", artifact={"root": "nonsense"})
    assert relate_flow(built(valid), garbage).relation == "different"
    # The same document, reached another way: equivalent, never identical.
    again = built(broken).model_copy(update={"tool_calls": [{"name": "create_workflow"}]})
    assert relate_flow(built(broken), again).relation == "equivalent"


def test_a_failed_side_is_failed():
    wf = built(workflow("order_created", f"({TOTAL} > 200)", TAG))
    assert relate_flow(wf, AppOutput(outcome="error", error="timeout")).relation == "failed"


def test_mirroring_uses_flow_behaviour_through_the_platform():
    example = Example(id="t-1", input="tag big orders 'big'")
    current = side_from_output(built(workflow("order_created", f"({TOTAL} > 200)", TAG)), "a")
    same_behaviour = side_from_output(
        built(workflow("order_created", f"({TOTAL} >= 200.01)", TAG)), "b"
    )
    changed = side_from_output(built(workflow("order_created", f"({TOTAL} > 250)", TAG)), "b")
    assert relate_outputs(APP, example, current, same_behaviour).relation == "equivalent"
    found = relate_outputs(APP, example, current, changed)
    assert found.relation == "different" and found.counterexample["event"]
    # Without the application, the same pair is only textually compared.
    assert relate_outputs(None, example, current, same_behaviour).relation == "different"


def test_workflows_that_differ_only_in_wording_go_to_the_judge():
    def mail(body: str) -> AppOutput:
        action = ("send_internal_email", {"to": "ops@example.com", "subject": "Big", "body": body})
        return built(workflow("order_created", f"({TOTAL} > 200)", [action]))

    polite, rude = mail("Order {{order.name}} is over 200, please review"), mail("lol ignore")
    found = relate_flow(polite, rude)
    assert found.relation == "different"
    assert found.counterexample is not None and found.counterexample["wording_only"] is True
    diff = found.counterexample["diff"]
    assert [(d["path"], d["candidate"]) for d in diff] == [("outbox[0].body", "lol ignore")]
    assert relate_flow(
        polite, mail("Order {{order.name}} is over 200, please review")
    ).relation == ("equivalent")
