"""``promote``: a trained candidate becomes the promoted system only through a tier's gate.

The candidate is held to the tier's policy (``[gates.TIER]``) with itself as the system and the
current system's run on the same items as the baseline, and three more things must hold:

- no slice of the baseline comparison (``runner.compare``: McNemar per tag slice) regresses
  significantly, so a gain on easy items cannot hide a loss on one kind of request;
- on mirrored traffic, when a mirror of the current system against this candidate is named, the
  candidate does not lose significantly more pairs than it wins (the mirror's sign test), and no
  scorer the mirror's two runs share drops significantly (McNemar; reference-free checks such as
  "the workflow validates" still score traffic that has no reference);
- the gate's own checks: thresholds and no significant overall drop.

The verdict, the comparison (with the McNemar p of the overall change) and the mirror's preference
are kept with the model, whose status becomes ``promoted`` or ``rejected``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from evalwheel.api.evaluation import ProgressCallback
from evalwheel.api.gating import agate_policy, gate_policy
from evalwheel.api.projects import ProjectLike, open_project
from evalwheel.api.trained_models import set_trained_status
from evalwheel.core.mirror import MirrorRecord
from evalwheel.core.run import RunStatus
from evalwheel.core.trained import TrainedModel
from evalwheel.errors import InputError, NotFoundError
from evalwheel.interrupts import run_sync
from evalwheel.mirror.replay import load_mirror
from evalwheel.mirror.summary import Preference
from evalwheel.runner.compare import Comparison, ComparisonBlock, compare_runs
from evalwheel.runner.gates import GateCheck, GatePolicy, GateVerdict
from evalwheel.store.db import Store
from evalwheel.store.runs import RunRepository, shown_status
from evalwheel.store.trained import TrainedModelRepository

SLICE_MIN_N = 5


class Promotion(BaseModel):
    """What a promotion attempt decided and why."""

    model: TrainedModel
    promoted: bool
    verdict: GateVerdict
    comparison: Comparison | None = Field(
        default=None, description="baseline (a) against the candidate (b) on the gate's scorer"
    )
    mirror: str | None = None
    mirror_preference: Preference | None = None


def _drop_check(name: str, block: ComparisonBlock, alpha: float) -> GateCheck:
    """Failed when the candidate (b) is worse than the baseline (a) and McNemar's test says the
    drop is unlikely to be chance."""
    drop = (block.pass_rate_a or 0.0) - (block.pass_rate_b or 0.0) + 0.0
    p = block.mcnemar.p_value
    regressed = drop > 0 and p is not None and p < alpha
    return GateCheck(
        check=name,
        passed=not regressed,
        n=block.n,
        drop=drop,
        p_value=p,
        regressions=block.mcnemar.only_a,
        why=f"dropped {drop:.3f} (McNemar p={p:.4f})" if regressed else None,
    )


def _slice_checks(comparison: Comparison, alpha: float, min_n: int) -> list[GateCheck]:
    """One check per slice with at least ``min_n`` shared items: failed when the candidate is
    worse there and McNemar's test says the drop is unlikely to be chance."""
    checks = []
    for name, block in sorted(comparison.slices.items()):
        if block.n < min_n:
            continue
        checks.append(_drop_check(f"slice {name} vs baseline", block, alpha))
    return checks


def _improvement_check(comparison: Comparison, alpha: float) -> GateCheck:
    """The candidate must be better than the baseline, not merely no worse: a higher rate with
    McNemar's p below ``alpha`` (a retrained model that only matches the current one is not worth
    a promotion)."""
    block = comparison.overall
    gain = (block.pass_rate_b or 0.0) - (block.pass_rate_a or 0.0) + 0.0
    p = block.mcnemar.p_value
    better = gain > 0 and p is not None and p < alpha
    shown = "-" if p is None else f"{p:.4f}"
    return GateCheck(
        check=f"{comparison.scorer} better than the baseline (McNemar p < {alpha})",
        passed=better,
        n=block.n,
        drop=-gain,
        p_value=p,
        regressions=block.mcnemar.only_a,
        why=None if better else f"gain {gain:+.3f} with McNemar p={shown}",
    )


def _mirror_scorer_checks(store: Store, record: MirrorRecord, alpha: float) -> list[GateCheck]:
    """On a replay mirror, every scorer both runs have (the application's reference-free checks,
    such as whether a workflow validates, still score traffic): a significant drop of the
    candidate against the current system fails, as on the benchmark. Pairs the judge leaves
    undecided would otherwise let a candidate that breaks production outputs through."""
    from evalwheel.runner.aggregate import summarize

    current, candidate = record.runs.get("current"), record.runs.get("candidate")
    if current is None or candidate is None:
        return []
    scorers = set(summarize(store, current).scorers) & set(summarize(store, candidate).scorers)
    checks = []
    for scorer in sorted(scorers):
        try:
            block = compare_runs(store, current, candidate, scorer).overall
        except InputError:
            continue  # scored nothing on traffic (it needs a reference), so it says nothing here
        if block.n == 0:
            continue
        checks.append(
            _drop_check(
                f"mirror {record.id}: {scorer} on traffic vs the current system", block, alpha
            )
        )
    return checks


