"""The typed results of a run: what ``evaluate`` returns and every printer formats.

Every number a person reads carries its n and, where it is an estimate, its 95% interval
(``Estimate``). A run's summary leads with its headline scorer (the application's own pass scorer
when it has one) and keeps every other scorer, its slices, pass^k for repeated runs and, for a
calibrated judge, the pass rate corrected for the judge's measured errors.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from evalwheel.errors import NotFoundError
from evalwheel.llm.client import CallStats
from evalwheel.stats.estimate import Estimate

__all__ = [
    "CorrectedEstimate",
    "Estimate",
    "RunProgress",
    "RunResult",
    "RunSummary",
    "ScorerSummary",
    "SystemRef",
    "TokenCounts",
]


class CorrectedEstimate(Estimate):
    """A judge's pass rate corrected for its TPR/TNR on its calibration's test split."""

    judged: int = Field(description="items the judge actually judged (the rest failed earlier)")
    calibration: str | None = None


class ScorerSummary(BaseModel):
    """One scorer over a run: pass rate overall and per slice, and what else it measured."""

    pass_rate: Estimate
    not_scored: int = Field(
        default=0, description="items the scorer did not apply to, or that wait for a human"
    )
    mean: Estimate | None = Field(default=None, description="mean of a measured value")
    pass_hat_k: dict[int, Estimate] = Field(
        default_factory=dict, description="pass^k for k = 1..repeat (tau-bench)"
    )
    slices: dict[str, Estimate] = Field(default_factory=dict)
    corrected_pass_rate: CorrectedEstimate | None = None


class SystemRef(BaseModel):
    """Which system ran: its name and the hash of everything that decides its behaviour."""

    name: str
    version: str


class TokenCounts(BaseModel):
    """Tokens the system used over the run."""

    input: int = 0
    output: int = 0


class LatencySummary(BaseModel):
    """Seconds per item."""

    mean: float | None = None


class RunSummary(BaseModel):
    """A run's aggregates, read back from the store."""

    run_id: str
    status: str
    system: SystemRef
    dataset: str
    split: str | None = None
    repeat: int = 1
    planned: int
    done: int
    errors: int = Field(description="items whose system raised or answered an error: failures")
    cost_usd: float = 0.0
    judge_cost_usd: float = 0.0
    tokens: TokenCounts = Field(default_factory=TokenCounts)
    latency_s: LatencySummary = Field(default_factory=LatencySummary)
    headline: str | None = Field(default=None, description="the scorer a person should read first")
    scorers: dict[str, ScorerSummary] = Field(default_factory=dict)

    def scorer(self, name: str) -> ScorerSummary:
        """One scorer's summary; ``NotFoundError`` lists the scorers the run has."""
        try:
            return self.scorers[name]
        except KeyError:
            known = ", ".join(self.scorers) or "none"
            raise NotFoundError(
                f"run {self.run_id} has no scorer {name!r}; it has: {known}"
            ) from None

    def pass_rate(self, name: str | None = None) -> Estimate:
        """The pass rate of ``name`` (default: the headline scorer)."""
        chosen = name or self.headline
        if chosen is None:
            raise NotFoundError(f"run {self.run_id} has no scorer with a pass rate")
        return self.scorer(chosen).pass_rate


class RunProgress(BaseModel):
    """What one execution of a run did (a resumed run executes again)."""

    run_id: str
    planned: int
    done_before: int
    done_now: int
    failed_now: int
    remaining: int
    stopped: str | None = None


class RunResult(BaseModel):
    """What ``evaluate`` and ``resume`` return: the run's id, what this call did, and the
    aggregates of the whole run so far."""

    run_id: str
    progress: RunProgress
    summary: RunSummary
    notes: list[str] = Field(default_factory=list, description="things a person should know")
    calls: CallStats | None = Field(
        default=None, description="the system's model calls in this execution (cache hits too)"
    )

    @property
    def complete(self) -> bool:
        """Every planned item has a result."""
        return self.progress.remaining == 0

    def pass_rate(self, name: str | None = None) -> Estimate:
        """Shortcut for ``summary.pass_rate(name)``."""
        return self.summary.pass_rate(name)
