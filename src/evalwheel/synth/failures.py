"""Failures as training data: where the system was wrong and a better answer is known.

Four sources, each giving ``FailureCandidate``s (the request, a target, the rejected output and who
decided):

- a **mirror**: a pair one side lost. Who decides, in order of trust: a human's review verdict
  (labels on ``mirror:NAME``), the application's own check on each side (its ``*.pass`` score in
  the replay's runs, when the two sides differ), the pairwise judge when both orders agreed, a side
  that errored. ``both_bad`` makes both sides losers; ties and undecided pairs give nothing;
- a **run**: a trace the check failed (its ``*.pass`` scorer or the scorer named), or that errored
  (source ``run``), or that a human failed when resolving its review item (source ``review``);
- **simulations**: a simulation run is a run, so its failed episodes come the same way (source
  ``simulation``); the request is the simulated user's opening with every fact the user held
  back, so the row teaches building from the whole request, never guessing what was left out.

The target is the example's reference when it has one, else the winning output's artifact; a
candidate without one is skipped and counted. ``failure_rows`` turns candidates into rows of the
``synthetic`` kind (see the issue 14 contract), which then go through the same verification and
decontamination as generated rows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, Field, JsonValue

from evalwheel.apps.interface import AppOutput
from evalwheel.core.example import Example
from evalwheel.core.hashing import content_hash, short
from evalwheel.core.mirror import MirrorPair, PairSide
from evalwheel.mirror.analysis import request_text
from evalwheel.mirror.harvest import decide, human_labels
from evalwheel.runner.runner import load_output, load_plan, select_examples
from evalwheel.store.datasets import DatasetRepository
from evalwheel.store.db import Store
from evalwheel.store.mirrors import MirrorPairRepository
from evalwheel.store.runs import RunRepository
from evalwheel.store.tables import ScoreRow

FailureSource = Literal["mirror", "run", "review", "simulation"]
DecidedBy = Literal["human", "check", "judge", "error"]


class FailureCandidate(BaseModel):
    """One output the system got wrong, and what it should have produced."""

    source: FailureSource
    source_id: str = Field(description="the mirror, run or simulation it came from")
    item_id: str = Field(description="the pair id, example#repetition or simulation id")
    example_id: str | None = None
    source_dataset: str | None = Field(default=None, description="name@version of the items")
    request: JsonValue = None
    target: JsonValue = Field(default=None, description="what the system should have produced")
    target_from: Literal["reference", "winner"] = "reference"
    expect: str | None = Field(default=None, description="the outcome the target is")
    rejected: AppOutput
    decided_by: DecidedBy
    system: str | None = Field(default=None, description="the system whose output lost")
    tags: list[str] = Field(default_factory=list)
    example_metadata: dict[str, JsonValue] = Field(default_factory=dict)


class FailureHarvest(BaseModel):
    """What one source gave: the usable candidates, how many items were looked at, and why the
    others gave nothing (reason → count)."""

    candidates: list[FailureCandidate] = Field(default_factory=list)
    considered: int = 0
    skipped: dict[str, int] = Field(default_factory=dict)

    def merged(self, other: FailureHarvest) -> FailureHarvest:
        return FailureHarvest(
            candidates=[*self.candidates, *other.candidates],
            considered=self.considered + other.considered,
            skipped=dict(Counter(self.skipped) + Counter(other.skipped)),
        )


def pass_scorer(names: Iterable[str], wanted: str | None = None) -> str | None:
    """The scorer that says whether an output is right: the one asked for, else the application's
    own ``*.pass`` scorer (as a run's headline is chosen)."""
    present = sorted(set(names))
    if wanted is not None:
        return wanted if wanted in present else None
    return next((n for n in present if n.endswith(".pass")), None)


def _check_verdicts(store: Store, run_id: str, scorer: str | None) -> dict[tuple[str, int], bool]:
    scores = RunRepository(store).scores(run_id)
    chosen = pass_scorer((s.scorer for s in scores), scorer)
    return {
        (s.example_id, s.repetition): bool(s.passed)
        for s in scores
        if s.scorer == chosen and s.passed is not None
    }


def _outputs(store: Store, run_id: str) -> dict[tuple[str, int], AppOutput]:
    return {
        (t.example_id, t.repetition): load_output(store, t)
        for t in RunRepository(store).traces(run_id)
    }


def _side_output(side: PairSide, stored: AppOutput | None) -> AppOutput:
    """The losing output as the run stored it (replay), else as the proxy recorded it (live)."""
    if stored is not None:
        return stored
    messages = (
        [{"role": "assistant", "content": side.content, "tool_calls": side.tool_calls}]
        if side.content is not None or side.tool_calls
        else []
    )
    return AppOutput(
        outcome=side.outcome,
        artifact=side.artifact,
        messages=messages,
        tool_calls=side.tool_calls,
        input_tokens=side.input_tokens,
        output_tokens=side.output_tokens,
        cost_usd=side.cost_usd,
        latency_s=side.latency_s,
        error=side.error,
    )


def _mirror_decision(
    pair: MirrorPair, human: str | None, checks: Mapping[str, bool | None]
) -> tuple[str, DecidedBy] | None:
    """(winner, decided by): a human first, then the application's check, then the judge or a
    failed side (``evalwheel.mirror.harvest.decide``)."""
    if human is not None:
        decision = decide(pair, human)
        return (decision.winner, "human") if decision else None
    current, candidate = checks.get("current"), checks.get("candidate")
    if current is not None and candidate is not None and current != candidate:
        return ("current" if current else "candidate"), "check"
    decision = decide(pair, None)
    return (decision.winner, decision.decided_by) if decision else None


def mirror_failures(
    store: Store,
    mirror: str,
    *,
    runs: Mapping[str, str] | None = None,
    examples: Mapping[str, Example] | None = None,
    source_dataset: str | None = None,
    scorer: str | None = None,
) -> FailureHarvest:
    """Each decided pair's losing side(s) of ``mirror``. ``runs`` (role → run id) give the
    replay's stored outputs and check scores; ``examples`` (id → example) their references."""
    pairs = MirrorPairRepository(store).pairs(mirror)
    labels = human_labels(store, mirror)
    runs, examples = runs or {}, examples or {}
    checks = {role: _check_verdicts(store, run, scorer) for role, run in runs.items()}
    outputs = {role: _outputs(store, run) for role, run in runs.items()}
    skipped: Counter[str] = Counter()
    found: list[FailureCandidate] = []
    for pair in pairs:
        decided = _mirror_decision(
            pair,
            labels.get(pair.id),
            {role: checks[role].get((pair.example_id, 0)) for role in checks},
        )
        if decided is None:
            skipped["undecided"] += 1
            continue
        winner_role, decided_by = decided
        if winner_role == "tie" or pair.candidate is None:
            skipped["no_loser"] += 1
            continue
        sides = {"current": pair.current, "candidate": pair.candidate}
        losers = ["current", "candidate"] if winner_role == "both_bad" else []
        if winner_role in sides:
            losers = [r for r in sides if r != winner_role]
        example = examples.get(pair.example_id)
        reference = example.reference if example is not None else None
        winner = sides.get(winner_role)
        target = reference if reference is not None else (winner.artifact if winner else None)
        if target is None:
            skipped["no_target"] += len(losers)
            continue
        expect = _expect(example, None if reference is not None else winner)
        for role in losers:
            rejected = _side_output(sides[role], outputs.get(role, {}).get((pair.example_id, 0)))
            if rejected.error is None and rejected.artifact == target:
                skipped["rejected_is_target"] += 1
                continue
            found.append(
                FailureCandidate(
                    source="mirror",
                    source_id=mirror,
                    item_id=pair.id if len(losers) == 1 else f"{pair.id}/{role}",
                    example_id=pair.example_id,
                    source_dataset=source_dataset,
                    request=pair.request,
                    target=target,
                    target_from="reference" if reference is not None else "winner",
                    expect=expect,
                    rejected=rejected,
                    decided_by=decided_by,
                    system=sides[role].system,
                    tags=list(pair.tags),
                    example_metadata=dict(example.metadata) if example else {},
                )
            )
    return FailureHarvest(candidates=found, considered=len(pairs), skipped=dict(skipped))


def _expect(example: Example | None, winner: PairSide | None) -> str | None:
    if winner is not None:
        return winner.outcome
    given = example.metadata.get("expect") if example is not None else None
    return str(given) if given is not None else None


def _human_failed(scores: list[ScoreRow]) -> bool:
    return any(s.passed is False and (s.details or {}).get("decided_by") == "human" for s in scores)


def run_failures(store: Store, run_id: str, *, scorer: str | None = None) -> FailureHarvest:
    """Every trace of ``run_id`` that failed: a human's review verdict (source ``review``), the
    check ``scorer`` (default: the application's ``*.pass``) or an error (source ``run``)."""
    row, plan = load_plan(store, run_id)
    examples = {e.id: e for e in select_examples(DatasetRepository(store), plan)}
    runs = RunRepository(store)
    by_trace: dict[tuple[str, int], list[ScoreRow]] = {}
    for score in runs.scores(run_id):
        by_trace.setdefault((score.example_id, score.repetition), []).append(score)
    chosen = pass_scorer({s.scorer for s in runs.scores(run_id)}, scorer)
    system = f"{row.system_name}@{row.system_version[:12]}"
    traces = runs.traces(run_id)
    skipped: Counter[str] = Counter()
    found: list[FailureCandidate] = []
    seen: set[tuple[str, str]] = set()
    for trace in traces:
        scores = by_trace.get((trace.example_id, trace.repetition), [])
        check = next((s.passed for s in scores if s.scorer == chosen), None)
        decided_by: DecidedBy
        if plan.simulation is not None and any(
            s.scorer == "sim.user_ok" and s.passed is False for s in scores
        ):
            skipped["simulator_error"] += 1  # the simulated user erred: not the system's failure
            continue
        if _human_failed(scores):
            source, decided_by = "review", "human"
        elif trace.error is not None:
            source, decided_by = "run", "error"
        elif check is False:
            source, decided_by = "run", "check"
        else:
            skipped["passed" if check else "not_checked"] += 1
            continue
        example = examples.get(trace.example_id)
        if example is None or example.reference is None:
            skipped["no_target"] += 1
            continue
        rejected = load_output(store, trace)
        once = (trace.example_id, content_hash(rejected.artifact))
        if once in seen:
            skipped["same_rejected_output"] += 1
            continue
        seen.add(once)
        expect = example.metadata.get("expect")
        request = example.input
        if plan.simulation is not None:
            request = episode_request(rejected, example.input)
            source = "simulation" if source == "run" else source
        found.append(
            FailureCandidate(
                source=source,  # type: ignore[arg-type]
                source_id=run_id,
                item_id=f"{trace.example_id}#{trace.repetition}",
                example_id=trace.example_id,
                source_dataset=plan.dataset,
                request=request,
                target=example.reference,
                target_from="reference",
                expect=str(expect) if expect is not None else None,
                rejected=rejected,
                decided_by=decided_by,
                system=system,
                tags=list(example.tags),
                example_metadata=dict(example.metadata),
            )
        )
    return FailureHarvest(candidates=found, considered=len(traces), skipped=dict(skipped))


def simulation_runs(store: Store) -> list[str]:
    """The ids of every simulation run (a run whose plan carries ``simulation``)."""
    return [r.id for r in RunRepository(store).list() if (r.config or {}).get("simulation")]


def simulation_failures(store: Store, run_ids: Iterable[str]) -> FailureHarvest:
    """The failed episodes of simulation runs (see ``run_failures``), merged."""
    harvest = FailureHarvest()
    for run_id in run_ids:
        harvest = harvest.merged(run_failures(store, run_id))
    return harvest


def failure_id(candidate: FailureCandidate) -> str:
    """Deterministic: the same failure gives the same row id on every harvest."""
    key = {"source": candidate.source, "id": candidate.source_id, "item": candidate.item_id}
    return "fail-" + short(content_hash(key))


def _trajectory(app: Any, request: str, target: JsonValue) -> list[dict[str, Any]] | None:
    hook = getattr(app, "ideal_trajectory", None)
    if not callable(hook):
        return None
    try:
        return list(hook(request, target))
    except (ValueError, TypeError, KeyError):  # a target the application cannot build one for
        return None


def _rejected_trajectory(app: Any, request: str, output: AppOutput) -> list[dict[str, Any]] | None:
    """The failed artifact in the ideal trajectory's form, so a preference pair differs in what
    was built, not in how it is written (None: it failed, or is no artifact the app builds)."""
    made = getattr(app, "artifact_outcome", None)
    if output.error is not None or output.artifact is None or output.outcome != made:
        return None
    return _trajectory(app, request, output.artifact)


def _signature(app: Any, row: Example) -> str | None:
    hook = getattr(app, "signature", None)
    if not callable(hook):
        return None
    try:
        value = hook(row)
    except (ValueError, TypeError, KeyError):
        return None
    return None if value is None else str(value)


class FailureRows(BaseModel):
    """Rows of the ``synthetic`` kind made from candidates, and what could not become one."""

    rows: list[Example]
    without_trajectory: int = 0
    skipped: dict[str, int] = Field(default_factory=dict)


def failure_rows(candidates: Iterable[FailureCandidate], *, app: Any = None) -> FailureRows:
    """Each candidate as a training row: ``reference`` the target, ``output`` the rejected
    artifact, ``metadata`` with ``expect``, the ideal ``trajectory`` when ``app`` can build one,
    the ``rejected`` output and the ``provenance``. Two candidates with one id keep the first."""
    rows: list[Example] = []
    ids: set[str] = set()
    without = 0
    skipped: Counter[str] = Counter()
    for c in candidates:
        row_id = failure_id(c)
        if row_id in ids:
            skipped["duplicate"] += 1
            continue
        ids.add(row_id)
        text = request_text(c.request)
        if not text.strip():
            skipped["no_request"] += 1
            continue
        trajectory = _trajectory(app, text, c.target)
        without += trajectory is None
        provenance: dict[str, JsonValue] = {
            "source": c.source,
            "source_dataset": c.source_dataset,
            "source_id": c.source_id,
            "item_id": c.item_id,
            "example_id": c.example_id,
            "decided_by": c.decided_by,
            "target_from": c.target_from,
            "rejected_system": c.system,
            "app": getattr(app, "name", None),
        }
        merchant = c.example_metadata.get("merchant")
        if merchant is not None:
            provenance["merchant"] = merchant
        metadata: dict[str, JsonValue] = {
            "rejected": c.rejected.model_dump(mode="json"),
            "provenance": {k: v for k, v in provenance.items() if v is not None},
        }
        if c.expect is not None:
            metadata["expect"] = c.expect
        if trajectory is not None:
            metadata["trajectory"] = trajectory  # type: ignore[assignment]
            rejected = _rejected_trajectory(app, text, c.rejected)
            if rejected is not None:
                metadata["rejected_trajectory"] = rejected  # type: ignore[assignment]
        tags = [
            *dict.fromkeys(t for t in c.tags if not t.startswith(("source:", "decided_by:"))),
            f"source:{c.source}",
            f"decided_by:{c.decided_by}",
        ]
        row = Example(
            id=row_id,
            input=text,
            reference=c.target,
            output=c.rejected.artifact,
            tags=tuple(tags),
            metadata=metadata,
        )
        descriptor = _signature(app, row)
        if descriptor is not None:
            row = row.model_copy(update={"tags": (*row.tags, f"descriptor:{descriptor}")})
        rows.append(row)
    return FailureRows(rows=rows, without_trajectory=without, skipped=dict(skipped))


def episode_request(output: AppOutput, essence: JsonValue) -> str:
    """A failed episode as one request: the user's opening and every fact the user knew."""
    opening = next((str(m.get("content")) for m in output.messages if m.get("role") == "user"), "")
    facts = essence.get("facts") if isinstance(essence, dict) else None
    texts = [
        str(f.get("text"))
        for f in facts or []
        if isinstance(f, dict) and f.get("text") and str(f.get("text")) not in opening
    ]
    goal = essence.get("goal") if isinstance(essence, dict) else None
    return " ".join([opening or str(goal or ""), *texts]).strip()
