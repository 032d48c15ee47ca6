"""``extract_essences`` and ``simulate``: goals from real conversations, replayed against a system.

Extraction stores a versioned ``essences`` dataset (a person can export it, edit it and import the
edit as a new version). A simulation is an ordinary run whose plan carries the simulator's
settings: it is stored, resumed, aggregated, compared (McNemar per essence) and gated like any
other, and its traces are the simulated conversations.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from evalwheel.api.datasets import import_examples, resolve_version
from evalwheel.api.evaluation import (
    ProgressCallback,
    SystemLike,
    _budget,
    _check_concurrency,
    execute_prepared,
    prepare_run,
)
from evalwheel.api.projects import ProjectLike, open_project
from evalwheel.api.synthesis import app_for_kind
from evalwheel.core.dataset import DatasetKind, DatasetVersion
from evalwheel.errors import InputError
from evalwheel.interrupts import run_sync
from evalwheel.judges.resolve import judge_client
from evalwheel.llm.errors import BudgetExceeded, DeadlineExceeded
from evalwheel.runner.results import RunResult
from evalwheel.simulate.clients import pin_simulation
from evalwheel.simulate.extract import PROMPT_VERSION, extract_essence
from evalwheel.simulate.models import SimulationSpec
from evalwheel.store.datasets import DatasetRepository

ExtractProgress = Callable[[int, int], None]


class EssenceExtraction(BaseModel):
    """What extraction stored: the essences version, how many rows, and where their parts came
    from (counts per field and source), with the model failures counted, never hidden."""

    dataset: str
    source: str
    n_essences: int
    n_conversations: int
    model: str | None
    model_errors: int = 0
    provenance: dict[str, dict[str, int]] = Field(default_factory=dict)
    facts_per_essence: float = 0.0


async def aextract_essences(
    conversations: str,
    *,
    name: str,
    model: str | None = "local",
    app: str | Any = None,
    limit: int | None = None,
    project: ProjectLike = None,
    on_progress: ExtractProgress | None = None,
) -> EssenceExtraction:
    """The essence of every conversation of ``conversations`` (``NAME[@VERSION]`` of a
    ``conversations`` dataset), stored as a new version of the ``essences`` dataset ``name``.
    ``app`` is an installed application's name or an application object (default: the only one
    installed). ``model=None`` extracts by rules only (persona left empty, tone measured). Model calls go
    through the call cache, so an interrupted extraction re-run pays only for what it had not
    done."""
    project_obj = open_project(project)
    store = project_obj.open_store()
    try:
        repo = DatasetRepository(store)
        version = resolve_version(repo, conversations)
        if version.kind != DatasetKind.CONVERSATIONS:
            raise InputError(
                f"{version.ref} is a {version.kind.value} dataset; essences are extracted from a "
                "conversations dataset",
                field="conversations",
            )
        application = (
            app_for_kind(version.kind.value, app) if app is None or isinstance(app, str) else app
        )
        rows = list(repo.iter_examples(version.version_id))[:limit]
        client = judge_client(project_obj, store, model) if model else None
        essences: list[dict[str, Any]] = []
        provenance: dict[str, dict[str, int]] = {}
        errors = 0
        if client is not None:
            await client.__aenter__()
        try:
            for done, row in enumerate(rows, start=1):
                draft = await extract_essence(application, client, row)
                errors += draft.model_error is not None
                for field, source in draft.provenance.items():
                    counts = provenance.setdefault(field, {})
                    counts[source] = counts.get(source, 0) + 1
                essences.append(_essence_row(row, draft, version, model))
                if on_progress:
                    on_progress(done, len(rows))
        except (BudgetExceeded, DeadlineExceeded):
            raise
        finally:
            if client is not None:
                await client.__aexit__(None, None, None)
        stored = import_examples(essences, name, DatasetKind.ESSENCES, project=project_obj)
        facts = [len(e["input"]["facts"]) for e in essences]
        return EssenceExtraction(
            dataset=stored.ref,
            source=version.ref,
            n_essences=len(essences),
            n_conversations=len(rows),
            model=model,
            model_errors=errors,
            provenance=provenance,
            facts_per_essence=sum(facts) / len(facts) if facts else 0.0,
        )
    finally:
        store.close()


def _essence_row(
    row: Any, draft: Any, version: DatasetVersion, model: str | None
) -> dict[str, Any]:
    metadata = row.metadata
    return {
        "id": f"ess-{row.id}",
        "input": draft.essence.model_dump(mode="json"),
        "reference": row.reference,
        "tags": list(row.tags),
        "expect": metadata.get("expect"),
        "source": row.id,
        "real_outcome": row.label,
        "served_by": metadata.get("served_by"),
        "metadata": {
            "source_dataset": version.ref,
            "extraction": {
                "model": model,
                "prompt_version": PROMPT_VERSION,
                "from": draft.provenance,
                "model_error": draft.model_error,
            },
        },
    }


def extract_essences(conversations: str, **kwargs: Any) -> EssenceExtraction:
    """``aextract_essences`` for scripts; Ctrl-C stops it (a re-run reuses the cached calls)."""
    return run_sync(aextract_essences(conversations, **kwargs))


async def asimulate(
    system: SystemLike,
    essences: str,
    *,
    project: ProjectLike = None,
    user_model: str = "local",
    trials: int = 1,
    max_turns: int = 6,
    temperature: float = 0.7,
    opening: Literal["simulated", "real"] = "simulated",
    reviewer_model: str | None = None,
    retries: int = 1,
    split: str | None = None,
    limit: int | None = None,
    items: Sequence[str] | None = None,
    tags: Sequence[str] = (),
    scorers: Sequence[str] = (),
    judges: Sequence[str] = (),
    allow_untrusted_judges: bool = False,
    concurrency: int = 2,
    budget_usd: float | None = None,
    on_progress: ProgressCallback | None = None,
) -> RunResult:
    """Simulate every essence of ``essences`` (``NAME[@VERSION]`` of an ``essences`` dataset)
    against ``system``, ``trials`` independent episodes each (pass^k needs k ≥ 2), with the user
    played by ``user_model``. Returns the run's typed result; ``simulation_report`` adds the
    simulator's error rate, realism and pass^k. A reviewer model (``reviewer_model``) reads each
    transcript besides the rules. An application without a success check (a user's own agent) is
    scored by generic ``scorers`` (``json_match``…) against the essence's reference, or by
    ``judges`` reading the goal and the transcript. ``tags`` keeps the essences that carry any of
    them (``needs:clarify``); ``user_model="replay"`` is the rules-based user that speaks only the
    real user's words."""
    _check_concurrency(concurrency)
    spec = simulation_spec(
        user_model=user_model,
        max_turns=max_turns,
        temperature=temperature,
        opening=opening,
        reviewer_model=reviewer_model,
        retries=retries,
    )
    project_obj = open_project(project)
    store = project_obj.open_store()
    try:
        version = resolve_version(DatasetRepository(store), essences)
        if version.kind != DatasetKind.ESSENCES:
            raise InputError(
                f"{version.ref} is a {version.kind.value} dataset; a simulation replays an "
                "essences dataset (evalwheel simulate extract makes one)",
                field="essences",
            )
        if tags:
            wanted = set(tags)
            tagged = [
                e.id
                for e in DatasetRepository(store).iter_examples(version.version_id)
                if wanted & set(e.tags)
            ]
            if not tagged:
                raise InputError(
                    f"no essence of {version.ref} has the tag {', '.join(sorted(wanted))}",
                    field="tags",
                )
            items = [i for i in tagged if items is None or i in set(items)]
        run = prepare_run(
            project_obj,
            store,
            system,
            version,
            split=split,
            repeat=trials,
            limit=limit,
            items=items,
            scorers=scorers,
            judges=judges,
            allow_untrusted_judges=allow_untrusted_judges,
            budget=_budget(budget_usd),
            simulation=pin_simulation(project_obj, spec),
        )
        if trials > 1 and (spec.user_model == "replay" or spec.temperature == 0):
            run.notes.append(
                "the simulated user is deterministic (replay or temperature 0): the trials are "
                "independent samples only as far as the system itself samples"
            )
        return await execute_prepared(run, concurrency=concurrency, on_progress=on_progress)
    finally:
        store.close()


def simulation_spec(**settings: Any) -> SimulationSpec:
    """The simulator's settings, validated (a bad one is an ``InputError`` naming it)."""
    reviewer = "rules+judge" if settings.get("reviewer_model") else "rules"
    try:
        return SimulationSpec(reviewer=reviewer, **settings)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InputError(first["msg"], field=".".join(map(str, first["loc"]))) from None


def simulate(system: SystemLike, essences: str, **kwargs: Any) -> RunResult:
    """``asimulate`` for scripts; Ctrl-C stops cleanly and ``resume`` finishes the run."""
    return run_sync(asimulate(system, essences, **kwargs))
