"""The generic comparison of two answers: exact, normalised, then field by field."""

import json

from evalwheel.apps.interface import AppOutput
from evalwheel.core.mirror import FieldDiff, OutputRelation, PairSide
from evalwheel.mirror.output_diff import MAX_FIELD_DIFFS, relate_sides
from evalwheel.mirror.relate import output_from_side, relate_outputs, side_from_output


def side(content=None, calls=(), artifact=None, error=None, outcome=None, system="s@1"):
    return PairSide(
        system=system,
        content=content,
        tool_calls=list(calls),
        artifact=artifact,
        error=error,
        outcome=outcome,
    )


def call(name, arguments, call_id="call_1"):
    return {
        "id": call_id,
        "type": "function",
        "function": {"name": name, "arguments": json.dumps(arguments)},
    }


def test_identical_ignores_call_ids_only():
    a = side("Done.", [call("refund", {"amount": 5}, "call_a")], {"x": 1})
    b = side("Done.", [call("refund", {"amount": 5}, "call_b")], {"x": 1})
    assert relate_sides(a, b) == OutputRelation(relation="identical")


def test_json_content_with_other_key_order_is_equivalent_not_identical():
    a = side('{"total": 12.5, "items": [1, 2]}')
    b = side('{\n  "items": [1, 2],\n  "total": 12.5\n}')
    found = relate_sides(a, b)
    assert found.relation == "equivalent" and found.diff == []


def test_whitespace_is_equivalent_but_case_is_not():
    assert relate_sides(side("  Your order\n ships  today. "), side("Your order ships today.")) == (
        OutputRelation(relation="equivalent")
    )
    found = relate_sides(side("Ships today."), side("ships   today."))
    assert found.relation == "different"
    # The text as each side wrote it, not the normalised form.
    assert found.diff == [
        FieldDiff(path="content", current="Ships today.", candidate="ships   today.")
    ]


def test_tool_call_arguments_are_parsed_before_comparing():
    a = side(calls=[{"id": "1", "function": {"name": "f", "arguments": '{"a": 1, "b": 2}'}}])
    b = side(calls=[{"id": "2", "function": {"name": "f", "arguments": '{"b":2,"a":1.0}'}}])
    assert relate_sides(a, b).relation == "equivalent"


def test_tool_call_argument_diff_names_the_exact_path_and_values():
    current = side(
        calls=[call("lookup", {"order": "#1001"}), call("refund", {"amount": 20, "note": "late"})]
    )
    candidate = side(
        calls=[call("lookup", {"order": "#1001"}), call("refund", {"amount": 25, "note": "late"})]
    )
    found = relate_sides(current, candidate)
    assert found.relation == "different"
    assert found.diff == [
        FieldDiff(path="tool_calls[1].function.arguments.amount", current=20, candidate=25)
    ]


def test_flat_tool_calls_and_artifacts_are_diffed_by_path():
    current = side(
        calls=[{"name": "tag", "arguments": '{"amount": 1}'}],
        artifact={"actions": [{"params": {"tag": "VIP"}}]},
    )
    candidate = side(
        calls=[{"name": "tag", "arguments": '{"amount": 2}'}],
        artifact={"actions": [{"params": {"tag": "vip"}}]},
    )
    assert relate_sides(current, candidate).diff == [
        FieldDiff(path="tool_calls[0].arguments.amount", current=1, candidate=2),
        FieldDiff(path="artifact.actions[0].params.tag", current="VIP", candidate="vip"),
    ]


def test_a_boolean_is_not_a_number():
    assert relate_sides(side(artifact={"a": True}), side(artifact={"a": 1})).diff == [
        FieldDiff(path="artifact.a", current=True, candidate=1)
    ]


def test_missing_key_names_the_side_without_it():
    current = side(calls=[call("refund", {"amount": 5, "reason": "damaged"})])
    candidate = side(calls=[call("refund", {"amount": 5, "notify": True})])
    assert relate_sides(current, candidate).diff == [
        FieldDiff(
            path="tool_calls[0].function.arguments.reason",
            current="damaged",
            missing="candidate",
        ),
        FieldDiff(
            path="tool_calls[0].function.arguments.notify", candidate=True, missing="current"
        ),
    ]
    # An absent part of the answer is missing too, not a null value.
    assert relate_sides(side("hi"), side("hi", artifact={"x": 1})).diff == [
        FieldDiff(path="artifact", candidate={"x": 1}, missing="current")
    ]


def test_extra_list_items_are_reported_one_by_one():
    extra = call("notify", {"to": "ops"}, "call_2")
    found = relate_sides(
        side(calls=[call("refund", {"amount": 5})]),
        side(calls=[call("refund", {"amount": 5}), extra]),
    )
    assert found.relation == "different"
    assert found.diff == [
        FieldDiff(
            path="tool_calls[1]",
            candidate={
                "type": "function",
                "function": {"name": "notify", "arguments": {"to": "ops"}},
            },
            missing="current",
        )
    ]
    found = relate_sides(side(artifact=[1, 2, 3]), side(artifact=[1]))
    assert [(d.path, d.current, d.missing) for d in found.diff] == [
        ("artifact[1]", 2, "candidate"),
        ("artifact[2]", 3, "candidate"),
    ]


