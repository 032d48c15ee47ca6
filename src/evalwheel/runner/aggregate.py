"""Aggregates of a run: per scorer and per slice, with n and a 95% interval; pass^k for repeats.

The denominator of a pass rate is every (item, repetition) the run planned that has a score for the
scorer (an errored item is scored as failed by the runner, so it is in every denominator). A scorer
that does not apply to an item (``passed`` None, e.g. equivalence for a clarifying question) leaves
it out of that scorer's n, and the n is always printed.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select

from evalwheel.runner.runner import load_plan, select_examples
from evalwheel.stats.intervals import bootstrap_mean, pass_hat_k, wilson
from evalwheel.store.datasets import DatasetRepository
from evalwheel.store.db import Store
from evalwheel.store.runs import shown_status
from evalwheel.store.tables import ScoreRow, TraceRow


def summarize(store: Store, run_id: str) -> dict[str, Any]:
    row, plan = load_plan(store, run_id)
    examples = {e.id: e for e in select_examples(DatasetRepository(store), plan)}
    with store.read() as session:
        scores = session.execute(
            select(
                ScoreRow.example_id,
                ScoreRow.repetition,
                ScoreRow.scorer,
                ScoreRow.passed,
                ScoreRow.value,
                ScoreRow.error,
            ).where(ScoreRow.run_id == run_id)
        ).all()
        judge_details = session.execute(
            select(ScoreRow.scorer, ScoreRow.details).where(
                ScoreRow.run_id == run_id, ScoreRow.scorer.startswith("judge:")
            )
        ).all()
        traces = session.execute(
            select(
                TraceRow.example_id,
                TraceRow.error,
                TraceRow.cost_usd,
                TraceRow.latency_s,
                TraceRow.input_tokens,
                TraceRow.output_tokens,
            ).where(TraceRow.run_id == run_id)
        ).all()
    by_scorer: dict[str, list[bool]] = defaultdict(list)
    by_slice: dict[tuple[str, str], list[bool]] = defaultdict(list)
    per_item: dict[tuple[str, str], list[bool]] = defaultdict(list)
    measured: dict[str, list[float]] = defaultdict(list)
    not_scored: dict[str, int] = defaultdict(int)
    judged: dict[str, list[bool]] = defaultdict(list)  # judge scorers, system errors left out
    for example_id, _rep, scorer, passed, value, error in scores:
        if scorer.startswith("judge:") and passed is not None and error is None:
            judged[scorer].append(bool(passed))
        if value is not None:
            measured[scorer].append(value)
        if passed is None:
            not_scored[scorer] += 1
            continue
        by_scorer[scorer].append(bool(passed))
        per_item[(scorer, example_id)].append(bool(passed))
        example = examples.get(example_id)
        for tag in example.tags if example else ():
            by_slice[(scorer, tag)].append(bool(passed))
    scorers: dict[str, dict[str, Any]] = {}
    for scorer in sorted(by_scorer.keys() | measured.keys() | not_scored.keys()):
        values = by_scorer.get(scorer, [])
        # Every scorer has a pass_rate (n=0 for one that only measures) and, when it measures, a mean.
        entry: dict[str, Any] = {
            "pass_rate": wilson(sum(values), len(values)).model_dump(),
            "not_scored": not_scored.get(scorer, 0),
        }
        if measured.get(scorer):
            entry["mean"] = bootstrap_mean(measured[scorer]).model_dump()
        if plan.repeat > 1:
            tries = [(sum(v), len(v)) for (s, _), v in per_item.items() if s == scorer]
            entry["pass_hat_k"] = {
                str(k): pass_hat_k(tries, k).model_dump() for k in range(1, plan.repeat + 1)
            }
        entry["slices"] = {
            tag: wilson(sum(v), len(v)).model_dump()
            for (s, tag), v in sorted(by_slice.items())
            if s == scorer
        }
        if scorer.startswith("judge:") and plan.judges.get(scorer.removeprefix("judge:")):
            entry["corrected_pass_rate"] = _corrected(
                store, plan.judges[scorer.removeprefix("judge:")], judged[scorer], len(values)
            )
        scorers[scorer] = entry
    errors = [t for t in traces if t.error]
    return {
        "run_id": run_id,
        "status": shown_status(row),
        "system": {"name": row.system_name, "version": row.system_version},
        "dataset": row.dataset,
        "split": row.split,
        "repeat": row.repeat,
        "planned": row.n_items,
        "done": len(traces),
        "errors": len(errors),
        "cost_usd": sum(t.cost_usd or 0.0 for t in traces),
        "judge_cost_usd": sum(float((d or {}).get("cost_usd") or 0.0) for _, d in judge_details),
        "tokens": {
            "input": sum(t.input_tokens for t in traces),
            "output": sum(t.output_tokens for t in traces),
        },
        "latency_s": {
            "mean": (sum(t.latency_s or 0 for t in traces) / len(traces)) if traces else None
        },
        "scorers": scorers,
    }


def _corrected(
    store: Store, judge_version: str, judged: list[bool], n_total: int
) -> dict[str, Any] | None:
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
    return {
        **values,
        **{
            k: None if values[k] is None else values[k] * share
            for k in ("estimate", "ci_low", "ci_high")
        },
        "n": n_total,
        "judged": len(judged),
        "calibration": calibration.id if calibration else None,
    }
