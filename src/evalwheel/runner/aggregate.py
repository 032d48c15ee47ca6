"""Aggregates of a run: per scorer and per slice, with n and a 95% interval; pass^k for repeats.

The denominator of a pass rate is every (item, repetition) the run planned that has a score for the
scorer (an errored item is scored as failed by the runner, so it is in every denominator). A scorer
that does not apply to an item (``passed`` None, e.g. equivalence for a clarifying question) leaves
it out of that scorer's n, and the n is always printed.
"""

from __future__ import annotations

from collections import defaultdict

from evalwheel.runner.results import (
    CorrectedEstimate,
    LatencySummary,
    RunSummary,
    ScorerSummary,
    SystemRef,
    TokenCounts,
)
from evalwheel.runner.runner import RunPlan, load_plan, select_examples
from evalwheel.stats.estimate import Estimate
from evalwheel.stats.intervals import bootstrap_mean, cluster_rate, wilson
from evalwheel.stats.pass_k import pass_hat_k
from evalwheel.store.datasets import DatasetRepository
from evalwheel.store.db import Store
from evalwheel.store.runs import RunRepository, shown_status


def headline_scorer(plan: RunPlan, scorers: list[str]) -> str | None:
    """The scorer a person should read first: the application's own pass scorer, else the first
    scorer the user asked for, else the first judge."""
    app_pass = [s for s in scorers if s.endswith(".pass")]
    if app_pass:
        return app_pass[0]
    for name in plan.scorers:
        if name in scorers:
            return name
    judges = [s for s in scorers if s.startswith("judge:")]
    return judges[0] if judges else (scorers[0] if scorers else None)


def summarize(store: Store, run_id: str) -> RunSummary:
    """The run's aggregates as they stand (a run still going or interrupted included)."""
    row, plan = load_plan(store, run_id)
    examples = {e.id: e for e in select_examples(DatasetRepository(store), plan)}
    runs = RunRepository(store)
    scores = runs.scores(run_id)
    traces = runs.traces(run_id)
    by_scorer: dict[str, list[bool]] = defaultdict(list)
    per_item: dict[tuple[str, str], list[bool]] = defaultdict(list)
    measured: dict[str, list[float]] = defaultdict(list)
    not_scored: dict[str, int] = defaultdict(int)
    judged: dict[str, list[bool]] = defaultdict(list)  # judge scorers, system errors left out
    judge_cost = 0.0
    for score in scores:
        scorer, passed = score.scorer, score.passed
        if scorer.startswith("judge:"):
            judge_cost += float((score.details or {}).get("cost_usd") or 0.0)
            if passed is not None and score.error is None:
                judged[scorer].append(bool(passed))
        if score.value is not None:
            measured[scorer].append(score.value)
        if passed is None:
            not_scored[scorer] += 1
            continue
        by_scorer[scorer].append(bool(passed))
        per_item[(scorer, score.example_id)].append(bool(passed))
    summaries: dict[str, ScorerSummary] = {}
    for scorer in sorted(by_scorer.keys() | measured.keys() | not_scored.keys()):
        values = by_scorer.get(scorer, [])
        items = {e: v for (s, e), v in per_item.items() if s == scorer}
        tries = [(sum(v), len(v)) for v in items.values()]
        # A slice the plan computed stays visible when empty ("0 contaminated items" is a finding).
        slices: defaultdict[str, list[tuple[int, int]]] = defaultdict(
            list, {name: [] for name in plan.slices}
        )
        for example_id, v in items.items():
            example = examples.get(example_id)
            for tag in example.tags if example else ():
                slices[tag].append((sum(v), len(v)))
        corrected = None
        judge_version = plan.judges.get(scorer.removeprefix("judge:"))
        if scorer.startswith("judge:") and judge_version:
            corrected = corrected_estimate(store, judge_version, judged[scorer], len(values))
        summaries[scorer] = ScorerSummary(
            pass_rate=_rate(tries, plan.repeat),
            not_scored=not_scored.get(scorer, 0),
            mean=bootstrap_mean(measured[scorer]) if measured.get(scorer) else None,
            pass_hat_k={k: pass_hat_k(tries, k) for k in range(1, plan.repeat + 1)}
            if plan.repeat > 1
            else {},
            slices={tag: _rate(v, plan.repeat) for tag, v in sorted(slices.items())},
            corrected_pass_rate=corrected,
        )
    return RunSummary(
        run_id=run_id,
        status=shown_status(row),
        system=SystemRef(name=row.system_name, version=row.system_version),
        dataset=row.dataset,
        split=row.split,
        repeat=row.repeat,
        planned=row.n_items,
        done=len(traces),
        errors=sum(1 for t in traces if t.error),
        cost_usd=sum(t.cost_usd or 0.0 for t in traces),
        judge_cost_usd=judge_cost,
        tokens=TokenCounts(
            input=sum(t.input_tokens for t in traces), output=sum(t.output_tokens for t in traces)
        ),
        latency_s=LatencySummary(
            mean=(sum(t.latency_s or 0 for t in traces) / len(traces)) if traces else None
        ),
        headline=headline_scorer(plan, [s for s in summaries if summaries[s].pass_rate.n]),
        scorers=summaries,
    )


def _rate(tries: list[tuple[int, int]], repeat: int) -> Estimate:
    """Wilson over items tried once; over repeated tries, a cluster bootstrap over items (tries of
    one item are not independent, and treating them so would narrow the interval)."""
    if repeat > 1:
        return cluster_rate(tries)
    return wilson(sum(c for c, _ in tries), sum(n for _, n in tries))


def corrected_estimate(
    store: Store, judge_version: str, judged: list[bool], n_total: int
) -> CorrectedEstimate | None:
    """The pass rate corrected for the judge's measured errors (TPR/TNR on its calibration's test
    split), with a bootstrap interval over both; None when the judge was never calibrated.

    Only items the judge actually judged are corrected; items the system failed on never reached
    the judge and are certain failures, so they are added back as such (θ_all = θ_judged · n_j/n).
    """
    from evalwheel.judges.registry import JudgeRegistry
    from evalwheel.stats.agreement import corrected_pass_rate

    calibration = JudgeRegistry(store).latest_calibration(judge_version)
    pairs = (calibration.metrics.get("test", {}).get("pass_pairs") if calibration else None) or []
    if not pairs or not judged or not n_total:
        return None
    estimate = corrected_pass_rate(
        sum(judged), len(judged), [bool(p[0]) for p in pairs], [bool(p[1]) for p in pairs]
    )
    share = len(judged) / n_total
    values = estimate.model_dump()
    for key in ("estimate", "ci_low", "ci_high"):
        if values[key] is not None:
            values[key] *= share
    values["n"] = n_total
    return CorrectedEstimate(
        **values, judged=len(judged), calibration=calibration.id if calibration else None
    )
