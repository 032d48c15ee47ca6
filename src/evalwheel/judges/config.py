"""Judges and panels a project can use: ``[judges.NAME]`` in evalwheel.toml, over the defaults that
installed applications ship (``flow-quality`` for Flow), the same way systems are found.

    [judges.strict]
    model = "local"                       # a [models] name
    app = "flow"                          # renders traces for the judge
    rubric = "Does the workflow do exactly what the merchant asked?"
    criteria = ["The trigger matches the event the merchant named.", "..."]
    labels = ["good", "needs_improvement", "bad"]
    pass_labels = ["good"]

    [judges.panel]
    kind = "panel"
    members = ["strict", "lenient", "other-model"]
    aggregation = "majority"              # unanimous | weighted (by calibrated kappa)
    arbiter = "strict-big"                # called only when members disagree
    escalate = true                       # what stays uncertain goes to the review queue
    max_escalations = 50                  # …up to this many per run; beyond, undecided fails
    budget_usd = 2.0
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from evalwheel.core.judge import Judge
from evalwheel.errors import InputError
from evalwheel.judges.prompt import use_project
from evalwheel.project import Project
from evalwheel.project.config import problem_lines


class JudgeConfigError(InputError):
    pass


class PanelSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    kind: Literal["panel"] = "panel"
    members: list[str] = Field(min_length=1)
    aggregation: Literal["majority", "unanimous", "weighted"] = "majority"
    arbiter: str | None = None
    escalate: bool = True
    min_margin: float = Field(
        default=0.0, ge=0, le=1, description="weighted: a winning share below 0.5+margin is unsure"
    )
    budget_usd: float | None = Field(default=None, ge=0)
    budget_tokens: int | None = Field(default=None, ge=0)
    max_escalations: int | None = Field(
        default=None, ge=0, description="the human queue's share: beyond it, undecided fails"
    )


def app_judges() -> dict[str, dict[str, Any]]:
    """Judges shipped by installed applications (an optional ``default_judges()`` on the app)."""
    from evalwheel.apps import load_apps

    found: dict[str, dict[str, Any]] = {}
    for name, app in load_apps().items():
        provider = getattr(app, "default_judges", None)
        if provider is not None:
            for judge_name, table in provider().items():
                found[judge_name] = {"app": name, **table}
    return found


def configured_judges(project: Project | None) -> dict[str, dict[str, Any]]:
    found = app_judges()
    if project is not None:
        found.update(project.config.judges)
    return found


def _problems(exc: ValidationError, name: str, project: Project | None) -> str:
    """``FILE:LINE: judges.NAME.field: message`` lines (a shipped judge has no file: no line)."""
    if project is None or not project.config_path.exists() or name not in project.config.judges:
        return "\n".join(problem_lines(exc, ("judges", name), "evalwheel.toml", ""))
    return "\n".join(problem_lines(exc, ("judges", name), project.config_path))


def resolve_judge(project: Project | None, name: str) -> Judge | PanelSpec:
    """The named judge or panel, validated (``JudgeConfigError`` names the file, line and field).

    Resolving against a project also binds its delimiter key for the judge prompts that follow
    (``prompt.use_project``): ``evalwheel demo`` judges a project it is not inside, and its second
    run must send the same prompts to be answered from the call cache."""
    if project is not None:
        use_project(project)
    known = configured_judges(project)
    table = known.get(name)
    if table is None:
        raise LookupError(
            f"unknown judge {name!r}; configured: {', '.join(sorted(known)) or 'none'}"
        )
    try:
        if table.get("kind") == "panel":
            return PanelSpec.model_validate({"name": name, **table})
        return Judge.model_validate({"name": name, **table})
    except ValidationError as exc:
        raise JudgeConfigError(_problems(exc, name, project)) from None


def resolve_single(project: Project | None, name: str) -> Judge:
    judge = resolve_judge(project, name)
    if isinstance(judge, PanelSpec):
        raise JudgeConfigError(f"{name!r} is a panel; a single judge is needed here")
    return judge


def require_pointwise(judge: Judge, where: str) -> None:
    """Pairwise judges need pairs (request, A, B); golden sets, runs and drift checks give single
    outputs today, so a pairwise judge there would answer A/B/tie about nothing."""
    if judge.kind != "pointwise":
        raise JudgeConfigError(
            f"judge {judge.name!r} is pairwise; {where} needs a pointwise judge "
            "(pairwise judges compare two outputs: judge_pairwise, used by mirroring)"
        )
