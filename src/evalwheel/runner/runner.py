"""Running a system over a dataset version: resumable, with every item counted.

A run is planned once (dataset version, split, repetitions, scorers) and stored. Each finished
(item, repetition) is written in one transaction (trace row, its blob, its scores), so a process
killed at any moment (SIGKILL included) leaves only whole items; ``resume`` runs exactly the pairs
that have no trace yet, and in-flight ones simply run again. An item whose system raised or returned
an error is a failed item: it has a trace with the error and failing scores, and counts in every
aggregate. A budget or deadline stop is not a failure: the pairs not started are left for a resume.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from evalwheel.apps.hooks import installed_signature
from evalwheel.apps.interface import App, AppOutput, CheckResult
from evalwheel.core.dataset import DatasetVersion
from evalwheel.core.example import Example
from evalwheel.core.run import RunStatus
from evalwheel.core.system import System
from evalwheel.datasets.splits import SIGNATURE, SignatureFn, SplitPolicy, assign_split
from evalwheel.llm.client import ModelClient, independent_sample
from evalwheel.llm.errors import BudgetExceeded, DeadlineExceeded
from evalwheel.redaction import redact_text
from evalwheel.runner.results import RunProgress
from evalwheel.runner.scorers import AsyncScorer, Scorer
from evalwheel.store.datasets import DatasetRepository
from evalwheel.store.db import Store, StoreError
from evalwheel.store.runs import LEASE_TTL_S, RunRepository, new_lease_owner
from evalwheel.store.tables import RunRow, TraceRow

INLINE_TRACE_BYTES = 64 * 1024
FLUSH_INTERVAL_S = 0.5


def _now() -> datetime:
    return datetime.now(UTC)


class RunPlan(BaseModel):
    """What a run will do, fixed when it is created and stored with it."""

    dataset: str  # name@version_id
    version_id: str
    split: Literal["train", "dev", "test"] | None = None
    repeat: int = Field(default=1, ge=1, le=1000)
    limit: int | None = Field(default=None, ge=1)
    items: list[str] | None = Field(
        default=None, description="only these item ids (a mirror's sample), in dataset order"
    )
    sample_base: int = Field(
        default=0,
        ge=0,
        description="repetition r draws independent sample sample_base + r, so a mirror's "
        "candidate never reuses the current system's cached answers to the same calls",
    )
    scorers: list[str] = []
    app: str
    params: dict[str, Any] = {}
    policy: dict[str, Any] = {}
    judges: dict[str, str] = {}  # judge or panel name → judge version (panels: their members')
    groups: dict[str, str] | None = Field(
        default=None,
        description="item id → structural signature, fixed when the run was planned, for a "
        "policy that groups by signature (so a resumed run keeps its items)",
    )
    simulation: dict[str, Any] | None = Field(
        default=None,
        description="a simulation run's settings (evalwheel.simulate.SimulationSpec): each item "
        "is an essence, run as an episode against a simulated user",
    )
    slices: dict[str, list[str]] = Field(
        default_factory=dict,
        description="slice → item ids, computed once when planned (contamination against what "
        "the system learnt from) and added to those items' tags",
    )

    @classmethod
    def for_system(
        cls, system: System, version: DatasetVersion, splits: BaseModel, **kw: Any
    ) -> RunPlan:
        """A plan for ``system`` on a dataset version, with the project's split policy (``splits``)."""
        return cls(
            dataset=f"{version.name}@{version.version_id}",
            version_id=version.version_id,
            app=system.app,
            params=system.params,
            policy=splits.model_dump(),
            **kw,
        )


def plan_signature(plan: RunPlan) -> SignatureFn | None:
    """The signature a plan's split groups by: the one stored with the plan, else the installed
    applications' (a plan made without them)."""
    if SplitPolicy(**plan.policy).group_by != SIGNATURE:
        return None
    if plan.groups is not None:
        groups = plan.groups
        return lambda example: groups.get(example.id)
    return installed_signature()


def select_examples(repo: DatasetRepository, plan: RunPlan) -> list[Example]:
    """The run's items: the plan's split of the version under its policy, up to its limit, with
    the plan's slices added to their tags."""
    policy = SplitPolicy(**plan.policy)
    signature = plan_signature(plan) if plan.split is not None else None
    examples = [
        e
        for e in repo.iter_examples(plan.version_id)
        if plan.split is None or assign_split(e, policy, signature) == plan.split
    ]
    if plan.items is not None:
        wanted = set(plan.items)
        examples = [e for e in examples if e.id in wanted]
    examples = examples[: plan.limit] if plan.limit else examples
    if not plan.slices:
        return examples
    extra: dict[str, list[str]] = {}
    for name, ids in plan.slices.items():
        for example_id in ids:
            extra.setdefault(example_id, []).append(name)
    return [
        e.model_copy(update={"tags": (*e.tags, *extra[e.id])}) if e.id in extra else e
        for e in examples
    ]


