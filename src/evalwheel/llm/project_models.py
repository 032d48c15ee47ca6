"""The models and prices a project configures (or the built-ins when outside a project)."""

from __future__ import annotations

from evalwheel.llm.prices import Price
from evalwheel.llm.registry import ModelSpec, builtin_models, load_models
from evalwheel.project import Project


def project_models(project: Project | None) -> dict[str, ModelSpec]:
    if project is None:
        return builtin_models()
    return load_models(project.config.models, str(project.config_path))


def project_prices(project: Project | None) -> dict[str, Price]:
    if project is None:
        return {}
    return {name: Price(**entry.model_dump()) for name, entry in project.config.prices.items()}
