"""Judges as scorers in a run (``--scorer judge:NAME``): the judge reads the application's rendering
of the trace and its label becomes the score (pass when the label is one of the judge's passing
labels). The verdict's label and rationale are stored with the score.

A judge that fails to answer fails the item's judge score, with the error recorded in the details
(``judge_error``): it is counted, never dropped. An item the system itself failed on is not sent to
the judge; it fails the judge score too. A panel's escalated items are not scored (``passed`` None,
counted as ``not_scored`` in the aggregates) and wait in the review queue.
"""

from __future__ import annotations

from typing import Any

from evalwheel.apps.interface import App, AppOutput, CheckResult
from evalwheel.core.example import Example
from evalwheel.core.judge import Judge
from evalwheel.judges.config import PanelSpec
from evalwheel.judges.judging import judge_pointwise
from evalwheel.judges.panel import PanelBudget, judge_with_panel, review_payload
from evalwheel.labels.review_queue import enqueue
from evalwheel.llm.client import ModelClient
from evalwheel.store.db import Store

PREFIX = "judge:"


def _material(
    app: App, example: Example, output: AppOutput, scorer: str, base: dict[str, Any]
) -> str | CheckResult:
    """What the judge reads, or the failed score when there is nothing to judge: the system
    failed on the item, or its output cannot be rendered (a failure recorded, never skipped)."""
    if output.error is not None:
        return CheckResult(scorer=scorer, passed=False, details={**base, "reason": "system error"})
    try:
        return app.render(example, output)
    except Exception as exc:
        return CheckResult(
            scorer=scorer,
            passed=False,
            details={**base, "judge_error": f"render: {type(exc).__name__}: {exc}"},
        )


class JudgeScorer:
    def __init__(self, name: str, judge: Judge, client: ModelClient) -> None:
        self.name, self.judge, self.client = name, judge, client

    async def __call__(
        self, app: App, example: Example, output: AppOutput, where: str
    ) -> CheckResult:
        scorer = PREFIX + self.name
        base: dict[str, Any] = {"judge_version": self.judge.version}
        content = _material(app, example, output, scorer, base)
        if isinstance(content, CheckResult):
            return content
        verdict = await judge_pointwise(self.client, self.judge, content)
        details = {
            **base,
            "judge_label": verdict.label,
            "rationale": verdict.rationale,
            "cost_usd": verdict.cost_usd,
            "tokens": verdict.input_tokens + verdict.output_tokens,
        }
        if verdict.error:
            # No verdict is not a failing verdict: the item is not scored (counted apart, and as a
            # failure by gates), so a judge outage never lowers the system's own pass rate.
            return CheckResult(
                scorer=scorer, passed=None, details={**details, "judge_error": verdict.error}
            )
        return CheckResult(
            scorer=scorer, passed=verdict.label in self.judge.passing, details=details
        )


class PanelScorer:
    def __init__(
        self,
        spec: PanelSpec,
        members: dict[str, tuple[Judge, ModelClient]],
        arbiter: tuple[Judge, ModelClient] | None,
        weights: dict[str, float],
        store: Store,
    ) -> None:
        self.spec, self.members, self.arbiter, self.weights, self.store = (
            spec,
            members,
            arbiter,
            weights,
            store,
        )
        self.budget = PanelBudget(spec.budget_usd, spec.budget_tokens)
        self.passing = {label for judge, _ in members.values() for label in judge.passing}

    async def __call__(
        self, app: App, example: Example, output: AppOutput, where: str
    ) -> CheckResult:
        scorer = PREFIX + self.spec.name
        content = _material(app, example, output, scorer, {})
        if isinstance(content, CheckResult):
            return content
        verdict = await judge_with_panel(
            self.spec, self.members, self.arbiter, content, weights=self.weights, budget=self.budget
        )
        details = {
            "judge_label": verdict.label,
            "decided_by": verdict.decided_by,
            "members": {n: v.label or f"error: {v.error}" for n, v in verdict.members.items()},
            "arbiter": verdict.arbiter.label if verdict.arbiter else None,
            "cost_usd": verdict.cost_usd,
            "tokens": verdict.tokens,
            "reason": verdict.reason,
        }
        if verdict.label is None:
            if not verdict.escalated:  # undecided and not escalated: a failed judgement
                return CheckResult(scorer=scorer, passed=False, details=details)
            if verdict.escalated:
                item = enqueue(
                    self.store,
                    f"trace:{where}:panel:{self.spec.name}",
                    review_payload(
                        example.id,
                        content,
                        verdict,
                        f"panel {self.spec.name}",
                        labels=list(next(iter(self.members.values()))[0].labels),
                        pass_labels=sorted(self.passing),
                        score=_score_key(where, scorer),
                    ),
                    priority=1.0,
                )
                details["review_item"] = item.id
            return CheckResult(scorer=scorer, passed=None, details=details)
        return CheckResult(scorer=scorer, passed=verdict.label in self.passing, details=details)


def _score_key(where: str, scorer: str) -> dict[str, Any]:
    run_id, _, rest = where.partition("/")
    example_id, _, repetition = rest.rpartition("/")
    return {
        "run_id": run_id,
        "example_id": example_id,
        "repetition": int(repetition),
        "scorer": scorer,
    }
