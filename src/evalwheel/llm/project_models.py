"""The models and prices a project configures (or the built-ins when outside a project), plus one
embedded model per registered trained model: its base model with the adapter applied."""

from __future__ import annotations

from evalwheel.core.trained import TrainedModel
from evalwheel.llm.prices import Price
from evalwheel.llm.registry import ModelSpec, builtin_models, load_models
from evalwheel.project import Project


def project_models(project: Project | None) -> dict[str, ModelSpec]:
    if project is None:
        return builtin_models()
    models = load_models(project.config.models, str(project.config_path))
    for trained in registered_models(project):
        base = models.get(trained.base_model)
        if trained.name in models or base is None or base.provider != "embedded":
            continue  # a configured model of the same name wins; a vanished base serves nothing
        models[trained.name] = base.model_copy(
            update={
                "name": trained.name,
                "lora_path": trained.gguf_path,
                "lora_scale": 1.0,
                "lora_sha256": trained.adapter_sha256,
            }
        )
    return models


def registered_models(project: Project) -> list[TrainedModel]:
    """The project's trained models, from its store."""
    from evalwheel.store.trained import TrainedModelRepository

    store = project.open_store()
    try:
        return TrainedModelRepository(store).all()
    finally:
        store.close()


def project_prices(project: Project | None) -> dict[str, Price]:
    if project is None:
        return {}
    return {name: Price(**entry.model_dump()) for name, entry in project.config.prices.items()}
