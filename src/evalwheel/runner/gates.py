"""Tiered gates: a policy per tier (commit, merge, release) in ``[gates.TIER]``, checked against a
fresh run: absolute thresholds per scorer, no significant regression against a baseline run, and a
budget checked against a pre-run estimate before anything is spent.

    [gates.commit]
    system = "flow-local"
    dataset = "flow-benchmark"
    split = "test"
    limit = 20
    thresholds = { "flow.valid" = 0.5 }     # minimum pass rate per scorer
    use = "estimate"                        # or "ci_low": the interval's lower bound must clear it
    baseline = "run-…"                      # optional: compare with this run
    max_drop = 0.05                         # a drop larger than this…
    alpha = 0.05                            # …that is significant (McNemar) fails the gate
    budget = { usd = 1.0, tokens = 200000, seconds = 900 }
    max_contamination = 0.0                 # share of the run's items that may overlap what the
                                            # system learnt from (checked before anything runs)

    [gates.merge]                           # the judge tier: judge scorers join the run
    system = "flow-local"
    dataset = "flow-benchmark"
    judges = ["flow-quality"]               # judges or panels; untrusted ones are refused…
    allow_untrusted_judge = false           # …unless this says otherwise
    thresholds = { "flow.pass" = 0.5, "judge:flow-quality" = 0.5 }

    [gates.release]                         # the pre-deployment tier: simulated merchants
    system = "flow-local"
    dataset = "flow-essences"               # an essences dataset (evalwheel simulate extract)
    repeat = 2                              # trials per essence
    thresholds = { "sim.success" = 0.05 }
    baseline = "run-…"                      # a simulation run of the current system
    simulate = { user_model = "local", max_turns = 6, retries = 1 }
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from evalwheel.runner.compare import compare_runs
from evalwheel.runner.contamination_slices import CLEAN, CONTAMINATED
from evalwheel.runner.results import RunSummary, ScorerSummary
from evalwheel.runner.runner import RunPlan
from evalwheel.simulate.models import SimulationSpec
from evalwheel.stats.intervals import Estimate, wilson
from evalwheel.store.db import Store


class GateBudget(BaseModel):
    """Spend limits for a gate's run, checked against a pre-run estimate and enforced during it."""

    model_config = ConfigDict(extra="forbid")
    usd: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    tokens: int | None = Field(default=None, ge=0)
    seconds: float | None = Field(default=None, gt=0, allow_inf_nan=False)


class GatePolicy(BaseModel):
    """One tier's policy, from ``[gates.TIER]``."""

    model_config = ConfigDict(extra="forbid")
    system: str
    dataset: str
    split: Literal["train", "dev", "test"] | None = None
    limit: int | None = Field(default=None, ge=1)
    repeat: int = Field(default=1, ge=1, le=1000)
    scorers: list[str] = Field(
        default_factory=list, description="generic scorers to run (exact_match, regex:…)"
    )
    thresholds: dict[str, float] = Field(default_factory=dict)
    use: Literal["estimate", "ci_low"] = "estimate"
    baseline: str | None = None
    max_drop: float = Field(default=0.0, ge=0)
    alpha: float = Field(default=0.05, gt=0, lt=1)
    budget: GateBudget = Field(default_factory=GateBudget)
    tokens_per_item: int = Field(default=2000, ge=1, description="For the pre-run estimate.")
    judges: list[str] = Field(default_factory=list)
    allow_untrusted_judge: bool = False
    judge_tokens_per_item: int = Field(
        default=1000, ge=1, description="Per judge (panel member) call, for the estimate."
    )
    simulate: SimulationSpec | None = Field(
        default=None,
        description="simulate each item (an essences dataset) against a simulated user: the "
        "pre-deployment tier ([gates.TIER.simulate] user_model, max_turns, retries…)",
    )
    max_contamination: float | None = Field(
        default=None,
        ge=0,
        le=1,
        allow_inf_nan=False,
        description="Most share of the run's items contaminated by what the system learnt from.",
    )

    @model_validator(mode="after")
    def _checks_something(self) -> GatePolicy:
        if not self.thresholds and not self.baseline and self.max_contamination is None:
            raise ValueError(
                "a gate needs thresholds or a baseline (or max_contamination): with none it "
                "checks nothing"
            )
        return self


