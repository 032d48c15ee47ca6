"""``compare``: run B against baseline run A on the items they share."""

from __future__ import annotations

from evalwheel.api.projects import ProjectLike, open_project
from evalwheel.errors import InputError
from evalwheel.runner.aggregate import summarize
from evalwheel.runner.compare import Comparison, compare_runs
from evalwheel.runner.runner import load_plan
from evalwheel.simulate.models import SimulationSpec
from evalwheel.store.db import Store


def compare(
    run_a: str, run_b: str, scorer: str | None = None, *, project: ProjectLike = None
) -> Comparison:
    """Improvements, regressions, McNemar and a paired bootstrap, overall and per slice.

    ``scorer`` defaults to run B's headline scorer (the application's pass scorer, else the first
    scorer the run asked for); any scorer both runs have can be named, generic ones included.
    """
    store = open_project(project).open_store()
    try:
        summary_b = summarize(store, run_b)
        summary_a = summarize(store, run_a)
        chosen = scorer or summary_b.headline
        if chosen is None:
            raise InputError(f"run {run_b} has no scorer to compare on", field="scorer")
        for summary in (summary_a, summary_b):
            summary.scorer(chosen)
        _same_simulator(store, run_a, run_b)
        return compare_runs(store, run_a, run_b, chosen)
    finally:
        store.close()


def _same_simulator(store: Store, run_a: str, run_b: str) -> None:
    """Two simulation runs compare only when their users were simulated alike (a replay user
    against a model-played one would measure the simulators, not the systems)."""
    _, plan_a = load_plan(store, run_a)
    _, plan_b = load_plan(store, run_b)
    if (plan_a.simulation is None) != (plan_b.simulation is None):
        raise InputError("one run is a simulation and the other is not", field="run_b")
    if plan_a.simulation is None or plan_b.simulation is None:
        return
    a = SimulationSpec.model_validate(plan_a.simulation)
    b = SimulationSpec.model_validate(plan_b.simulation)
    if not a.same_simulator(b):
        raise InputError(
            f"the two runs simulated their users differently ({a.user_model}, {a.max_turns} "
            f"turns vs {b.user_model}, {b.max_turns} turns, or another setting): their "
            "difference would be the simulators'",
            field="run_b",
        )
