"""Everything a report shows, gathered once: the run's aggregates, per-item traces and scores,
failure categories, and cost/latency distributions. Renderers only format this."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import select

from evalwheel.apps.interface import App
from evalwheel.runner.aggregate import summarize
from evalwheel.runner.runner import load_output, load_plan, select_examples
from evalwheel.store.datasets import DatasetRepository
from evalwheel.store.db import Store
from evalwheel.store.tables import ScoreRow, TraceRow


def report_data(
    store: Store, run_id: str, app: App | None, vs: str | None = None, max_items: int = 500
) -> dict[str, Any]:
    summary = summarize(store, run_id).model_dump(mode="json")
    _, plan = load_plan(store, run_id)
    examples = {e.id: e for e in select_examples(DatasetRepository(store), plan)}
    with store.read() as session:
        traces = (
            session.execute(
                select(TraceRow)
                .where(TraceRow.run_id == run_id)
                .order_by(TraceRow.example_id, TraceRow.repetition)
            )
            .scalars()
            .all()
        )
        scores = session.execute(select(ScoreRow).where(ScoreRow.run_id == run_id)).scalars().all()
    by_item: dict[tuple[str, int], list[ScoreRow]] = {}
    for s in scores:
        by_item.setdefault((s.example_id, s.repetition), []).append(s)
    failures: Counter[str] = Counter()
    items = []
    for trace in traces:
        item_scores = by_item.get((trace.example_id, trace.repetition), [])
        for s in item_scores:
            if s.passed is False:
                failures[s.scorer] += 1
        if trace.error:
            failures["error: " + trace.error.split(":")[0]] += 1
        if len(items) >= max_items:
            continue
        example = examples.get(trace.example_id)
        output = load_output(store, trace)
        rendered = (
            app.render(example, output)
            if app is not None and example is not None
            else str(output.artifact)
        )
        items.append(
            {
                "id": trace.example_id,
                "repetition": trace.repetition,
                "error": trace.error,
                "input": example.input if example else None,
                "tags": list(example.tags) if example else [],
                "reference": example.reference if example else None,
                "artifact": output.artifact,
                "rendered": rendered,
                "passed": all(s.passed is not False for s in item_scores) and not trace.error,
                "scores": [
                    {"scorer": s.scorer, "passed": s.passed, "value": s.value, "details": s.details}
                    for s in item_scores
                ],
                "cost_usd": trace.cost_usd,
                "latency_s": trace.latency_s,
            }
        )
    data: dict[str, Any] = {
        "summary": summary,
        "failure_categories": dict(failures.most_common()),
        "cost_usd": [t.cost_usd or 0.0 for t in traces],
        "latency_s": [t.latency_s for t in traces if t.latency_s is not None],
        "items": items,
        "items_truncated": max(0, len(traces) - len(items)),
    }
    if vs:
        from evalwheel.runner.compare import compare_runs

        scorer = summary["headline"]
        data["comparison"] = (
            compare_runs(store, vs, run_id, scorer).model_dump(mode="json") if scorer else None
        )
    return data
