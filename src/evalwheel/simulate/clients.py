"""Opening a simulation's models: the simulated user's and the optional reviewer's, through the
store's call cache and the run's budget, and refusing a resume whose user model has changed."""

from __future__ import annotations

from typing import Any

from evalwheel.apps.interface import App
from evalwheel.core.hashing import content_hash
from evalwheel.errors import ConflictError, InputError
from evalwheel.judges.resolve import judge_client
from evalwheel.llm.budget import BudgetTracker
from evalwheel.llm.client import ModelClient
from evalwheel.llm.project_models import project_models
from evalwheel.llm.registry import get_model
from evalwheel.project import Project
from evalwheel.simulate.models import SimulationSpec
from evalwheel.simulate.simulated_app import SimulatedApp
from evalwheel.simulate.user import PROMPT_VERSION, REPLAY, REPLAY_VERSION
from evalwheel.store.db import Store


def model_identity(project: Project, name: str) -> str:
    """A short hash of what a named model is (endpoint, weights, adapter), never a secret; the
    rules-based ``replay`` user is its rules' version."""
    if name == REPLAY:
        return REPLAY_VERSION
    spec = get_model(project_models(project), name)
    return content_hash(spec.identity)[:16]


def pin_simulation(project: Project, spec: SimulationSpec) -> SimulationSpec:
    """The spec with what decides the simulator fixed (the user and reviewer models' identities,
    the user prompt's version), for storing with a run's plan."""
    if spec.reviewer == "rules+judge" and not spec.reviewer_model:
        raise InputError("a judge reviewer needs a reviewer model", field="reviewer_model")
    return spec.model_copy(
        update={
            "user_identity": model_identity(project, spec.user_model),
            "reviewer_identity": model_identity(project, spec.reviewer_model)
            if spec.reviewer_model
            else None,
            "prompt_version": REPLAY_VERSION if spec.user_model == REPLAY else PROMPT_VERSION,
        }
    )


def open_simulation(
    project: Project,
    store: Store,
    app: App,
    stored: dict[str, Any],
    tracker: BudgetTracker,
) -> tuple[SimulatedApp, list[ModelClient]]:
    """The application wrapped for simulation, and the clients the caller must open and close."""
    spec = SimulationSpec.model_validate(stored)
    today = pin_simulation(project, spec)
    for what, then, now in (
        (
            f"the simulated user's model {spec.user_model!r}",
            spec.user_identity,
            today.user_identity,
        ),
        (
            f"the reviewer model {spec.reviewer_model!r}",
            spec.reviewer_identity,
            today.reviewer_identity,
        ),
        ("the simulated user's prompt", spec.prompt_version, today.prompt_version),
    ):
        if then != now:
            raise ConflictError(
                f"{what} changed since this run began ({then} → {now}); resuming would mix two "
                "simulators in one run"
            )
    user = (
        None
        if spec.user_model == REPLAY
        else judge_client(project, store, spec.user_model, tracker=tracker)
    )
    clients = [user] if user is not None else []
    reviewer = None
    if spec.reviewer == "rules+judge" and spec.reviewer_model:
        reviewer = judge_client(project, store, spec.reviewer_model, tracker=tracker)
        clients.append(reviewer)
    return SimulatedApp(app, spec, user, reviewer), clients