def create_run(store: Store, system: System, plan: RunPlan) -> str:
    """Store a planned run of ``system``; returns its id. Nothing runs yet."""
    n_items = len(select_examples(DatasetRepository(store), plan)) * plan.repeat
    return RunRepository(store).create(
        system_name=system.name,
        system_version=system.version,
        system_payload=system.model_dump(mode="json"),
        dataset=plan.dataset,
        split=plan.split,
        repeat=plan.repeat,
        n_items=n_items,
        config=plan.model_dump(mode="json"),
    )


def load_plan(store: Store, run_id: str) -> tuple[RunRow, RunPlan]:
    """A stored run and the plan it was created with."""
    row = RunRepository(store).get(run_id)
    return row, RunPlan.model_validate(row.config)


def done_pairs(store: Store, run_id: str) -> set[tuple[str, int]]:
    """(item, repetition) pairs already finished and committed."""
    return RunRepository(store).done_pairs(run_id)


async def execute_run(
    store: Store,
    run_id: str,
    app: App,
    client: ModelClient | None,
    scorers: dict[str, Scorer],
    *,
    concurrency: int = 4,
    on_item: Callable[[], None] | None = None,
    batch_size: int = 16,
    judge_scorers: dict[str, AsyncScorer] | None = None,
    on_start: Callable[[int], None] | None = None,
) -> RunProgress:
    runs = RunRepository(store)
    owner = new_lease_owner()
    runs.acquire_lease(run_id, owner)
    try:
        return await _execute_leased(
            store,
            run_id,
            owner,
            app,
            client,
            scorers,
            concurrency=concurrency,
            on_item=on_item,
            batch_size=batch_size,
            judge_scorers=judge_scorers,
            on_start=on_start,
        )
    except BaseException:
        runs.release_lease(run_id, owner, RunStatus.INTERRUPTED, finished=False)
        raise


async def _execute_leased(
    store: Store,
    run_id: str,
    owner: str,
    app: App,
    client: ModelClient | None,
    scorers: dict[str, Scorer],
    *,
    concurrency: int,
    on_item: Callable[[], None] | None,
    batch_size: int,
    judge_scorers: dict[str, AsyncScorer] | None,
    on_start: Callable[[int], None] | None,
) -> RunProgress:
    runs = RunRepository(store)
    row, plan = load_plan(store, run_id)
    examples = select_examples(DatasetRepository(store), plan)
    done = runs.done_pairs(run_id)
    pending = [(e, r) for e in examples for r in range(plan.repeat) if (e.id, r) not in done]
    progress = RunProgress(
        run_id=run_id,
        planned=row.n_items,
        done_before=len(done),
        done_now=0,
        failed_now=0,
        remaining=len(pending),
    )
    if on_start:
        on_start(len(pending))
    queue: asyncio.Queue[tuple[Example, int]] = asyncio.Queue()
    for pair in pending:
        queue.put_nowait(pair)

    finished: list[tuple[Example, int, AppOutput, list[CheckResult]]] = []
    wake = asyncio.Event()
    stopping = asyncio.Event()

    async def write_finished() -> None:
        # Group commit, off the event loop: one transaction per batch of finished items, so calls
        # keep flowing while the disk works. An item counts as done only once committed; a kill
        # before that re-runs it on resume (its model calls answered from the call cache).
        batch = finished[:]
        del finished[: len(batch)]
        if not batch:
            return
        await asyncio.to_thread(_record_many, store, run_id, batch)
        for _, _, output, _ in batch:
            progress.done_now += 1
            progress.remaining -= 1
            progress.failed_now += output.error is not None
            if on_item:
                on_item()

    async def committer() -> None:
        # The only writer of traces: by count (a worker wakes it) and by time, so a finished item
        # is durable within about FLUSH_INTERVAL_S. Never cancelled mid-write; told to stop.
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), FLUSH_INTERVAL_S)
            wake.clear()
            await write_finished()
            if stopping.is_set() and not finished:
                return

    async def worker() -> None:
        while progress.stopped is None and not writer.done():
            try:
                example, repetition = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            try:
                with independent_sample(plan.sample_base + repetition):
                    output = await _run_one(app, example, client, plan.params)
            except (BudgetExceeded, DeadlineExceeded) as exc:
                progress.stopped = str(exc)
                return
            checks = _checks(app, example, output, scorers, plan.scorers)
            try:
                for judge_scorer in (judge_scorers or {}).values():
                    checks.append(
                        await judge_scorer(
                            app, example, output, f"{run_id}/{example.id}/{repetition}"
                        )
                    )
            except (BudgetExceeded, DeadlineExceeded) as exc:
                progress.stopped = str(exc)
                return
            finished.append((example, repetition, output, checks))
            if len(finished) >= batch_size:
                wake.set()

    async def keep_lease() -> None:
        failures = 0
        while True:
            await asyncio.sleep(LEASE_TTL_S / 3)
            try:
                held = await asyncio.to_thread(runs.renew_lease, run_id, owner)
                failures = 0
            except StoreError:
                # The store hiccupped: try again next time; stop before the lease could expire.
                failures += 1
                held = failures < 2
            if not held:
                progress.stopped = "this process lost its lease on the run (another may hold it)"
                return

    keeper = asyncio.create_task(keep_lease())
    writer = asyncio.create_task(committer())
    try:
        await asyncio.gather(*(worker() for _ in range(max(1, concurrency))))
    finally:
        keeper.cancel()
        stopping.set()
        wake.set()
        await writer
        if client is not None:
            client.flush()
    complete = progress.remaining == 0
    runs.release_lease(
        run_id, owner, RunStatus.COMPLETED if complete else RunStatus.INTERRUPTED, complete
    )
    return progress