class GateCheck(BaseModel):
    """One condition of a gate and how the run fared on it."""

    check: str
    passed: bool
    value: float | None = None
    n: int | None = None
    escalated_counted_as_failures: int = 0
    drop: float | None = None
    p_value: float | None = None
    regressions: int | None = None
    why: str | None = None


class GateVerdict(BaseModel):
    """Pass or fail, every check, and a reason for each failed one."""

    tier: str
    passed: bool
    run_id: str | None
    reasons: list[str]
    checks: list[GateCheck]


def gated_pass_rate(scorer: str, entry: ScorerSummary) -> tuple[Estimate, int]:
    """The pass rate a gate (or a test) holds to a threshold, and how many escalations it counts.

    A panel's escalations wait for humans; until then they count as failures, instead of judging
    on the easy items only.
    """
    rate = entry.pass_rate
    escalated = entry.not_scored if scorer.startswith("judge:") else 0
    if escalated:
        rate = wilson(round((rate.estimate or 0) * rate.n), rate.n + escalated)
    return rate, escalated


def contamination_check(policy: GatePolicy, plan: RunPlan, app: Any) -> GateCheck | None:
    """``max_contamination`` against the run's items, from the slices its plan computed against
    what the system learnt from. A system whose application does not say what it learnt from
    fails the check: a gate that cannot check must not pass."""
    if policy.max_contamination is None:
        return None
    limit = policy.max_contamination
    name = f"contamination <= {limit}"
    if not callable(getattr(app, "learned_from", None)):
        return GateCheck(
            check=name,
            passed=False,
            why="the system's application does not say what it learnt from (no learned_from)",
        )
    contaminated = len(plan.slices.get(CONTAMINATED, []))
    n = contaminated + len(plan.slices.get(CLEAN, []))
    rate = contaminated / n if n else 0.0
    return GateCheck(
        check=name,
        value=rate,
        n=n,
        passed=rate <= limit,
        why=None if rate <= limit else f"{contaminated} of {n} items overlap what it learnt from",
    )


def judge(tier: str, policy: GatePolicy, summary: RunSummary, store: Store) -> GateVerdict:
    """Check a finished run against a tier's policy."""
    checks: list[GateCheck] = []
    reasons: list[str] = []
    for scorer, minimum in policy.thresholds.items():
        entry = summary.scorers.get(scorer)
        if entry is None:
            checks.append(
                GateCheck(
                    check=f"{scorer} >= {minimum}", passed=False, why="scorer missing from the run"
                )
            )
            known = ", ".join(summary.scorers) or "none"
            reasons.append(f"{scorer}: no scores in the run (it has: {known})")
            continue
        rate, escalated = gated_pass_rate(scorer, entry)
        value = rate.ci_low if policy.use == "ci_low" else rate.estimate
        ok = value is not None and value >= minimum
        checks.append(
            GateCheck(
                check=f"{scorer} {policy.use} >= {minimum}",
                value=value,
                n=rate.n,
                escalated_counted_as_failures=escalated,
                passed=ok,
            )
        )
        if not ok:
            shown = value if value is None else round(value, 4) + 0.0
            reasons.append(f"{scorer}: {policy.use} {shown} < {minimum} (n={rate.n})")
    if policy.baseline:
        scorers = list(policy.thresholds) or ([summary.headline] if summary.headline else [])
        for scorer in scorers:
            comparison = compare_runs(store, policy.baseline, summary.run_id, scorer)
            overall = comparison.overall
            if overall.n == 0:
                checks.append(
                    GateCheck(
                        check=f"{scorer} vs {policy.baseline}",
                        passed=False,
                        why="no item in common with the baseline",
                    )
                )
                reasons.append(f"{scorer}: no item in common with baseline {policy.baseline}")
                continue
            drop = (overall.pass_rate_a or 0) - (overall.pass_rate_b or 0) + 0.0
            p = overall.mcnemar.p_value
            regressed = drop > policy.max_drop and p is not None and p < policy.alpha
            checks.append(
                GateCheck(
                    check=f"{scorer} vs {policy.baseline}",
                    drop=drop,
                    p_value=p,
                    regressions=len(comparison.regressions),
                    passed=not regressed,
                )
            )
            if regressed:
                reasons.append(
                    f"{scorer}: dropped {drop:.3f} vs {policy.baseline} "
                    f"(McNemar p={p:.4f} < {policy.alpha})"
                )
    return GateVerdict(
        tier=tier, passed=not reasons, run_id=summary.run_id, reasons=reasons, checks=checks
    )
