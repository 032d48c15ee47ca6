"""Systems a project can run: ``[systems.NAME]`` in evalwheel.toml, plus ``APP-local`` (the
application on the embedded model) for every installed application.

A system resolves to a ``System`` record that holds everything that decides its behaviour — the
application or agent kind with its configuration and self-description, the model as configured and
its identity — so a run stores exactly what it ran, and a resumed run rebuilds it from the store
rather than from today's configuration file.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import version as package_version
from typing import Any

from pydantic import ValidationError

from evalwheel.apps import App, load_apps
from evalwheel.core.system import System
from evalwheel.errors import InputError, NotFoundError
from evalwheel.llm.project_models import project_models
from evalwheel.llm.registry import ModelSpec, get_model
from evalwheel.project import Project


@dataclass(frozen=True)
class ResolvedSystem:
    """A system ready to run: its record, the application object and the model it calls."""

    system: System
    app: App
    model: ModelSpec | None


def configured_systems(project: Project | None) -> dict[str, dict[str, Any]]:
    """Every system name a project can run, with its table."""
    found: dict[str, dict[str, Any]] = {
        f"{name}-local": {"app": name, "model": "local", "params": {}} for name in load_apps()
    }
    if project is not None:
        found.update(project.config.systems)
    return found


def _describe(app: Any, params: dict[str, Any]) -> dict[str, Any]:
    describe = getattr(app, "describe", None)
    return dict(describe(params)) if callable(describe) else {}


def resolve_system(project: Project | None, name: str) -> ResolvedSystem:
    """The named system, versioned by everything that decides its behaviour (``NotFoundError`` if
    the name is unknown, ``InputError`` if its table is wrong)."""
    known = configured_systems(project)
    table = known.get(name)
    if table is None:
        raise NotFoundError(f"unknown system {name!r}; configured: {', '.join(sorted(known))}")
    return build_system(project, name, table)


def build_system(project: Project | None, name: str, table: dict[str, Any]) -> ResolvedSystem:
    """A system from its configuration table (as written in ``[systems.NAME]``)."""
    where = f"systems.{name}"
    params = {**(table.get("params") or {}), "evalwheel": package_version("evalwheel")}
    kind = table.get("kind")
    model_name = table.get("model")
    if kind is not None:
        from evalwheel.systems.registry import build_system_app

        root = project.root if project is not None else None
        app, description = build_system_app(name, dict(table), root)
        app_name = f"kind:{kind}"
    else:
        app_name = table.get("app")
        if not app_name:
            raise InputError("needs kind = … (an agent) or app = … (an application)", field=where)
        app = load_apps().get(app_name)
        if app is None:
            raise NotFoundError(f"{where}: application {app_name!r} is not installed")
        description = _describe(app, params)
    spec = None
    if model_name:
        spec = get_model(project_models(project), str(model_name))
    elif kind in (None, "openai", "prompt"):
        raise InputError("model: required (a [models.NAME] or local)", field=where)
    try:
        system = System(
            name=name,
            app=app_name,
            model=str(model_name or ""),
            kind=kind,
            config=dict(table),
            params=params,
            description=description,
            model_spec=spec.model_dump(mode="json") if spec else None,
            model_identity=spec.identity if spec else None,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(map(str, first["loc"]))
        raise InputError(first["msg"], field=f"{where}.{loc}") from None
    return ResolvedSystem(system=system, app=app, model=spec)


def rebuild_system(project: Project | None, system: System) -> ResolvedSystem:
    """The system exactly as a run stored it: its application, kind configuration and model spec,
    whatever evalwheel.toml says today."""
    if system.kind is not None:
        from evalwheel.systems.registry import build_system_app

        root = project.root if project is not None else None
        app, _ = build_system_app(system.name, dict(system.config), root)
    else:
        app = load_apps().get(system.app)
        if app is None:
            raise NotFoundError(f"application {system.app!r} is not installed")
    if system.model_spec is not None:
        spec: ModelSpec | None = ModelSpec.model_validate(system.model_spec)
    elif system.model:
        spec = get_model(project_models(project), system.model)
    else:
        spec = None
    return ResolvedSystem(system=system, app=app, model=spec)


def in_memory_system(app: App, model: str | None, project: Project | None) -> ResolvedSystem:
    """A system for an application object passed in Python (no entry point, no configuration)."""
    spec = get_model(project_models(project), model) if model else None
    params = {"evalwheel": package_version("evalwheel")}
    system = System(
        name=app.name,
        app=app.name,
        model=model or "",
        params=params,
        description=_describe(app, params),
        model_spec=spec.model_dump(mode="json") if spec else None,
        model_identity=spec.identity if spec else None,
    )
    return ResolvedSystem(system=system, app=app, model=spec)
