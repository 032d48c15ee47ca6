"""``gate``: a tier's policy checked against a fresh run, with a budget checked before spending."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from evalwheel.api.evaluation import ProgressCallback, execute_prepared, prepare_run, start_run
from evalwheel.api.projects import ProjectLike, open_project
from evalwheel.core.dataset import DatasetKind
from evalwheel.errors import EvalwheelError, InputError, NotFoundError
from evalwheel.interrupts import run_sync
from evalwheel.llm.budget import Budget
from evalwheel.llm.prices import price_for
from evalwheel.llm.project_models import project_prices
from evalwheel.project import Project
from evalwheel.project.config import problem_lines
from evalwheel.runner.gates import GatePolicy, GateVerdict, contamination_check, judge
from evalwheel.runner.runner import select_examples
from evalwheel.simulate.clients import pin_simulation
from evalwheel.simulate.models import SimulationSpec
from evalwheel.store.datasets import DatasetRepository
from evalwheel.store.db import Store


def gate_policy(project: Project, tier: str) -> GatePolicy:
    """The policy of ``[gates.TIER]``; errors name the file, the line and the field."""
    table = project.config.gates.get(tier)
    if table is None:
        known = ", ".join(sorted(project.config.gates)) or "none"
        raise NotFoundError(f"no [gates.{tier}] in {project.config_path} (configured: {known})")
    try:
        return GatePolicy.model_validate(table)
    except ValidationError as exc:
        # FILE:LINE: gates.TIER.field: message, one line per problem (a field left out points
        # at the [gates.TIER] header).
        lines = problem_lines(exc, ("gates", tier), project.config_path)
        raise InputError("\n".join(lines)) from None


async def agate(
    tier: str, *, project: ProjectLike = None, on_progress: ProgressCallback | None = None
) -> GateVerdict:
    """Run the tier's system on its dataset and check the policy: thresholds (generic scorers,
    the application's own, judges), a significant regression against a baseline, and the budget —
    estimated before anything is spent, enforced while running. An incomplete run is an
    ``EvalwheelError`` (exit 2: resume it, then gate again), never a pass."""
    project_obj = open_project(project)
    return await agate_policy(
        tier, gate_policy(project_obj, tier), project=project_obj, on_progress=on_progress
    )


async def agate_policy(
    tier: str,
    policy: GatePolicy,
    *,
    project: ProjectLike = None,
    on_progress: ProgressCallback | None = None,
) -> GateVerdict:
    """``agate`` with a policy in hand rather than read from ``[gates.TIER]``: a promotion holds a
    candidate to a tier's policy with its own system and baseline in place of the configured ones."""
    project_obj = open_project(project)
    store = project_obj.open_store()
    try:
        budget = Budget(
            usd=policy.budget.usd, tokens=policy.budget.tokens, seconds=policy.budget.seconds
        )
        run = prepare_run(
            project_obj,
            store,
            policy.system,
            policy.dataset,
            split=policy.split,
            repeat=policy.repeat,
            limit=policy.limit,
            scorers=policy.scorers,
            judges=policy.judges,
            allow_untrusted_judges=policy.allow_untrusted_judge,
            budget=budget,
            create=False,
            simulation=_simulation(project_obj, store, tier, policy),
        )
        _check_estimate(tier, policy, project_obj, run)
        contamination = contamination_check(policy, run.plan, run.resolved.app)
        if contamination is not None and not contamination.passed:
            # Nothing is spent on a run whose verdict is already known.
            reason = contamination.why or "contamination check failed"
            return GateVerdict(
                tier=tier,
                passed=False,
                run_id=None,
                reasons=[f"contamination: {reason} (max {policy.max_contamination}); not run"],
                checks=[contamination],
            )
        start_run(run)
        result = await execute_prepared(run, on_progress=on_progress)
        if not result.complete:
            raise EvalwheelError(
                f"gate {tier}: run {run.run_id} stopped with {result.progress.remaining} items "
                f"left ({result.progress.stopped}); evalwheel run --resume {run.run_id} finishes it"
            )
        verdict = judge(tier, policy, result.summary, store)
        if contamination is not None:
            verdict.checks.insert(0, contamination)
        return verdict
    finally:
        store.close()


def gate(tier: str, **kwargs: Any) -> GateVerdict:
    """``agate`` for scripts and CI."""
    return run_sync(agate(tier, **kwargs))


def _check_estimate(tier: str, policy: GatePolicy, project: Project, run: Any) -> None:
    n_items = len(select_examples(DatasetRepository(run.store), run.plan)) * policy.repeat
    # A simulated episode is up to max_turns agent turns and as many user turns, per attempt.
    sim = policy.simulate
    per_item = policy.tokens_per_item * (2 * sim.max_turns * (sim.retries + 1) if sim else 1)
    tokens = n_items * (per_item + len(run.plan.judges) * policy.judge_tokens_per_item)
    b = policy.budget
    if b.tokens is not None and tokens > b.tokens:
        raise InputError(
            f"gate {tier}: estimated {tokens} tokens for {n_items} items exceeds the budget "
            f"of {b.tokens}"
        )
    spec = run.resolved.model
    price = price_for(spec, project_prices(project)) if spec is not None else None
    usd = price.cost(tokens, 0) if price else None
    if b.usd is not None and usd is not None and usd > b.usd:
        raise InputError(
            f"gate {tier}: estimated ${usd:.4f} for {n_items} items exceeds the budget of ${b.usd}"
        )


def _simulation(
    project: Project, store: Store, tier: str, policy: GatePolicy
) -> SimulationSpec | None:
    """A simulating tier's spec, pinned to its user model; its dataset must be essences."""
    if policy.simulate is None:
        return None
    kind = DatasetRepository(store).resolve(policy.dataset).kind
    if kind != DatasetKind.ESSENCES:
        raise InputError(
            f"gate {tier} simulates, so its dataset must be an essences dataset, not {kind.value}",
            field=f"gates.{tier}.dataset",
        )
    return pin_simulation(project, policy.simulate)
