"""pass^k and pass@k over tasks tried several times each: how reliable an agent is, not just how
often it succeeds.

- pass^k (Yao et al. 2024, "tau-bench", §5): the chance that k independent trials of a task ALL
  succeed. A task with c successes in n trials contributes the unbiased estimate C(c, k) / C(n, k)
  (the share of its k-subsets of trials that are all successes); pass^k is the mean over tasks.
- pass@k (Chen et al. 2021, "Evaluating Large Language Models Trained on Code", §2.1): the chance
  that at least one of k trials succeeds, 1 - C(n - c, k) / C(n, k) per task, given for contrast:
  the two split apart as k grows exactly when an agent is inconsistent.

A task tried fewer than k times has no estimate for that k: it is left out of that k and counted
(``excluded``). Trials of one task are correlated, so the interval is a percentile bootstrap over
tasks (``evalwheel.stats.intervals.bootstrap_mean``), seeded: the same data give the same interval.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from math import comb

from pydantic import BaseModel, Field

from evalwheel.errors import InputError
from evalwheel.stats.estimate import Estimate
from evalwheel.stats.intervals import bootstrap_mean

__all__ = ["PassK", "PassKReport", "pass_at_k_task", "pass_hat_k_task", "pass_k"]


class PassK(BaseModel):
    """pass^k and pass@k for one k, each with its interval; ``n`` of both counts the tasks tried
    at least k times, ``excluded`` those tried fewer times."""

    k: int = Field(ge=1)
    pass_hat_k: Estimate = Field(description="all k trials succeed (tau-bench's pass^k)")
    pass_at_k: Estimate = Field(description="at least one of k trials succeeds")
    excluded: int = Field(ge=0, description="tasks with fewer than k trials")


class PassKReport(BaseModel):
    """pass^k and pass@k for k = 1..``max_k``, over ``n_tasks`` tasks tried ``min_trials`` to
    ``max_trials`` times each."""

    per_k: list[PassK]
    n_tasks: int
    min_trials: int
    max_trials: int
    confidence: float


def pass_hat_k_task(successes: int, trials: int, k: int) -> float:
    """C(c, k) / C(n, k): the share of k-subsets of one task's trials that all succeed."""
    _check_counts(successes, trials, k)
    return comb(successes, k) / comb(trials, k)


def pass_hat_k(successes_per_item: Sequence[tuple[int, int]], k: int) -> Estimate:
    """pass^k over items given (c, n) per item (c passes of n tries); items with fewer than k
    tries are left out. The run aggregate's form of ``pass_k``."""
    values = [pass_hat_k_task(c, n, k) for c, n in successes_per_item if n >= k]
    if not values:
        return Estimate(estimate=None, n=0, ci_low=None, ci_high=None, method=f"pass^{k}")
    return _mean(values, f"pass^{k}", 0.95, 10_000, 0)


def pass_at_k_task(successes: int, trials: int, k: int) -> float:
    """1 - C(n - c, k) / C(n, k): the share of k-subsets of one task's trials with a success."""
    _check_counts(successes, trials, k)
    return 1 - comb(trials - successes, k) / comb(trials, k)


def _check_counts(successes: int, trials: int, k: int) -> None:
    if not 0 <= successes <= trials or not 1 <= k <= trials:
        raise ValueError(f"need 0 <= c <= n and 1 <= k <= n, got c={successes} n={trials} k={k}")


def pass_k(
    outcomes: Mapping[str, Sequence[bool]],
    *,
    max_k: int | None = None,
    confidence: float = 0.95,
    resamples: int = 10_000,
    seed: int = 0,
) -> PassKReport:
    """pass^k and pass@k for k = 1..``max_k`` (default: the most trials any task has) from each
    task's trial outcomes (task id → one bool per trial, True for a success)."""
    if max_k is not None and max_k < 1:
        raise InputError(f"max_k must be at least 1, got {max_k}", field="max_k")
    if not 0 < confidence < 1:
        raise InputError(f"confidence must be in (0, 1), got {confidence}", field="confidence")
    if resamples < 1:
        raise InputError(f"resamples must be at least 1, got {resamples}", field="resamples")
    counts: list[tuple[int, int]] = []
    for task, trials in outcomes.items():
        if not all(isinstance(t, bool) for t in trials):
            raise InputError("trial outcomes must be true or false", field=str(task))
        counts.append((sum(trials), len(trials)))
    sizes = [n for _, n in counts]
    top = max_k if max_k is not None else max(sizes, default=0)
    per_k = []
    for k in range(1, top + 1):
        tried = [(c, n) for c, n in counts if n >= k]
        hat = [pass_hat_k_task(c, n, k) for c, n in tried]
        at = [pass_at_k_task(c, n, k) for c, n in tried]
        per_k.append(
            PassK(
                k=k,
                pass_hat_k=_mean(hat, f"pass^{k}", confidence, resamples, seed),
                pass_at_k=_mean(at, f"pass@{k}", confidence, resamples, seed),
                excluded=len(counts) - len(tried),
            )
        )
    return PassKReport(
        per_k=per_k,
        n_tasks=len(counts),
        min_trials=min(sizes, default=0),
        max_trials=max(sizes, default=0),
        confidence=confidence,
    )


def _mean(values: list[float], name: str, confidence: float, resamples: int, seed: int) -> Estimate:
    estimate = bootstrap_mean(values, confidence=confidence, resamples=resamples, seed=seed)
    return estimate.model_copy(update={"method": f"{name} (bootstrap over tasks)"})