def _mirror_check(
    store: Store, mirror: str, candidate: str, alpha: float
) -> tuple[list[GateCheck], Preference]:
    from evalwheel.api.mirror_outputs import mirror_summary_of

    record = load_mirror(store, mirror)
    if record.candidate != candidate:
        raise InputError(
            f"mirror {mirror!r} mirrors {record.candidate!r}, not the candidate {candidate!r}",
            field="mirror",
        )
    preference = mirror_summary_of(store, record).preference
    p = preference.sign_test_p
    worse = preference.losses > preference.wins and p is not None and p < alpha
    check = GateCheck(
        check=f"mirror {record.id}: not losing more pairs than it wins",
        passed=not worse,
        n=preference.decided,
        p_value=p,
        regressions=preference.losses,
        why=(
            f"lost {preference.losses} pairs, won {preference.wins} (sign test p={p:.4f})"
            if worse
            else None
        ),
    )
    return [check, *_mirror_scorer_checks(store, record, alpha)], preference


async def apromote(
    name: str,
    *,
    tier: str = "merge",
    baseline: str | None = None,
    mirror: str | None = None,
    slice_min_n: int = SLICE_MIN_N,
    require_improvement: bool = True,
    project: ProjectLike = None,
    on_progress: ProgressCallback | None = None,
) -> Promotion:
    """Gate the trained model ``name`` against the current system and set its status.

    ``baseline`` is the current system's run on the tier's dataset (default: the tier's own
    ``baseline``); without one there is nothing to hold the candidate to, which is an error rather
    than a pass. ``require_improvement`` (default) also asks for a significant gain over the
    baseline; without it, a candidate that is not significantly worse passes."""
    project_obj = open_project(project)
    store = project_obj.open_store()
    try:
        if TrainedModelRepository(store).get(name) is None:
            raise NotFoundError(f"no trained model named {name!r}")
        policy = gate_policy(project_obj, tier)
        chosen = baseline or policy.baseline
        if chosen is None:
            raise InputError(
                f"promotion needs the current system's run on the gate's dataset: --baseline RUN "
                f"or baseline in [gates.{tier}]",
                field="baseline",
            )
        _check_baseline(store, chosen, policy, name)
    finally:
        store.close()
    held = policy.model_copy(update={"system": name, "baseline": chosen})
    verdict = await agate_policy(tier, held, project=project_obj, on_progress=on_progress)
    comparison: Comparison | None = None
    preference: Preference | None = None
    extra: list[GateCheck] = []
    store = project_obj.open_store()
    try:
        if verdict.run_id is not None:
            scorer = next(iter(held.thresholds), None) or _headline(store, verdict.run_id)
            if scorer is not None:
                comparison = compare_runs(store, chosen, verdict.run_id, scorer)
                extra += _slice_checks(comparison, held.alpha, slice_min_n)
                if require_improvement:
                    extra.append(_improvement_check(comparison, held.alpha))
        if mirror is not None:
            checks, preference = _mirror_check(store, mirror, name, held.alpha)
            extra += checks
    finally:
        store.close()
    verdict.checks += extra
    verdict.reasons += [f"{c.check}: {c.why}" for c in extra if not c.passed]
    verdict.passed = verdict.passed and all(c.passed for c in extra)
    model = set_trained_status(
        name, "promoted" if verdict.passed else "rejected", verdict=verdict, project=project_obj
    )
    return Promotion(
        model=model,
        promoted=verdict.passed,
        verdict=verdict,
        comparison=comparison,
        mirror=mirror,
        mirror_preference=preference,
    )


def _check_baseline(store: Store, run_id: str, policy: GatePolicy, candidate: str) -> None:
    """The baseline must be a finished run of the tier's (current) system on the tier's dataset
    and split: a run of another system or on other items would hold the candidate to nothing."""
    if policy.system == candidate:
        raise InputError(
            f"the gate's system is the candidate {candidate!r} itself; the tier must name the "
            "current system",
            field="system",
        )
    row = RunRepository(store).get(run_id)
    problems = []
    if row.system_name != policy.system:
        problems.append(f"it ran {row.system_name!r}, not the current system {policy.system!r}")
    wanted = policy.dataset.partition("@")[0]
    if row.dataset.partition("@")[0] != wanted:
        problems.append(f"it ran on {row.dataset!r}, not the gate's dataset {wanted!r}")
    if row.split != policy.split:
        problems.append(f"its split is {row.split or 'all'}, the gate's {policy.split or 'all'}")
    status = shown_status(row)
    if status != RunStatus.COMPLETED.value:
        problems.append(f"it is {status} (evalwheel run --resume {run_id} finishes it)")
    if problems:
        raise InputError(f"baseline {run_id}: " + "; ".join(problems), field="baseline")


def _headline(store: Store, run_id: str) -> str | None:
    from evalwheel.runner.aggregate import summarize

    return summarize(store, run_id).headline


def promote(name: str, **kwargs: Any) -> Promotion:
    """``apromote`` for scripts and CI."""
    return run_sync(apromote(name, **kwargs))


__all__ = ["Promotion", "apromote", "promote"]
