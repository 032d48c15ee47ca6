"""Runs, comparisons and gate verdicts as plain text (the terminal, pytest, logs): the headline
with its n and interval, slices too small to say anything folded into one line."""

from __future__ import annotations

from evalwheel.report.views import MIN_SLICE_N, comparison_slice_view, slice_view
from evalwheel.runner.compare import Comparison
from evalwheel.runner.gates import GateVerdict
from evalwheel.runner.results import RunSummary, ScorerSummary
from evalwheel.stats.estimate import Estimate


def estimate_text(estimate: Estimate) -> str:
    """``0.375 [0.212, 0.573] n=24``, or ``n=0`` when nothing was measured."""
    return estimate.text()


def _scorer_lines(name: str, entry: ScorerSummary) -> list[str]:
    lines = []
    if entry.pass_rate.n or entry.mean is None:
        lines.append(f"  {name:28} {estimate_text(entry.pass_rate)}")
    if entry.mean is not None:
        lines.append(f"  {name:28} mean {estimate_text(entry.mean)}")
    if entry.corrected_pass_rate is not None:
        lines.append(
            f"  {'':28} corrected for the judge's errors {estimate_text(entry.corrected_pass_rate)}"
        )
    if entry.not_scored and (entry.mean is None or entry.pass_rate.n):
        lines.append(
            f"  {'':28} not scored (not applicable or waiting for a human): {entry.not_scored}"
        )
    for k, estimate in sorted(entry.pass_hat_k.items()):
        if k > 1:
            lines.append(f"  {'':28} pass^{k} {estimate_text(estimate)}")
    return lines


def summary_lines(summary: RunSummary) -> list[str]:
    """The run's aggregates: status, cost and errors, then the headline scorer and the others."""
    lines = [
        f"{summary.run_id}  {summary.status}  {summary.system.name} on {summary.dataset[:60]}"
        + (f" ({summary.split})" if summary.split else ""),
        f"items {summary.done}/{summary.planned} done, {summary.errors} errors (counted as failures); "
        f"cost ${summary.cost_usd:.6f}"
        + (f" + judges ${summary.judge_cost_usd:.6f}" if summary.judge_cost_usd else ""),
    ]
    names = sorted(summary.scorers, key=lambda n: (n != summary.headline, n))
    for name in names:
        lines.extend(_scorer_lines(name, summary.scorers[name]))
    return lines


def slice_lines(summary: RunSummary, scorer: str | None = None) -> list[str]:
    """The slices that differ most from the headline scorer's overall rate; small slices (whose
    intervals say little) are counted in one line instead of listed (``report.views``)."""
    view = slice_view(summary, scorer)
    if view is None:
        return []
    order = f"most different from {estimate_text(view.overall)} first"
    if view.pinned:
        order = f"clean and contaminated first, then {order}"
    lines = [f"slices of {view.scorer} ({order}):"]
    for row in view.shown:
        lines.append(f"    {row.name:30} {estimate_text(row.estimate)}")
    if view.more:
        lines.append(
            f"    … {len(view.more)} more slices with n ≥ {MIN_SLICE_N} (--json lists all)"
        )
    if view.small:
        lines.append(
            f"    {len(view.small)} slices with n < {MIN_SLICE_N} not shown (too small to say anything)"
        )
    return lines


def comparison_lines(result: Comparison) -> list[str]:
    """B against A: rates, counts, McNemar and the paired difference, then differing slices."""
    o = result.overall
    p = o.mcnemar.p_value
    lines = [
        f"{result.scorer}: {result.shared_items} shared items; A {o.pass_rate_a or 0:.3f} → "
        f"B {o.pass_rate_b or 0:.3f}; {len(result.improvements)} improvements, "
        f"{len(result.regressions)} regressions; McNemar p = {'n/a' if p is None else f'{p:.4f}'}"
    ]
    if result.changed_items:
        lines.append(
            f"{result.changed_items} items share an id but not their content (two dataset "
            "versions): left out of the comparison"
        )
    d = o.paired_bootstrap
    if d.difference is not None and d.ci_low is not None and d.ci_high is not None:
        lines.append(
            f"difference B − A = {d.difference:+.3f} [{d.ci_low:+.3f}, {d.ci_high:+.3f}] "
            "(paired bootstrap, 95%)"
        )
    view = comparison_slice_view(result)
    if view.shown:
        lines.append("slices that changed most:")
        for row in view.shown:
            block, sp = row.block, row.block.mcnemar.p_value
            lines.append(
                f"    {row.name:30} {block.pass_rate_a or 0:.3f} → {block.pass_rate_b or 0:.3f} "
                f"n={block.n} p={'n/a' if sp is None else f'{sp:.3f}'}"
            )
    if view.small:
        lines.append(f"    {len(view.small)} slices with n < {MIN_SLICE_N} not shown")
    return lines


def verdict_lines(verdict: GateVerdict) -> list[str]:
    """PASS/FAIL and one line per check."""
    lines = [f"gate {verdict.tier}: {'PASS' if verdict.passed else 'FAIL'} (run {verdict.run_id})"]
    for check in verdict.checks:
        facts = check.model_dump(exclude={"check", "passed"}, exclude_none=True)
        if not facts.get("escalated_counted_as_failures"):
            facts.pop("escalated_counted_as_failures", None)
        lines.append(
            f"  {'ok  ' if check.passed else 'FAIL'} {check.check}: "
            + ", ".join(f"{k}={v}" for k, v in facts.items())
        )
    return lines
