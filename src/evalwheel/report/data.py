"""Everything a report shows, gathered once: the run's aggregates, per-item traces and scores,
failure categories, cost/latency distributions and, with a baseline, the comparison. Renderers
only format this; the JSON report is this model, so every output reads the same numbers."""

from __future__ import annotations

import difflib
import json
from collections import Counter

from pydantic import BaseModel, Field, JsonValue

from evalwheel.apps.interface import App
from evalwheel.runner.aggregate import summarize
from evalwheel.runner.compare import Comparison
from evalwheel.runner.results import RunSummary, ScorerSummary
from evalwheel.runner.runner import load_output, load_plan, select_examples
from evalwheel.store.datasets import DatasetRepository
from evalwheel.store.db import Store
from evalwheel.store.runs import RunRepository
from evalwheel.store.tables import ScoreRow

from .views import ComparisonSliceView, SliceView, comparison_slice_view, slice_view

__all__ = ["ItemScore", "ReportData", "ReportItem", "Verdict", "report_data"]


class Verdict(BaseModel):
    """A categorical verdict on an item (a judge's or a panel's): label, reason, how decided."""

    label: str | None = None
    explanation: str | None = None
    error: str | None = None
    decided_by: str | None = None


class ItemScore(BaseModel):
    """One scorer on one item."""

    scorer: str
    passed: bool | None = None
    value: float | None = None
    verdict: Verdict | None = Field(default=None, description="for judges and labelled checks")
    details: dict[str, JsonValue] = Field(default_factory=dict)

    @property
    def counterexample(self) -> JsonValue:
        """The oracle's counterexample event, when the scorer kept one."""
        return self.details.get("counterexample")


class ReportItem(BaseModel):
    """One (item, repetition) of the run: what went in, what came out, how it was scored."""

    id: str
    repetition: int
    error: str | None = None
    input: JsonValue = None
    tags: list[str] = Field(default_factory=list)
    reference: JsonValue = None
    artifact: JsonValue = None
    rendered: str = Field(description="the output as the application renders it for a person")
    passed: bool = Field(description="no scorer failed and the system raised no error")
    scores: list[ItemScore] = Field(default_factory=list)
    cost_usd: float | None = None
    latency_s: float | None = None

    @property
    def diff(self) -> str:
        """A unified diff of the reference against the artifact, as plain text."""
        if self.reference is None:
            return ""
        a = json.dumps(self.reference, indent=1, sort_keys=True, default=str).splitlines()
        b = json.dumps(self.artifact, indent=1, sort_keys=True, default=str).splitlines()
        return "\n".join(difflib.unified_diff(a, b, "reference", "produced", lineterm="", n=2))

    @property
    def counterexample(self) -> JsonValue:
        """The first counterexample any scorer kept for this item."""
        return next((s.counterexample for s in self.scores if s.counterexample), None)


class ReportData(BaseModel):
    """A report's content, in the order a person reads it: the summary (headline first), the
    comparison with a baseline, failure categories, cost and latency per item, the items."""

    summary: RunSummary
    comparison: Comparison | None = None
    failure_categories: dict[str, int] = Field(default_factory=dict)
    cost_usd: list[float] = Field(default_factory=list, description="per item, system only")
    latency_s: list[float] = Field(default_factory=list, description="per item")
    items: list[ReportItem] = Field(default_factory=list)
    items_truncated: int = Field(default=0, description="items left out of ``items``")

    def headline(self) -> ScorerSummary | None:
        """The headline scorer's summary, when the run has one."""
        name = self.summary.headline
        return self.summary.scorers.get(name) if name else None

    def scorer_names(self) -> list[str]:
        """Every scorer, the headline first."""
        return sorted(self.summary.scorers, key=lambda n: (n != self.summary.headline, n))

    def slices(self) -> SliceView | None:
        """The headline scorer's slices as they are shown (see ``views``)."""
        return slice_view(self.summary)

    def comparison_slices(self) -> ComparisonSliceView | None:
        """The comparison's slices as they are shown."""
        return comparison_slice_view(self.comparison) if self.comparison else None

    def failed_items(self) -> list[ReportItem]:
        """Items shown in the report that failed."""
        return [i for i in self.items if not i.passed]


def _verdict(score: ScoreRow) -> Verdict | None:
    """The score's label and reason: the first-class columns, else what a judge put in details."""
    details = score.details or {}
    if score.label is None and score.explanation is None and "judge_label" not in details:
        return None

    def text(key: str) -> str | None:
        value = details.get(key)
        return None if value is None else str(value)

    return Verdict(
        label=text("judge_label") if details.get("judge_label") is not None else score.label,
        explanation=score.explanation if score.explanation is not None else text("rationale"),
        error=text("judge_error"),
        decided_by=text("decided_by"),
    )


def report_data(
    store: Store, run_id: str, app: App | None, vs: str | None = None, max_items: int = 500
) -> ReportData:
    """Gather a report of ``run_id``; ``vs`` adds the comparison against that baseline run on the
    headline scorer; ``app`` renders items (without it, the raw artifact is shown)."""
    summary = summarize(store, run_id)
    _, plan = load_plan(store, run_id)
    examples = {e.id: e for e in select_examples(DatasetRepository(store), plan)}
    runs = RunRepository(store)
    traces = runs.traces(run_id)
    by_item: dict[tuple[str, int], list[ScoreRow]] = {}
    for s in runs.scores(run_id):
        by_item.setdefault((s.example_id, s.repetition), []).append(s)
    failures: Counter[str] = Counter()
    items: list[ReportItem] = []
    for trace in traces:
        item_scores = sorted(by_item.get((trace.example_id, trace.repetition), []), key=_scorer)
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
            ReportItem(
                id=trace.example_id,
                repetition=trace.repetition,
                error=trace.error,
                input=example.input if example else None,
                tags=list(example.tags) if example else [],
                reference=example.reference if example else None,
                artifact=output.artifact,
                rendered=rendered,
                passed=all(s.passed is not False for s in item_scores) and not trace.error,
                scores=[
                    ItemScore(
                        scorer=s.scorer,
                        passed=s.passed,
                        value=s.value,
                        verdict=_verdict(s),
                        details=s.details or {},
                    )
                    for s in item_scores
                ],
                cost_usd=trace.cost_usd,
                latency_s=trace.latency_s,
            )
        )
    comparison = None
    if vs and summary.headline:
        from evalwheel.runner.compare import compare_runs

        comparison = compare_runs(store, vs, run_id, summary.headline)
    return ReportData(
        summary=summary,
        comparison=comparison,
        failure_categories=dict(failures.most_common()),
        cost_usd=[t.cost_usd or 0.0 for t in traces],
        latency_s=[t.latency_s for t in traces if t.latency_s is not None],
        items=items,
        items_truncated=max(0, len(traces) - len(items)),
    )


def _scorer(score: ScoreRow) -> str:
    return score.scorer
