"""evalwheel in pytest: evaluate a system in a test and assert on the interval, not the point.

Installed with evalwheel (the ``pytest11`` entry point loads ``evalwheel.pytest.plugin``)::

    from evalwheel.pytest import assert_at_least

    def test_answers_are_right(evaluate):
        result = evaluate("my-agent", "qa@v3", scorers=["exact_match"])
        assert_at_least(result, "exact_match", 0.8)      # the 95% interval's lower bound

A failure prints the estimate, its interval, n, errors and the run id; the run stays in the
project's store (``evalwheel report RUN``). Options: ``--evalwheel-project``,
``--evalwheel-budget-usd``, ``--evalwheel-concurrency`` (or the ini keys ``evalwheel_project``,
``evalwheel_budget_usd``, ``evalwheel_concurrency``). Nothing heavy is imported until a test uses
the fixtures, so the plugin costs nothing to suites that do not.
"""

from evalwheel.pytest.assertions import assert_at_least, bound_of

__all__ = ["assert_at_least", "bound_of"]
