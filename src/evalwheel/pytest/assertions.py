"""``assert_at_least``: a pass rate's bound against a minimum, with a message a person can act on.

The check counts exactly as ``[gates.*]`` does (``runner.gates.judge``), so a test and a gate on
the same run agree: the value is the Wilson interval's lower bound (``use="ci_low"``, the default
here, because a test should fail when the data cannot show the minimum) or the point estimate; a
judge's items escalated to humans count as failures until a human labels them; an incomplete run
(a budget stop, an interrupt) never passes. The message names the estimate, the interval, n, the
errors and the run id, because the run is in the store and ``evalwheel report RUN`` explains it.

Only the standard library is imported here; the result types are read by attribute.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from evalwheel.runner.results import RunResult, RunSummary
    from evalwheel.stats.estimate import Estimate

Use = Literal["ci_low", "estimate"]
_WHAT = {"ci_low": "the 95% interval's lower bound", "estimate": "the pass rate"}


def _interval(estimate: Estimate) -> str:
    """``0.800 [0.490, 0.943] n=10``, as ``evalwheel run`` prints it."""
    return estimate.text()


def short_dataset(dataset: str) -> str:
    """``qa@4d00b657aa65``: the version id cut to the 12 characters ``dataset list`` shows."""
    name, at, version = dataset.partition("@")
    return f"{name}{at}{version[:12]}"


def bound_of(
    summary: RunSummary, scorer: str, use: Use = "ci_low"
) -> tuple[float | None, Estimate]:
    """The value a gate compares with its threshold, and the pass rate it comes from.

    Items a judge (``judge:NAME``) escalated to humans are counted as failures, as the gate does,
    instead of judging on the easy items only. ``AssertionError`` when the run has no such scorer.
    """
    __tracebackhide__ = True
    entry = summary.scorers.get(scorer)
    if entry is None:
        known = ", ".join(summary.scorers) or "none"
        raise AssertionError(f"run {summary.run_id} has no scorer {scorer!r}; it has: {known}")
    from evalwheel.runner.gates import gated_pass_rate

    rate, _ = gated_pass_rate(scorer, entry)
    return (rate.ci_low if use == "ci_low" else rate.estimate), rate


def _stopped_line(result: RunResult | RunSummary) -> str | None:
    """Why the run is not complete, or None when every planned item has a result."""
    progress = getattr(result, "progress", None)
    summary = result.summary if progress is not None else result
    remaining = progress.remaining if progress is not None else summary.planned - summary.done
    if remaining <= 0:
        return None
    why = (progress.stopped if progress is not None else None) or summary.status
    return (
        f"the run stopped before the end ({why}): {remaining} of {summary.planned} items not run; "
        f"`evalwheel run --resume {summary.run_id}` finishes it"
    )


def _check_arguments(minimum: float, use: str) -> None:
    from evalwheel.errors import InputError

    if use not in _WHAT:
        raise InputError(f"must be 'ci_low' or 'estimate', not {use!r}", field="use")
    if not 0.0 <= minimum <= 1.0:
        raise InputError(f"a pass rate is between 0 and 1, not {minimum!r}", field="minimum")


def assert_at_least(
    result: RunResult | RunSummary, scorer: str, minimum: float, *, use: Use = "ci_low"
) -> Estimate:
    """Fail (``AssertionError``) unless ``scorer``'s pass rate clears ``minimum`` by ``use``.

    Returns the pass rate it judged (with escalated judge items counted as failures), so a test
    can go on to look at it. ``use="estimate"`` compares the point estimate instead of the lower
    bound; bad arguments are an ``InputError``, not a failed test.
    """
    __tracebackhide__ = True
    _check_arguments(minimum, use)
    summary = getattr(result, "summary", result)
    stopped = _stopped_line(result)
    if stopped is not None and scorer not in summary.scorers:
        # Stopped before any item was scored: the scorer has no entry yet.
        from evalwheel.stats.intervals import wilson

        value, rate = None, wilson(0, 0)
    else:
        value, rate = bound_of(summary, scorer, use)
    if stopped is None and value is not None and value >= minimum:
        return rate
    if value is None:
        headline = f"{scorer}: no item was scored, so there is no {use} to compare with {minimum}"
    elif value < minimum:
        headline = f"{scorer}: {_WHAT[use]} {value:.3f} is below the required {minimum}"
    else:
        headline = f"{scorer}: {_WHAT[use]} {value:.3f} clears {minimum}, but the run is incomplete"
    raise AssertionError("\n".join([headline, *_detail_lines(summary, scorer, rate, stopped)]))


def _detail_lines(
    summary: RunSummary, scorer: str, rate: Estimate, stopped: str | None
) -> list[str]:
    """The numbers behind the verdict and where the run is."""
    passed = round((rate.estimate or 0) * rate.n)
    entry = summary.scorers.get(scorer)
    escalated = entry.not_scored if entry is not None and scorer.startswith("judge:") else 0
    counts = f"{passed} of {rate.n} passed; {summary.errors} errors counted as failures"
    if escalated:
        counts += f"; {escalated} escalated to humans counted as failures"
    lines = [f"  pass rate {_interval(rate)} ({counts})"]
    if stopped:
        lines.append(f"  {stopped}")
    lines.append(
        f"  run {summary.run_id}: {summary.system.name} on {short_dataset(summary.dataset)}"
        + (f" ({summary.split})" if summary.split else "")
        + f"; `evalwheel report {summary.run_id}` shows every item"
    )
    return lines
