"""Trained models as candidate systems: register a fine-tune, list them, and move one to promoted
(only with a passed gate verdict) or rejected."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from pydantic import JsonValue

from evalwheel.api.projects import ProjectLike
from evalwheel.core.trained import TrainedModel, TrainedStatus, TrainMetrics
from evalwheel.errors import ConflictError, InputError, NotFoundError
from evalwheel.llm.embedded import adapter_identity
from evalwheel.llm.project_models import project_models
from evalwheel.project.opening import project_and_store
from evalwheel.runner.gates import GateVerdict
from evalwheel.runner.systems import configured_systems
from evalwheel.store.db import Store
from evalwheel.store.trained import TrainedModelRepository

ADAPTER_GGUF = "adapter.gguf"


def register_trained(
    name: str,
    *,
    base_system: str,
    adapter_dir: Path | str,
    training_data: str,
    gguf_path: Path | str | None = None,
    train_config: dict[str, JsonValue] | None = None,
    metrics: TrainMetrics | None = None,
    project: ProjectLike = None,
    store: Store | None = None,
) -> TrainedModel:
    """Register a LoRA fine-tune of ``base_system`` as the candidate system ``name``.

    Without ``gguf_path`` the PEFT adapter in ``adapter_dir`` is converted to llama.cpp's GGUF LoRA
    (``adapter_dir/adapter.gguf``). The base system must be an application on an embedded model,
    since that is what serves the adapter; the name must be free among systems and models."""
    with project_and_store(project, store) as (found, opened):
        systems = configured_systems(found)
        table = systems.get(base_system)
        if table is None:
            raise NotFoundError(
                f"unknown system {base_system!r}; configured: {', '.join(sorted(systems))}"
            )
        if table.get("kind") is not None or not table.get("app"):
            raise InputError("a trained model extends an application system", field="base_system")
        models = project_models(found)
        base_model = str(table.get("model") or "")
        spec = models.get(base_model)
        if spec is None or spec.provider != "embedded":
            raise InputError(
                f"system {base_system!r} runs on {base_model!r}, not an embedded model: "
                "llama.cpp serves the adapter",
                field="base_system",
            )
        if spec.lora_path is not None:
            raise InputError(f"{base_system!r} is itself a trained model", field="base_system")
        if name in systems or name in models:
            raise ConflictError(f"{name!r} already names a system or model")
        adapter = Path(adapter_dir)
        if gguf_path is None:
            from evalwheel.training.gguf_lora import write_gguf_lora

            base_gguf = Path(spec.gguf_path) if spec.gguf_path else None
            gguf = write_gguf_lora(adapter, adapter / ADAPTER_GGUF, base_gguf=base_gguf)
        else:
            gguf = Path(gguf_path)
            if not gguf.is_file():
                raise InputError("the adapter's GGUF file does not exist", file=str(gguf))
        model = TrainedModel(
            name=name,
            app=str(table["app"]),
            base_system=base_system,
            base_model=base_model,
            system_table=dict(table),
            adapter_dir=str(adapter.resolve()),
            gguf_path=str(gguf.resolve()),
            adapter_sha256=adapter_identity(str(gguf)),
            training_data=training_data,
            train_config=train_config or {},
            metrics=metrics or TrainMetrics(),
            created_at=datetime.now(UTC),
        )
        if not TrainedModelRepository(opened).add(model):
            raise ConflictError(f"a trained model named {name!r} is already registered")
        return model


def trained_models(
    project: ProjectLike = None, *, status: TrainedStatus | None = None, store: Store | None = None
) -> list[TrainedModel]:
    """The project's registered trained models, oldest first (optionally of one status)."""
    with project_and_store(project, store) as (_, opened):
        return TrainedModelRepository(opened).all(status)


def set_trained_status(
    name: str,
    status: TrainedStatus,
    *,
    verdict: GateVerdict | None = None,
    project: ProjectLike = None,
    store: Store | None = None,
) -> TrainedModel:
    """Promote or reject a trained model. Promotion needs the merge gate's passed verdict, which is
    kept with the model; rejecting needs none (a failed verdict is kept when given)."""
    if status == "promoted" and (verdict is None or not verdict.passed):
        raise InputError("promotion needs a passed gate verdict", field="verdict")
    with project_and_store(project, store) as (_, opened):
        if status == "promoted" and verdict is not None:
            _check_gate_run(opened, name, verdict)
        try:
            return TrainedModelRepository(opened).set_status(
                name,
                status,
                verdict.model_dump(mode="json") if verdict is not None else None,
                datetime.now(UTC),
            )
        except KeyError:
            raise NotFoundError(f"no trained model named {name!r}") from None


def _check_gate_run(store: Store, name: str, verdict: GateVerdict) -> None:
    """A promoting verdict must come from a finished gate run of this very model: a hand-made
    ``GateVerdict(passed=True)`` promotes nothing."""
    from evalwheel.store.runs import RunRepository

    if verdict.run_id is None:
        raise InputError("the verdict names no gate run", field="verdict")
    try:
        row = RunRepository(store).get(verdict.run_id)
    except (KeyError, NotFoundError):
        raise InputError(f"no run {verdict.run_id!r} behind the verdict", field="verdict") from None
    if row.system_name != name or row.status != "completed":
        raise InputError(
            f"run {verdict.run_id} is a {row.status} run of {row.system_name!r}, not a finished "
            f"gate run of {name!r}",
            field="verdict",
        )
