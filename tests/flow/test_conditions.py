import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalwheel_flow.conditions import ConditionSyntaxError, parse, to_text
from evalwheel_flow.conditions.ast import (
    BINARY_OPS,
    QUANTIFIERS,
    UNARY_OPS,
    Comparison,
    Literal,
    Logical,
    Path,
    Quantifier,
    Unary,
)
from evalwheel_flow.conditions.evaluate import evaluate

names = st.from_regex(r"[a-z][A-Za-z0-9_]{0,8}", fullmatch=True).filter(
    lambda s: s not in ("true", "false", "nil")
)
paths = st.lists(names, min_size=1, max_size=4).map(lambda p: Path(tuple(p)))
literals = st.one_of(
    st.text(max_size=12).map(Literal),
    st.integers(-(10**6), 10**6).map(Literal),
    st.floats(allow_nan=False, allow_infinity=False, width=32)
    .filter(lambda f: not float(f).is_integer())
    .map(Literal),
    st.sampled_from([True, False, None]).map(Literal),
)
leaves = st.one_of(
    st.builds(Comparison, paths, st.sampled_from(BINARY_OPS), literals),
    st.builds(Unary, paths, st.sampled_from(UNARY_OPS)),
)


def _extend(children):
    return st.one_of(
        st.builds(
            lambda op, items: Logical(op, tuple(items)),
            st.sampled_from(["&&", "||"]),
            st.lists(children, min_size=2, max_size=3),
        ),
        st.builds(Quantifier, st.sampled_from(QUANTIFIERS), paths, names, children),
    )


trees = st.recursive(leaves, _extend, max_leaves=8)


@settings(max_examples=300, deadline=None)
@given(trees)
def test_print_then_parse_is_the_identity(tree):
    assert parse(to_text(tree)) == tree


@pytest.mark.parametrize(
    "text",
    [
        "(order.totalPrice > 100)",
        "(order.customer.email end_with? '.edu')",
        "(order.financialStatus in? 'paid,partially_refunded,refunded')",
        "(order.lineItems any? |li| ((li.product.tags any? |t| (t == 'presale')) && (li.product.productType == 'Clothing')))",
        "((a >= 1) || (b != 'x') || (c not_nil?))",
    ],
)
def test_flow_examples_round_trip_textually(text):
    assert to_text(parse(text)) == text


def test_mixing_connectives_at_one_level_is_refused_with_a_reason():
    with pytest.raises(ConditionSyntaxError, match="mixed at one level"):
        parse("((a > 1) && (b > 2) || (c > 3))")
    parse("(((a > 1) && (b > 2)) || (c > 3))")  # grouped: fine


@pytest.mark.parametrize("bad", ["(a >)", "(a = 1)", "(a > 1", "(a include?)", ""])
def test_syntax_errors(bad):
    with pytest.raises(ConditionSyntaxError):
        parse(bad)


ENV = {
    "order": {
        "total": "200.00",
        "email": "Ann@School.EDU",
        "status": "PAID",
        "tags": ["VIP", "wholesale"],
        "items": [{"tags": ["Presale"]}, {"tags": []}],
        "empty": [],
        "note": None,
        "flag": False,
    }
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("(order.total > 200)", False),
        ("(order.total >= 200)", True),
        ("(order.total < 200.01)", True),
        ("(order.email end_with? '.edu')", True),  # case-insensitive
        ("(order.email == 'ann@school.edu')", True),
        ("(order.status in? 'paid, refunded')", True),
        ("(order.status not_in? 'refunded')", True),
        ("(order.tags any? |t| (t == 'vip'))", True),
        ("(order.tags include? 'vip')", False),  # a list is not a string: the classic mistake
        ("(order.items any? |i| (i.tags any? |t| (t == 'presale')))", True),
        ("(order.items all? |i| (i.tags any? |t| (t == 'presale')))", False),
        ("(order.empty none? |i| (i == 'x'))", True),
        ("(order.empty all? |i| (i == 'x'))", True),
        ("(order.empty any? |i| (i == 'x'))", False),
        ("(order.note empty_or_nil?)", True),
        ("(order.note nil?)", True),
        ("(order.missing > 3)", False),
        ("(order.missing == nil)", True),
        ("(order.flag == false)", True),
        ("((order.total > 100) && (order.status == 'paid'))", True),
        ("((order.total > 300) || (order.status == 'pending'))", False),
    ],
)
def test_evaluation_semantics(text, expected):
    assert evaluate(parse(text), ENV) is expected


@settings(max_examples=200, deadline=None)
@given(trees)
def test_export_tree_round_trip(tree):
    import json

    from evalwheel_flow.conditions.export_tree import from_export_tree, to_export_tree

    exported = json.loads(json.dumps(to_export_tree(tree)))  # survives JSON too
    assert from_export_tree(exported) == tree
