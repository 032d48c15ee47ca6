"""``report``: a run as one self-contained HTML file, Markdown for a pull request, or JSON."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from evalwheel.api.projects import ProjectLike, open_project
from evalwheel.errors import InputError
from evalwheel.report.data import report_data
from evalwheel.report.render import to_html, to_json, to_markdown
from evalwheel.runner.runner import load_plan
from evalwheel.runner.systems import rebuild_system
from evalwheel.store.runs import RunRepository

ReportFormat = Literal["html", "md", "json"]


def render_report(
    run_id: str, fmt: ReportFormat = "html", *, vs: str | None = None, project: ProjectLike = None
) -> str:
    """The report's text. ``vs`` adds a comparison with a baseline run."""
    if fmt not in ("html", "md", "json"):
        raise InputError(f"must be html, md or json, not {fmt!r}", field="format")
    project_obj = open_project(project)
    store = project_obj.open_store()
    try:
        load_plan(store, run_id)
        data = report_data(store, run_id, _app_of(project_obj, store, run_id), vs)
    finally:
        store.close()
    if fmt == "html":
        return to_html(data)
    if fmt == "md":
        return to_markdown(data)
    return to_json(data)


def write_report(
    run_id: str,
    fmt: ReportFormat = "html",
    *,
    vs: str | None = None,
    output: str | os.PathLike[str] | None = None,
    project: ProjectLike = None,
) -> Path:
    """Write the report (default file: ``report-RUN.EXT``) and return its path."""
    text = render_report(run_id, fmt, vs=vs, project=project)
    path = Path(output or f"report-{run_id}.{fmt}")
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write the report: {exc.strerror}", file=str(path)) from None
    return path.resolve()


def _app_of(project, store, run_id):  # type: ignore[no-untyped-def]
    """The application that renders the run's items, when it can still be built."""
    from evalwheel.core.system import System

    row = RunRepository(store).get(run_id)
    payload = RunRepository(store).system_payload(row.system_version)
    try:
        return rebuild_system(project, System.model_validate(payload)).app if payload else None
    except Exception:  # rendering falls back to the raw artifact
        return None
