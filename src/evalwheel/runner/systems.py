"""Systems a project can run: ``[systems.NAME]`` in evalwheel.toml, plus ``APP-local`` (the
application on the embedded model) for every installed application."""

from __future__ import annotations

from importlib.metadata import version as package_version
from typing import Any

from evalwheel.apps import load_apps
from evalwheel.core.system import System
from evalwheel.project import Project


def configured_systems(project: Project) -> dict[str, dict[str, Any]]:
    found = {f"{name}-local": {"app": name, "model": "local", "params": {}} for name in load_apps()}
    found.update(project.config.systems)
    return found


def resolve_system(project: Project, name: str) -> System:
    """The named system, versioned with the evalwheel release that runs it (LookupError if unknown)."""
    known = configured_systems(project)
    table = known.get(name)
    if table is None:
        raise LookupError(f"unknown system {name!r}; configured: {', '.join(sorted(known))}")
    params = {**(table.get("params") or {}), "evalwheel": package_version("evalwheel")}
    return System(name=name, app=table["app"], model=table["model"], params=params)
