"""Generic scorers by name: plain (``exact_match``) and parametrised (``regex:PATTERN``,
``max_latency:SECONDS``, ``max_cost:USD``), named in their results exactly as the user wrote them."""

import pytest

from evalwheel.apps.interface import AppOutput, CheckResult
from evalwheel.core.example import Example
from evalwheel.errors import InputError
from evalwheel.runner.scorers import get_scorer, registry, scorer_usages

EXAMPLE = Example(id="e1", input="capital of France?", reference="Paris")


def test_plain_names_still_come_from_the_registry():
    assert {"exact_match", "json_match"} <= set(registry())
    result = get_scorer("exact_match")(EXAMPLE, AppOutput(artifact=" Paris\n"))
    assert result.scorer == "exact_match" and result.passed is True


def test_regex_searches_the_output_and_is_named_by_its_spec():
    check = get_scorer("regex:^Par")
    assert check(EXAMPLE, AppOutput(artifact="Paris")) == CheckResult(
        scorer="regex:^Par", passed=True
    )
    assert check(EXAMPLE, AppOutput(artifact="It is Paris")).passed is False
    assert check(EXAMPLE, AppOutput(artifact="Paris", error="boom")).passed is False
    # A colon inside the pattern belongs to the pattern.
    assert get_scorer("regex:a:b")(EXAMPLE, AppOutput(artifact="xa:by")).passed is True
    # Non-text artifacts are matched as JSON text.
    assert get_scorer('regex:"city": "Paris"')(
        EXAMPLE, AppOutput(artifact={"city": "Paris"})
    ).passed


def test_max_latency_and_max_cost_compare_with_the_argument():
    fast = AppOutput(artifact="x", latency_s=0.4, cost_usd=0.002)
    slow = AppOutput(artifact="x", latency_s=3.0, cost_usd=0.5)
    latency = get_scorer("max_latency:2.5")
    assert latency(EXAMPLE, fast).passed and latency(EXAMPLE, fast).value == 0.4
    assert latency(EXAMPLE, slow).passed is False
    assert latency(EXAMPLE, slow).scorer == "max_latency:2.5"
    assert get_scorer("max_latency:2s")(EXAMPLE, fast).passed
    cost = get_scorer("max_cost:0.01")
    assert cost(EXAMPLE, fast).passed and cost(EXAMPLE, slow).passed is False
    assert cost(EXAMPLE, slow).scorer == "max_cost:0.01" and cost(EXAMPLE, slow).value == 0.5
    assert get_scorer("max_cost:$0")(EXAMPLE, AppOutput(cost_usd=0.0)).passed


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("nope", "unknown scorer 'nope'"),
        ("regex", "'regex' needs an argument: write regex:PATTERN"),
        ("regex:(", "bad pattern"),
        ("regex:", "the pattern is empty"),
        ("max_latency:soon", "'soon' is not a number of seconds"),
        ("max_latency:0", "must be a positive number"),
        ("max_latency:nan", "must be a positive number"),
        ("max_cost:-1", "must be a non-negative number"),
        ("judge:quality", "judge tier"),
    ],
)
def test_bad_specs_are_input_errors_that_say_why(spec, says):
    with pytest.raises(InputError) as raised:
        get_scorer(spec)
    assert says in str(raised.value) and raised.value.field == "scorers"


def test_the_usages_list_the_parametrised_forms():
    usages = scorer_usages()
    assert {"exact_match", "regex:PATTERN", "max_latency:SECONDS", "max_cost:USD"} <= set(usages)


def test_check_results_carry_label_and_explanation_as_fields():
    result = CheckResult(scorer="judge:q", passed=True, label="good", explanation="does it")
    assert result.model_dump()["label"] == "good" and result.explanation == "does it"
    assert CheckResult(scorer="x").label is None and CheckResult(scorer="x").details == {}