def test_keys_that_are_not_names_are_quoted():
    found = relate_sides(side(artifact={"a.b": {"x y": 1}}), side(artifact={"a.b": {"x y": 2}}))
    assert found.diff[0].path == 'artifact["a.b"]["x y"]'


def test_an_error_or_no_candidate_is_failed_never_different():
    assert relate_sides(side("ok"), None).relation == "failed"
    found = relate_sides(side("ok"), side(error="timeout"))
    assert found.relation == "failed"
    assert found.diff == [FieldDiff(path="error", current=None, candidate="timeout")]
    assert relate_sides(side(error="boom"), side(error="boom")).relation == "failed"


def test_diffs_are_capped_with_a_count_of_the_rest():
    n = MAX_FIELD_DIFFS + 7
    found = relate_sides(
        side(artifact={f"k{i}": i for i in range(n)}),
        side(artifact={f"k{i}": -i - 1 for i in range(n)}),
    )
    assert found.relation == "different"
    assert len(found.diff) == MAX_FIELD_DIFFS and found.diff_omitted == 7
    assert found.diff[0] == FieldDiff(path="artifact.k0", current=0, candidate=-1)


class Opinionated:
    """An application that says how outputs relate, or leaves it to the generic rules."""

    def __init__(self, answer):
        self.answer = answer
        self.asked = 0

    def relate(self, example, a, b):
        self.asked += 1
        return self.answer

    def same(self, a, b):
        raise AssertionError("relate decides when the application has it")


class SameOnly:
    def __init__(self, verdict):
        self.verdict = verdict

    def same(self, a, b):
        return self.verdict


def test_relate_outputs_asks_the_application_after_the_exact_checks():
    app = Opinionated(OutputRelation(relation="equivalent"))
    assert relate_outputs(app, None, side("a"), side("b")).relation == "equivalent"
    assert relate_outputs(app, None, side("a"), side("a")).relation == "identical"
    assert relate_outputs(app, None, side("a"), side(error="x")).relation == "failed"
    assert app.asked == 1
    # No opinion: the generic rules decide.
    assert relate_outputs(Opinionated(None), None, side("a"), side("b")).diff == [
        FieldDiff(path="content", current="a", candidate="b")
    ]


def test_relate_outputs_falls_back_on_same_with_the_generic_diff():
    assert relate_outputs(SameOnly(True), None, side("a"), side("b")).relation == "equivalent"
    found = relate_outputs(SameOnly(False), None, side("a"), side("b"))
    assert found.relation == "different"
    assert found.diff == [FieldDiff(path="content", current="a", candidate="b")]
    assert relate_outputs(None, None, side("a"), side(" a ")).relation == "equivalent"


def test_a_configured_system_is_compared_by_the_generic_rules():
    from evalwheel.systems.registry import build_system_app

    app, _ = build_system_app("o", {"kind": "openai", "model": "m"}, None)
    # Its ``same`` looks at artifacts only; mirroring must see the differing tool calls.
    found = relate_outputs(
        app,
        None,
        side(artifact="ok", calls=[call("f", {"a": 1})]),
        side(artifact="ok", calls=[call("f", {"a": 2})]),
    )
    assert found.relation == "different"
    assert found.diff[0].path == "tool_calls[0].function.arguments.a"


def test_output_and_side_convert_both_ways():
    output = AppOutput(
        outcome="workflow",
        artifact={"root": {}},
        messages=[
            {"role": "system", "content": "prompt"},
            {"role": "user", "content": "example"},
            {"role": "assistant", "content": "a few-shot answer"},
            {"role": "user", "content": "the request"},
            {"role": "assistant", "content": "the reply"},
        ],
        tool_calls=[call("f", {"a": 1})],
        input_tokens=3,
        output_tokens=4,
        cost_usd=0.5,
        latency_s=1.5,
    )
    recorded = side_from_output(output, "flow-local@abc", "run-1")
    assert recorded.content == "the reply" and recorded.run_id == "run-1"
    assert (recorded.input_tokens, recorded.output_tokens, recorded.cost_usd) == (3, 4, 0.5)
    back = output_from_side(recorded)
    assert back.messages == [{"role": "assistant", "content": "the reply"}]
    assert back.model_dump(exclude={"messages"}) == output.model_dump(exclude={"messages"})
    # No reply to the last request (the model failed): no content, not an earlier answer's.
    unanswered = output.model_copy(update={"messages": output.messages[:4], "error": "down"})
    assert side_from_output(unanswered, "s").content is None
