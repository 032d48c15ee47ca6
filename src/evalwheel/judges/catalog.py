"""What judges a project has, which version of each is in use, its calibrations, and its TOML.

The version in use is the calibrated pin while the ``[judges.NAME]`` table is unchanged, else the
configuration itself; these functions report that version, so what they show is what a run uses.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ValidationError

from evalwheel.core.judge import Calibration, Judge
from evalwheel.errors import EvalwheelError
from evalwheel.judges.calibrate import kappa_trail
from evalwheel.judges.config import PanelSpec, configured_judges
from evalwheel.judges.registry import JudgeRegistry, pinned
from evalwheel.judges.resolve import load_judge, resolve_any
from evalwheel.judges.results import GateResult, PairStats
from evalwheel.project.opening import ProjectLike, project_and_store
from evalwheel.stats.agreement import Interval
from evalwheel.store.db import Store


class JudgeEntry(BaseModel):
    name: str
    kind: str
    model: str
    version: str
    calibrated_from: str | None = None
    trusted: bool
    test_kappa: Interval | None = None


class PanelEntry(BaseModel):
    name: str
    kind: Literal["panel"] = "panel"
    members: list[str]
    arbiter: str | None = None


class BrokenEntry(BaseModel):
    """A configured name whose table does not validate: listed, not hidden."""

    name: str
    error: str


class CalibrationSummary(BaseModel):
    id: str
    golden: str
    trusted: bool
    gate: GateResult | None
    kappa_trail: list[float | None]
    test: PairStats | None
    stop_reason: str | None = None
    stop_detail: str | None = None
    created_at: datetime


class JudgeDetails(BaseModel):
    judge: Judge
    version: str
    trusted: bool
    calibrations: list[CalibrationSummary]


def list_judges(
    *, project: ProjectLike = None, store: Store | None = None
) -> list[JudgeEntry | PanelEntry | BrokenEntry]:
    """Configured judges and panels (the project's and installed applications'), by name."""
    rows: list[JudgeEntry | PanelEntry | BrokenEntry] = []
    with project_and_store(project, store) as (found, opened):
        registry = JudgeRegistry(opened)
        for name in sorted(configured_judges(found)):
            try:
                spec = resolve_any(found, name)
            except EvalwheelError as exc:
                rows.append(BrokenEntry(name=name, error=str(exc)))
                continue
            if isinstance(spec, PanelSpec):
                rows.append(PanelEntry(name=name, members=spec.members, arbiter=spec.arbiter))
                continue
            used = pinned(opened, spec)
            kappa = registry.calibrated_kappa(used.version)
            rows.append(
                JudgeEntry(
                    name=name,
                    kind=used.kind.value,
                    model=used.model,
                    version=used.version,
                    calibrated_from=spec.version if used.version != spec.version else None,
                    trusted=registry.trusted(used.version),
                    test_kappa=Interval.model_validate(kappa) if kappa else None,
                )
            )
    return rows


def _summary(calibration: Calibration) -> CalibrationSummary:
    metrics = calibration.metrics
    test = metrics.get("test")
    reference = test.get("vs_reference") if isinstance(test, dict) else None
    try:
        gate = GateResult.model_validate(calibration.gate) if calibration.gate else None
    except ValidationError:  # a record older than the typed gate: shown without it
        gate = None
    reason, detail = metrics.get("stop_reason"), metrics.get("stop_detail")
    return CalibrationSummary(
        id=calibration.id,
        golden=calibration.golden,
        trusted=calibration.trusted,
        gate=gate,
        kappa_trail=list(kappa_trail(calibration)),
        test=PairStats.model_validate(reference) if isinstance(reference, dict) else None,
        stop_reason=reason if isinstance(reason, str) else None,
        stop_detail=detail if isinstance(detail, str) else None,
        created_at=calibration.created_at,
    )


def show_judge(
    name: str, *, project: ProjectLike = None, store: Store | None = None
) -> JudgeDetails:
    """The judge in use (its full artifact), whether it is trusted, and its calibrations."""
    with project_and_store(project, store) as (found, opened):
        judge = load_judge(found, opened, name)
        registry = JudgeRegistry(opened)
        return JudgeDetails(
            judge=judge,
            version=judge.version,
            trusted=registry.trusted(judge.version),
            calibrations=[_summary(c) for c in registry.calibrations(version=judge.version)],
        )


def export_judge(name: str, *, project: ProjectLike = None, store: Store | None = None) -> str:
    """The judge in use as a ``[judges.NAME]`` TOML table, to commit into evalwheel.toml (so the
    calibrated version becomes the configuration, and its pin its own base)."""
    import tomli_w

    with project_and_store(project, store) as (found, opened):
        judge = load_judge(found, opened, name)
    data = judge.model_dump(mode="json", exclude={"name", "origin"}, exclude_none=True)
    return tomli_w.dumps({"judges": {name: data}})
