"""Finding what a judge command works on (the project, the judge at its pin, its model client, its
application, its golden set), with every failure raised as an ``EvalwheelError`` that says what to
do: library callers get exceptions, the CLI turns them into one line and an exit code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from evalwheel.core.judge import Judge
from evalwheel.errors import EvalwheelError, InputError, NotFoundError
from evalwheel.judges.config import PanelSpec, resolve_judge, resolve_single
from evalwheel.judges.golden import GoldenSet, load_golden
from evalwheel.judges.registry import pinned
from evalwheel.project import Project
from evalwheel.store.db import Store

if TYPE_CHECKING:
    from evalwheel.apps.interface import App
    from evalwheel.llm.client import ModelClient

DEFAULT_SPLIT = (0.4, 0.3, 0.3)


def _message(exc: BaseException) -> str:
    """The message itself (``str(KeyError(m))`` would quote it)."""
    return str(exc.args[0]) if exc.args else str(exc)


def resolve_any(project: Project, name: str) -> Judge | PanelSpec:
    """The configured judge or panel (``NotFoundError`` lists the configured names)."""
    try:
        return resolve_judge(project, name)
    except EvalwheelError:
        raise
    except LookupError as exc:
        raise NotFoundError(_message(exc)) from None


def load_judge(project: Project, store: Store, name: str) -> Judge:
    """The configured judge, at its calibrated pin when the configuration is unchanged."""
    try:
        return pinned(store, resolve_single(project, name))
    except EvalwheelError:
        raise
    except LookupError as exc:
        raise NotFoundError(_message(exc)) from None


def judge_client(project: Project, store: Store, model: str, **kw: Any) -> ModelClient:
    """A client for one of the project's models, through the store's call cache."""
    from evalwheel.llm.client import ModelClient
    from evalwheel.llm.project_models import project_models, project_prices
    from evalwheel.llm.registry import get_model

    spec = get_model(project_models(project), model)
    try:
        return ModelClient(spec, store=store, prices=project_prices(project), **kw)
    except ValueError as exc:
        if isinstance(exc, EvalwheelError):
            raise
        raise InputError(f"model {model!r}: {exc}") from None


def app_for(judge: Judge) -> App | None:
    """The application that renders material for ``judge`` (None for a judge without one)."""
    from evalwheel.apps import load_apps

    if judge.app is None:
        return None
    found = load_apps().get(judge.app)
    if found is None:
        raise NotFoundError(
            f"judge {judge.name!r} renders with application {judge.app!r}, which is not installed"
        )
    return found


def golden_set(
    store: Store,
    ref: str,
    judge: Judge,
    *,
    fractions: tuple[float, float, float] = DEFAULT_SPLIT,
    seed: int = 0,
    limit: int | None = None,
) -> GoldenSet:
    """The golden dataset's labelled items as ``judge`` reads them, split train/dev/test."""
    app = app_for(judge)
    try:
        return load_golden(store, ref, judge, app, fractions=fractions, seed=seed, limit=limit)
    except EvalwheelError:
        raise
    except LookupError as exc:
        raise NotFoundError(_message(exc)) from None
    except ValueError as exc:
        raise InputError(str(exc)) from None


def parse_fractions(text: str) -> tuple[float, float, float]:
    """``"0.4,0.3,0.3"`` as three non-negative fractions summing to 1."""
    try:
        parts = tuple(float(p) for p in text.split(","))
    except ValueError:
        raise InputError(
            f"takes TRAIN,DEV,TEST fractions (e.g. 0.4,0.3,0.3), not {text!r}", field="--split"
        ) from None
    if len(parts) != 3 or abs(sum(parts) - 1) > 1e-6 or min(parts) < 0:
        raise InputError(
            f"needs three non-negative fractions summing to 1, not {text!r}", field="--split"
        )
    return parts[0], parts[1], parts[2]
