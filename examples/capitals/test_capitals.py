"""The evaluation as a test: `pytest test_capitals.py` in this folder (the evalwheel pytest plugin
is installed with evalwheel)."""

from evalwheel.pytest import assert_at_least


def test_the_lookup_agent_is_mostly_right(evaluate):
    result = evaluate(
        "capitals-lookup",
        "capitals",
        scorers=["exact_match"],
        judges=["capital-judge"],
        allow_untrusted_judges=True,
    )
    assert_at_least(result, "exact_match", 0.5, use="estimate")
