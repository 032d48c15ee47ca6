"""The pipeline: sample → write → verify (format, execution, semantic) → decontaminate → store.

``finish_rows`` takes candidate rows from any source (generated requests, failures harvested
from mirrors and runs) in the contract's shape and does everything after writing; ``synthesize``
samples and writes first. Model calls go through the project's call cache, so a run stopped by
Ctrl-C (``Interrupted``) and run again pays for nothing twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from evalwheel.api.datasets import import_examples
from evalwheel.apps import hooks
from evalwheel.core.example import Example
from evalwheel.core.hashing import content_hash, short
from evalwheel.datasets.contamination import Method
from evalwheel.llm.client import ModelClient
from evalwheel.llm.errors import BudgetExceeded, DeadlineExceeded, ModelCallError
from evalwheel.project import Project
from evalwheel.synth import verify
from evalwheel.synth.decontaminate import DEFAULT_METHODS, decontaminate
from evalwheel.synth.models import (
    Funnel,
    RowVerdicts,
    SampleRow,
    SamplingReport,
    SemanticStats,
    StageVerdict,
    SynthResult,
)
from evalwheel.synth.sampling import sample_rows
from evalwheel.synth.writer import (
    PROMPT_VERSION,
    VAGUE,
    WriterExample,
    clarification,
    pick_examples,
    request_seed,
    style_for,
    write_request,
)

Progress = Callable[[str, int, int], None]  # (stage, done, total)
SAMPLE_ROWS = 5


def _note(progress: Progress | None, stage: str, done: int, total: int) -> None:
    if progress is not None:
        progress(stage, done, total)


def _with(row: Example, **metadata: Any) -> Example:
    return row.model_copy(update={"metadata": {**row.metadata, **metadata}})


def _provenance(row: Example, **extra: Any) -> dict[str, Any]:
    return {**verify.provenance(row), **extra}


async def afinish_rows(
    project: Project,
    app: Any,
    candidates: Sequence[Example],
    *,
    name: str,
    judge: ModelClient | None = None,
    against: Sequence[str] = (),
    methods: Sequence[Method] = DEFAULT_METHODS,
    sampled: int | None = None,
    written: int | None = None,
    sampling: SamplingReport | None = None,
    progress: Progress | None = None,
) -> SynthResult:
    """Verify each candidate (format, execution, then the judge when given one), decontaminate
    the survivors against ``against``, add ``filters_passed`` to their provenance and store them
    as a new version of the ``synthetic`` dataset ``name`` (nothing is stored when none is kept)."""
    started = time.monotonic()
    verdicts = {row.id: RowVerdicts(id=row.id) for row in candidates}
    rows = list(candidates)
    counts: dict[str, int] = {}
    for stage, check in (
        ("format", verify.format_verdict),
        ("execution", verify.execution_verdict),
    ):
        for done, row in enumerate(rows, start=1):
            verdicts[row.id].verdicts.append(check(app, row))
            _note(progress, stage, done, len(rows))
        rows = [r for r in rows if verdicts[r.id].kept]
        counts[stage] = len(rows)
    semantic: SemanticStats | None = None
    if judge is not None:
        semantic = SemanticStats(
            judge=judge.spec.name, judge_identity=judge.identity, asked=0, yes=0, unreadable=0
        )
        for done, row in enumerate(rows, start=1):
            verdict, readable = await verify.semantic_verdict(judge, app, row)
            verdicts[row.id].verdicts.append(verdict)
            if verdict.passed is not None:
                semantic.asked += 1
                semantic.yes += bool(verdict.passed)
                semantic.unreadable += not readable
            _note(progress, "semantic", done, len(rows))
        rows = [r for r in rows if verdicts[r.id].kept]
    after_semantic = len(rows)
    _note(progress, "decontamination", 0, len(against))
    removals = decontaminate(project, app, rows, against, methods=methods) if against else []
    for removal in removals:
        verdicts[removal.id].verdicts.append(
            StageVerdict(
                stage="decontamination",
                passed=False,
                method=removal.method,
                matched=removal.matched,
                reasons=[f"{removal.method} match with {removal.matched}"],
            )
        )
    gone = {r.id for r in removals}
    kept: list[Example] = []
    for row in rows:
        if row.id in gone:
            continue
        if against:
            verdicts[row.id].verdicts.append(StageVerdict(stage="decontamination", passed=True))
        passed = [v.stage for v in verdicts[row.id].verdicts if v.passed]
        kept.append(_with(row, provenance=_provenance(row, filters_passed=passed)))
    _note(progress, "decontamination", len(against), len(against))
    version = import_examples(kept, name, "synthetic", project=project) if kept else None
    return SynthResult(
        dataset=version.ref if version else None,
        seq=version.seq if version else None,
        funnel=Funnel(
            sampled=len(candidates) if sampled is None else sampled,
            written=len(candidates) if written is None else written,
            format=counts["format"],
            execution=counts["execution"],
            semantic=after_semantic if judge is not None else None,
            decontaminated=len(kept) if against else None,
            kept=len(kept),
        ),
        sampling=sampling,
        rows=list(verdicts.values()),
        removed=removals,
        against=list(against),
        semantic=semantic,
        samples=[_sample(row) for row in kept[:SAMPLE_ROWS]],
        wall_s=time.monotonic() - started,
    )


def _sample(row: Example) -> SampleRow:
    found = verify.provenance(row)
    style, description = found.get("style"), found.get("description")
    return SampleRow(
        id=row.id,
        style=style if isinstance(style, str) else None,
        request=str(row.input),
        description=description if isinstance(description, str) else None,
    )


def synthetic_id(source_id: str, style: str, seed: int, sample: int) -> str:
    """Deterministic: one source row, style, seed and sample give one id."""
    key = {"source": source_id, "style": style, "seed": seed, "sample": sample}
    return "syn-" + short(content_hash(key))


async def write_rows(
    app: Any,
    writer: ModelClient,
    sampled: Sequence[tuple[Example, str]],
    *,
    source: str,
    styles: Sequence[str],
    seed: int,
    requests_per_row: int = 1,
    examples: Sequence[WriterExample] = (),
    shots: int = 0,
    examples_source: str | None = None,
    progress: Progress | None = None,
) -> tuple[list[Example], int]:
    """A candidate row per sampled artifact and sample: the written request, the ideal trajectory
    and the provenance. Returns the rows and how many writes failed (a failed call or a trajectory
    the application cannot build is a row not written, counted)."""
    rows: list[Example] = []
    failed = 0
    total = len(sampled) * requests_per_row
    done = 0
    for example, descriptor in sampled:
        description = hooks.describe_artifact(app, example.reference)
        for sample in range(requests_per_row):
            style = style_for(seed, example.id, sample, list(styles))
            shown = pick_examples(examples, seed, example.id, sample, shots)
            try:
                request = await write_request(
                    writer,
                    description,
                    style,
                    seed=request_seed(seed, example.id, sample),
                    sample=sample,
                    examples=shown,
                )
                answer = clarification(description) if style == VAGUE else None
                trajectory = hooks.ideal_trajectory(app, request, example.reference, answer)
            except (BudgetExceeded, DeadlineExceeded):
                raise
            except (ModelCallError, ValueError, TypeError):
                failed += 1
            else:
                provenance = {
                    "source": "synth",
                    "source_dataset": source,
                    "source_id": example.id,
                    "merchant": example.metadata.get("merchant"),
                    "writer_model": writer.spec.name,
                    "writer_model_identity": writer.identity,
                    "prompt_version": PROMPT_VERSION,
                    "style": style,
                    "seed": seed,
                    "sample": sample,
                    "description": description,
                    "writer_examples": examples_source,
                    "writer_example_ids": [shot.id for shot in shown],
                }
                rows.append(
                    Example(
                        id=synthetic_id(example.id, style, seed, sample),
                        input=request,
                        reference=example.reference,
                        tags=("source:synth", f"style:{style}", f"descriptor:{descriptor}"),
                        metadata={
                            "expect": "clarify" if style == VAGUE else hooks.artifact_outcome(app),
                            "trajectory": trajectory,  # type: ignore[dict-item]
                            "provenance": provenance,
                        },
                    )
                )
            done += 1
            _note(progress, "write", done, total)
    return rows, failed


async def asynthesize_rows(
    project: Project,
    app: Any,
    examples: Sequence[Example],
    *,
    source: str,
    name: str,
    writer: ModelClient,
    judge: ModelClient | None,
    styles: Sequence[str],
    seed: int,
    per_descriptor: int | None,
    per_merchant: int | None,
    requests_per_row: int,
    against: Sequence[str],
    methods: Sequence[Method] = DEFAULT_METHODS,
    writer_pool: Sequence[WriterExample] = (),
    shots: int = 0,
    examples_source: str | None = None,
    progress: Progress | None = None,
) -> SynthResult:
    started = time.monotonic()
    sampled, report = sample_rows(
        app,
        examples,
        source=source,
        per_descriptor=per_descriptor,
        per_merchant=per_merchant,
        seed=seed,
    )
    _note(progress, "sample", len(sampled), len(sampled))
    rows, _ = await write_rows(
        app,
        writer,
        sampled,
        source=source,
        styles=styles,
        seed=seed,
        requests_per_row=requests_per_row,
        examples=writer_pool,
        shots=shots,
        examples_source=examples_source,
        progress=progress,
    )
    result = await afinish_rows(
        project,
        app,
        rows,
        name=name,
        judge=judge,
        against=against,
        methods=methods,
        sampled=len(sampled) * requests_per_row,
        written=len(rows),
        sampling=report,
        progress=progress,
    )
    return result.model_copy(
        update={
            "writer": writer.spec.name,
            "writer_identity": writer.identity,
            "prompt_version": PROMPT_VERSION,
            "wall_s": time.monotonic() - started,
        }
    )


def writer_examples(app: Any, examples: Sequence[Example]) -> list[WriterExample]:
    """The (description, request) pairs a writer can be shown: every row with a text request and
    an artifact the application can describe (others are skipped: a clarify item has none)."""
    pool = []
    for example in examples:
        if not isinstance(example.input, str) or example.reference is None:
            continue
        try:
            description = hooks.describe_artifact(app, example.reference)
        except (ValueError, TypeError, KeyError):
            continue
        pool.append(WriterExample(id=example.id, description=description, request=example.input))
    return pool