async def _run_one(
    app: App, example: Example, client: ModelClient | None, params: dict[str, Any]
) -> AppOutput:
    started = time.perf_counter()
    try:
        output = await app.run(example, client, params)
    except (BudgetExceeded, DeadlineExceeded):
        raise
    except (
        Exception
    ) as exc:  # the system failed on this item: a failed item, recorded with its error
        output = AppOutput(error=f"{type(exc).__name__}: {exc}")
    if output.error is not None:
        output.error = redact_text(output.error)
    output.latency_s = time.perf_counter() - started
    return output


def _checks(
    app: App, example: Example, output: AppOutput, scorers: dict[str, Scorer], names: list[str]
) -> list[CheckResult]:
    results = list(app.check(example, output))
    for name in names:
        try:
            results.append(scorers[name](example, output))
        except Exception as exc:  # a broken scorer fails loudly in the record, not silently
            results.append(
                CheckResult(
                    scorer=name,
                    passed=False,
                    details={"scorer_error": f"{type(exc).__name__}: {exc}"},
                )
            )
    if output.error is not None:  # an errored item fails every check, never drops out of one
        results = [
            r if r.passed is not None else r.model_copy(update={"passed": False}) for r in results
        ]
    return results


def _record_many(
    store: Store, run_id: str, batch: list[tuple[Example, int, AppOutput, list[CheckResult]]]
) -> None:
    """One transaction for a batch of finished items, with bulk inserts. A small trace is kept in
    its row; a large one goes to the blob store first (so a committed row never points at a
    missing blob)."""
    now = _now()
    traces: list[dict[str, Any]] = []
    scores: list[dict[str, Any]] = []
    for example, repetition, output, checks in batch:
        data = json.dumps(output.model_dump(mode="json"), sort_keys=True)
        inline = len(data) <= INLINE_TRACE_BYTES
        traces.append(
            {
                "run_id": run_id,
                "example_id": example.id,
                "repetition": repetition,
                "error": output.error,
                "input_tokens": output.input_tokens,
                "output_tokens": output.output_tokens,
                "cost_usd": output.cost_usd,
                "latency_s": output.latency_s,
                "payload": data if inline else None,
                "blob": None if inline else store.blobs.put(data.encode(), durable=False),
                "created_at": now,
            }
        )
        for check in checks:
            scores.append(
                {
                    "run_id": run_id,
                    "example_id": example.id,
                    "repetition": repetition,
                    "scorer": check.scorer,
                    "value": check.value,
                    "passed": check.passed,
                    "label": _label(check.label or check.details.get("judge_label")),
                    "explanation": _text_or_none(
                        check.explanation or check.details.get("rationale")
                    ),
                    "details": json.loads(json.dumps(check.details, default=str)),
                    "error": output.error,
                }
            )
    RunRepository(store).record(traces, scores)


def load_output(store: Store, trace: TraceRow) -> AppOutput:
    """The stored output of a trace row, inline or from its blob."""
    if trace.payload is not None:
        return AppOutput.model_validate_json(trace.payload)
    if trace.blob:
        return AppOutput.model_validate(json.loads(store.blobs.get(trace.blob)))
    return AppOutput(error=trace.error)


LABEL_CHARS = 128  # the label column; the full label stays in the score's details


def _label(value: Any) -> str | None:
    text = _text_or_none(value)
    return None if text is None else text[:LABEL_CHARS]


def _text_or_none(value: Any) -> str | None:
    return None if value is None else str(value)
