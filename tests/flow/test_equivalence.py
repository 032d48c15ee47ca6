"""The truth oracle must catch every kind of mistake the issue lists, and accept true equivalents."""

import json

import pytest

from evalwheel.cli.app import app
from evalwheel_flow.equivalence import check_equivalence
from tests.flow.helpers import workflow
from tests.helpers import runner

TAG_VIP = [("add_customer_tags", {"tags": ["VIP"]})]
REF = workflow("order_created", "(order.totalPriceSet.shopMoney.amount > 200)", TAG_VIP)

MUTANTS = {
    "operator": workflow("order_created", "(order.totalPriceSet.shopMoney.amount >= 200)", TAG_VIP),
    "threshold off by one": workflow(
        "order_created", "(order.totalPriceSet.shopMoney.amount > 201)", TAG_VIP
    ),
    "wrong field": workflow(
        "order_created", "(order.subtotalPriceSet.shopMoney.amount > 200)", TAG_VIP
    ),
    "missing condition": workflow("order_created", None, TAG_VIP),
    "extra condition": workflow(
        "order_created",
        "(order.totalPriceSet.shopMoney.amount > 200)",
        TAG_VIP,
        conditions=["(order.riskLevel == 'LOW')"],
    ),
    "wrong trigger": workflow(
        "order_paid", "(order.totalPriceSet.shopMoney.amount > 200)", TAG_VIP
    ),
    "wrong action": workflow(
        "order_created",
        "(order.totalPriceSet.shopMoney.amount > 200)",
        [("add_order_tags", {"tags": ["VIP"]})],
    ),
    "wrong tag": workflow(
        "order_created",
        "(order.totalPriceSet.shopMoney.amount > 200)",
        [("add_customer_tags", {"tags": ["VIP2"]})],
    ),
}


@pytest.mark.parametrize("name", list(MUTANTS))
def test_mutants_are_caught(name):
    result = check_equivalence(REF, MUTANTS[name])
    assert not result.equivalent and result.counterexample is not None


def test_and_for_or_is_caught():
    a = workflow(
        "order_created",
        "((order.totalPriceSet.shopMoney.amount > 200) && (order.riskLevel == 'LOW'))",
        TAG_VIP,
    )
    b = workflow(
        "order_created",
        "((order.totalPriceSet.shopMoney.amount > 200) || (order.riskLevel == 'LOW'))",
        TAG_VIP,
    )
    assert not check_equivalence(a, b).equivalent


def test_wrong_parameter_is_caught():
    a = workflow(
        "order_risk_analyzed",
        "(order.riskLevel == 'HIGH')",
        [("cancel_order", {"reason": "FRAUD", "refund": "true", "restock": "true"})],
    )
    b = workflow(
        "order_risk_analyzed",
        "(order.riskLevel == 'HIGH')",
        [("cancel_order", {"reason": "FRAUD", "refund": "false", "restock": "true"})],
    )
    assert not check_equivalence(a, b).equivalent


def test_list_membership_mistake_is_caught():
    a = workflow(
        "order_created",
        "(order.lineItems any? |li| (li.product.tags any? |t| (t == 'presale')))",
        TAG_VIP,
    )
    b = workflow(
        "order_created",
        "(order.lineItems all? |li| (li.product.tags any? |t| (t == 'presale')))",
        TAG_VIP,
    )
    assert not check_equivalence(a, b).equivalent


@pytest.mark.parametrize(
    ("x", "y"),
    [
        (
            "(order.totalPriceSet.shopMoney.amount > 200)",
            "(order.totalPriceSet.shopMoney.amount >= 200.01)",
        ),
        (
            "((order.riskLevel == 'HIGH') || (order.riskLevel == 'MEDIUM'))",
            "(order.riskLevel in? 'MEDIUM,HIGH')",
        ),
        ("(order.customer.email end_with? '.EDU')", "(order.customer.email end_with? '.edu')"),
    ],
)
def test_true_equivalents_are_accepted(x, y):
    result = check_equivalence(
        workflow("order_created", x, TAG_VIP), workflow("order_created", y, TAG_VIP)
    )
    assert result.equivalent and result.events_checked > 20


def test_cli_equiv_json_shape(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps(REF.to_data()))
    (tmp_path / "b.json").write_text(json.dumps(MUTANTS["operator"].to_data()))
    same = runner.invoke(
        app, ["flow", "equiv", str(tmp_path / "a.json"), str(tmp_path / "a.json"), "--json"]
    )
    assert same.exit_code == 0
    assert json.loads(same.stdout)["equivalent"] is True
    diff = runner.invoke(
        app, ["flow", "equiv", str(tmp_path / "a.json"), str(tmp_path / "b.json"), "--json"]
    )
    out = json.loads(diff.stdout)
    assert diff.exit_code == 1
    assert set(out) == {"equivalent", "events_checked", "counterexample", "limit"}
    assert out["limit"] is None
    assert set(out["counterexample"]) == {"event", "a", "b", "diff"}
    assert out["counterexample"]["diff"]  # the part of the end state that differs


def test_structural_similarity_explains_how_workflows_differ():
    from evalwheel_flow.similarity import similarity

    assert similarity(REF, REF) == 1.0
    assert similarity(REF, MUTANTS["wrong tag"]) == pytest.approx(
        2 / 3
    )  # same trigger and condition
    assert similarity(REF, MUTANTS["wrong trigger"]) == pytest.approx(2 / 3)
    assert 0 < similarity(REF, MUTANTS["missing condition"]) < 1


def test_a_flag_set_to_false_is_a_visible_effect():
    # Unpublishing (published=False) used to vanish from the end state, hiding every mutant of it.
    unpublish = workflow("product_created", None, [("unpublish_product", {})])
    nothing = workflow("product_created", "(product.title == 'never')", [("unpublish_product", {})])
    assert not check_equivalence(unpublish, nothing).equivalent
