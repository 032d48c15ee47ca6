"""Reading a stored mirror: its summary, readiness over time, the data it yields (failure cases,
golden candidates) and its report. Nothing here runs a system or a judge."""

from __future__ import annotations

import os
import re
from pathlib import Path

from pydantic import BaseModel

from evalwheel.api.datasets import import_examples
from evalwheel.api.projects import ProjectLike, open_project
from evalwheel.api.reporting import ReportFormat
from evalwheel.core.dataset import DatasetKind
from evalwheel.core.mirror import MirrorRecord
from evalwheel.errors import InputError
from evalwheel.mirror.gap import gap_between
from evalwheel.mirror.harvest import failure_cases, golden_candidates
from evalwheel.mirror.readiness import Readiness, ReadinessRule, readiness
from evalwheel.mirror.replay import load_mirror
from evalwheel.mirror.summary import MirrorSummary, summarize_pairs
from evalwheel.report.mirror_report import (
    MirrorReportData,
    example_pairs,
    mirror_html,
    mirror_json,
    mirror_markdown,
)
from evalwheel.runner.aggregate import corrected_estimate, summarize
from evalwheel.stats.estimate import Estimate
from evalwheel.store.db import Store
from evalwheel.store.mirrors import MirrorPairRepository


def mirror_summary_of(store: Store, record: MirrorRecord) -> MirrorSummary:
    """The summary of a stored mirror's pairs."""
    pairs = MirrorPairRepository(store).pairs(record.id)
    return summarize_pairs(record.id, record.source, record.current, record.candidate, pairs)


def readiness_of(
    store: Store, record: MirrorRecord, window: str, rule: ReadinessRule | None
) -> Readiness:
    """Readiness of a stored mirror, its pass rates corrected by its pointwise judge's
    calibration when there is one (status and the report say the same)."""
    correct = None
    if record.pointwise_version is not None:
        version = record.pointwise_version

        def correct(judged: list[bool]) -> Estimate | None:
            return corrected_estimate(store, version, judged, len(judged))

    return readiness(
        record.id,
        MirrorPairRepository(store).pairs(record.id),
        window=window,
        rule=rule,
        correct=correct,
    )


def mirror_status(
    mirror: str,
    *,
    window: str = "day",
    rule: ReadinessRule | None = None,
    project: ProjectLike = None,
) -> Readiness:
    """The candidate's results per window of traffic and whether it is ready (see
    ``evalwheel.mirror.readiness`` for the rule)."""
    store = open_project(project).open_store()
    try:
        return readiness_of(store, load_mirror(store, mirror), window, rule)
    finally:
        store.close()


class Exported(BaseModel):
    """A dataset made from a mirror."""

    dataset: str
    items: int
    considered: int
    skipped: dict[str, int]


def mirror_export(mirror: str, what: str, name: str, *, project: ProjectLike = None) -> Exported:
    """Store a mirror's ``failures`` (losing answers with the winning one as reference: training
    data, kind ``synthetic``) or its human-labelled pairs as ``golden`` candidates."""
    project_obj = open_project(project)
    store = project_obj.open_store()
    try:
        record = load_mirror(store, mirror)
        if what == "failures":
            harvest, kind = failure_cases(store, record.id), DatasetKind.SYNTHETIC
        elif what == "golden":
            harvest, kind = golden_candidates(store, record.id), DatasetKind.GOLDEN
        else:
            raise InputError(f"must be failures or golden, not {what!r}", field="what")
    finally:
        store.close()
    if not harvest.examples:
        raise InputError(
            f"mirror {mirror} has no {what} to export (considered {harvest.considered} pairs: "
            + ", ".join(f"{k} {v}" for k, v in harvest.skipped.items())
            + ")",
            field="what",
        )
    version = import_examples(harvest.examples, name, kind=kind, project=project_obj)
    return Exported(
        dataset=f"{version.name}@{version.version_id[:12]}",
        items=len(harvest.examples),
        considered=harvest.considered,
        skipped=harvest.skipped,
    )


def render_mirror_report(
    mirror: str,
    fmt: ReportFormat = "html",
    *,
    window: str = "day",
    rule: ReadinessRule | None = None,
    benchmark_run: str | None = None,
    traffic_run: str | None = None,
    judge: str | None = None,
    project: ProjectLike = None,
) -> str:
    """A mirror's report text: the headline, readiness per ``window`` under ``rule``, the
    benchmark-to-traffic gap when both finished runs and the traffic run's ``judge`` are given,
    the slices and the pairs most worth a look."""
    if fmt not in ("html", "md", "json"):
        raise InputError(f"must be html, md or json, not {fmt!r}", field="format")
    if (benchmark_run or traffic_run or judge) and not (benchmark_run and traffic_run and judge):
        raise InputError(
            "a gap needs all three: the benchmark run, the judged traffic run and the judge",
            field="benchmark_run",
        )
    store = open_project(project).open_store()
    try:
        record = load_mirror(store, mirror)
        pairs = MirrorPairRepository(store).pairs(record.id)
        gap = None
        if benchmark_run and traffic_run and judge:
            gap = gap_between(summarize(store, benchmark_run), summarize(store, traffic_run), judge)
        data = MirrorReportData(
            summary=summarize_pairs(
                record.id, record.source, record.current, record.candidate, pairs
            ),
            readiness=readiness_of(store, record, window, rule),
            gap=gap,
            examples=example_pairs(pairs),
        )
    finally:
        store.close()
    if fmt == "html":
        return mirror_html(data)
    if fmt == "md":
        return mirror_markdown(data)
    return mirror_json(data)


def write_mirror_report(
    mirror: str,
    fmt: ReportFormat = "html",
    *,
    window: str = "day",
    rule: ReadinessRule | None = None,
    benchmark_run: str | None = None,
    traffic_run: str | None = None,
    judge: str | None = None,
    output: str | os.PathLike[str] | None = None,
    project: ProjectLike = None,
) -> Path:
    """Write the mirror's report (default file: ``mirror-MIRROR.EXT``) and return its path."""
    text = render_mirror_report(
        mirror,
        fmt,
        window=window,
        rule=rule,
        benchmark_run=benchmark_run,
        traffic_run=traffic_run,
        judge=judge,
        project=project,
    )
    path = Path(output or f"mirror-{re.sub(r'[^A-Za-z0-9_.-]', '_', mirror)}.{fmt}")
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write the report: {exc.strerror}", file=str(path)) from None
    return path.resolve()
