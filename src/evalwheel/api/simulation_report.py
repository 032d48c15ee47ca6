"""``simulation_report``: a simulation run's score with the simulator's own figures beside it —
pass^k over trials, the reviewer's error rates, realism against the real conversations the
essences came from, the control agreement, and (given a judge model) whether a judge can tell the
simulated conversations from the real ones."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from pydantic import BaseModel

from evalwheel.api.projects import ProjectLike, open_project
from evalwheel.errors import InputError
from evalwheel.interrupts import run_sync
from evalwheel.judges.resolve import judge_client
from evalwheel.runner.aggregate import summarize
from evalwheel.runner.results import RunSummary
from evalwheel.runner.runner import load_output, load_plan, select_examples
from evalwheel.simulate.discrimination import ConversationPair, DiscriminationReport, adiscriminate
from evalwheel.simulate.fidelity import (
    ControlAgreement,
    EpisodeRecord,
    SimulatorErrors,
    clean_success,
    control_agreement,
    simulator_errors,
)
from evalwheel.simulate.models import SimulationSpec
from evalwheel.simulate.realism import RealismReport, realism
from evalwheel.stats.estimate import Estimate
from evalwheel.stats.intervals import wilson
from evalwheel.stats.pass_k import PassKReport, pass_k
from evalwheel.store.datasets import DatasetRepository
from evalwheel.store.db import Store
from evalwheel.store.runs import RunRepository

SUCCESS = "sim.success"


class SimulationReport(BaseModel):
    """Everything a reader needs to trust (or not) a simulation's score. ``success_scorer`` is
    ``sim.success`` (the application's check) or, for an agent without one, the run's headline
    scorer (a generic scorer or a judge)."""

    run_id: str
    success_scorer: str | None
    system: str
    essences: str
    simulation: SimulationSpec
    summary: RunSummary
    success: Estimate
    success_on_clean_episodes: Estimate
    pass_k: PassKReport | None
    simulator_errors: SimulatorErrors
    realism: RealismReport | None
    real_conversations: str | None
    control: ControlAgreement | None
    discrimination: DiscriminationReport | None = None


async def asimulation_report(
    run_id: str,
    *,
    conversations: str | None = None,
    discriminate_with: str | None = None,
    max_pairs: int = 60,
    project: ProjectLike = None,
) -> SimulationReport:
    """The report of simulation run ``run_id``. Realism compares its episodes with the real
    conversations the essences were extracted from (``conversations`` overrides which dataset);
    ``discriminate_with`` names a judge model for the real-vs-simulated test over up to
    ``max_pairs`` pairs (first trial of each essence)."""
    project_obj = open_project(project)
    store = project_obj.open_store()
    try:
        row, plan = load_plan(store, run_id)
        if plan.simulation is None:
            raise InputError(f"run {run_id} is not a simulation run", field="run")
        spec = SimulationSpec.model_validate(plan.simulation)
        essences = {e.id: e for e in select_examples(DatasetRepository(store), plan)}
        summary = summarize(store, run_id)
        success_scorer = SUCCESS if SUCCESS in summary.scorers else summary.headline
        records, simulated = _episodes(store, run_id, essences, success_scorer)
        by_essence: dict[str, list[bool]] = defaultdict(list)
        for record in records:
            if record.success is not None:
                by_essence[record.essence].append(record.success)
        real, source = _real_conversations(store, essences, conversations)
        pairs = [
            ConversationPair(id=essence_id, real=real[essence_id], simulated=messages)
            for (essence_id, repetition), messages in sorted(simulated.items())
            if repetition == 0 and essence_id in real and messages
        ][:max_pairs]
        discrimination = None
        if discriminate_with is not None and pairs:
            async with judge_client(project_obj, store, discriminate_with) as client:
                discrimination = await adiscriminate(pairs, client)
        successes = [s for values in by_essence.values() for s in values]
        # one episode per essence, so conversations stay the independent units realism assumes
        first_trials = [m for (_, rep), m in sorted(simulated.items()) if rep == 0 and m]
        served = [
            str(e.metadata.get("served_by"))
            for e in essences.values()
            if e.metadata.get("served_by")
        ]
        return SimulationReport(
            run_id=run_id,
            success_scorer=success_scorer,
            system=row.system_name,
            essences=plan.dataset,
            simulation=spec,
            summary=summary,
            success=_rate(successes),
            success_on_clean_episodes=clean_success(records),
            pass_k=pass_k(dict(by_essence)) if plan.repeat > 1 and by_essence else None,
            simulator_errors=simulator_errors(records),
            realism=realism(list(real.values()), first_trials) if real and first_trials else None,
            real_conversations=source,
            control=control_agreement(records, row.system_name, served),
            discrimination=discrimination,
        )
    finally:
        store.close()


def _rate(values: list[bool]) -> Estimate:
    return wilson(sum(values), len(values))


def _episodes(
    store: Store, run_id: str, essences: dict[str, Any], scorer: str | None
) -> tuple[list[EpisodeRecord], dict[tuple[str, int], list[dict[str, Any]]]]:
    runs = RunRepository(store)
    success = {
        (s.example_id, s.repetition): s.passed for s in runs.scores(run_id) if s.scorer == scorer
    }
    records: list[EpisodeRecord] = []
    simulated: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for trace in runs.traces(run_id):
        output = load_output(store, trace)
        record = output.details.get("simulation") or {}
        attempts = record.get("attempts") or [[]]
        essence = essences.get(trace.example_id)
        records.append(
            EpisodeRecord(
                essence=trace.example_id,
                repetition=trace.repetition,
                success=success.get((trace.example_id, trace.repetition)),
                first_flags=[f["kind"] for f in attempts[0]],
                final_flags=[
                    f["kind"] for f in attempts[int(record.get("kept", len(attempts) - 1))]
                ],
                attempts=len(attempts),
                real_outcome=essence.metadata.get("real_outcome") if essence else None,
            )
        )
        simulated[(trace.example_id, trace.repetition)] = output.messages
    return records, simulated


def _real_conversations(
    store: Store, essences: dict[str, Any], override: str | None
) -> tuple[dict[str, list[dict[str, Any]]], str | None]:
    """Essence id → the real conversation it was extracted from."""
    repo = DatasetRepository(store)
    sources = {
        str(e.metadata.get("source_dataset"))
        for e in essences.values()
        if e.metadata.get("source_dataset")
    }
    ref = override or (sources.pop() if len(sources) == 1 else None)
    if ref is None:
        return {}, None
    version = repo.resolve(ref)
    rows = {r.id: r for r in repo.iter_examples(version.version_id)}
    found = {
        essence_id: list(rows[str(e.metadata.get("source"))].input)
        for essence_id, e in essences.items()
        if str(e.metadata.get("source")) in rows
    }
    return found, version.ref


def simulation_report(run_id: str, **kwargs: Any) -> SimulationReport:
    """``asimulation_report`` for scripts."""
    return run_sync(asimulation_report(run_id, **kwargs))
