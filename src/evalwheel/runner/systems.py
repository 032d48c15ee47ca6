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
from evalwheel.errors import ConflictError, InputError, NotFoundError
from evalwheel.llm.project_models import project_models, registered_models
from evalwheel.llm.registry import ModelSpec, get_model
from evalwheel.project import Project
from evalwheel.redaction import is_redacted, redact_value


@dataclass(frozen=True)
class ResolvedSystem:
    """A system ready to run: its record, the application object and the model it calls."""

    system: System
    app: App
    model: ModelSpec | None


def configured_systems(project: Project | None) -> dict[str, dict[str, Any]]:
    """Every system name a project can run, with its table: ``APP-local`` for every installed
    application, the variants an application ships (its optional ``default_systems()``: e.g. a
    candidate configuration to mirror against), every registered trained model (its base system's
    table on the tuned model), then the project's own ``[systems.NAME]``."""
    found: dict[str, dict[str, Any]] = {}
    for name, app in load_apps().items():
        found[f"{name}-local"] = {"app": name, "model": "local", "params": {}}
        provider = getattr(app, "default_systems", None)
        if callable(provider):
            for system_name, table in provider().items():
                found[system_name] = {"app": name, "model": "local", **table}
    if project is not None:
        for trained in registered_models(project):
            found[trained.name] = {**trained.system_table, "model": trained.name}
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
            config=_stored(dict(table)),
            params=params,
            description=description,
            model_spec=_stored(spec.model_dump(mode="json")) if spec else None,
            model_identity=spec.identity if spec else None,
            adapter=(spec.identity.get("adapter") if spec and spec.lora_path else None),
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
        table = _with_secrets(system.config, configured_systems(project).get(system.name), system)
        app, description = build_system_app(system.name, table, root)
    else:
        app = load_apps().get(system.app)
        if app is None:
            raise NotFoundError(f"application {system.app!r} is not installed")
        description = _describe(app, dict(system.params))
    if system.description and description != system.description:
        changed = sorted(
            k
            for k in description.keys() | system.description.keys()
            if description.get(k) != system.description.get(k)
        )
        raise ConflictError(
            f"system {system.name!r} is no longer what this run ran: {', '.join(changed)} changed "
            "(its code, prompt or files); resuming would mix two systems in one run. Start a new "
            "run, or restore what changed and resume"
        )
    if system.model_spec is not None:
        today = None
        if is_redacted(system.model_spec) and system.model:
            today = get_model(project_models(project), system.model).model_dump(mode="json")
        spec: ModelSpec | None = ModelSpec.model_validate(
            _with_secrets(system.model_spec, today, system)
        )
    elif system.model:
        spec = get_model(project_models(project), system.model)
    else:
        spec = None
    return ResolvedSystem(system=system, app=app, model=spec)


def _stored(value: dict[str, Any]) -> dict[str, Any]:
    """What a run may store of a configuration: every secret in it hidden (a key written in a URL
    or a header, against advice, included)."""
    return dict(redact_value(value))  # type: ignore[call-overload]


def _with_secrets(
    stored: dict[str, Any], today: dict[str, Any] | None, system: System
) -> dict[str, Any]:
    """The stored configuration with its hidden secrets filled in from today's configuration,
    provided today's is the same once hidden (a resumed run never runs a different system)."""
    if not is_redacted(stored):
        return dict(stored)
    if today is not None and _stored(dict(today)) == stored:
        return dict(today)
    raise ConflictError(
        f"system {system.name!r}: the run stored its configuration with secrets hidden, and "
        "today's configuration is not the same one; start a new run"
    )


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
