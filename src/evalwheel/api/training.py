"""``train``: fine-tune a system's model (LoRA) on a dataset, in the system's own serving format.

The data is any source ``dataset contamination`` takes: ``NAME[@VERSION][:SPLIT]`` (a synthetic
training set, or a benchmark's train split), a data file, or examples given in Python. Each row
becomes the conversation the system would have at serving (the application's
``training_conversation`` hook), so the tuned model is trained on exactly what it will be shown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from evalwheel.api.contamination import load_source
from evalwheel.api.projects import ProjectLike, open_project
from evalwheel.core.example import Example
from evalwheel.core.hashing import content_hash
from evalwheel.core.trained import TrainedModel, TrainMetrics
from evalwheel.errors import InputError
from evalwheel.runner.systems import resolve_system
from evalwheel.training.conversations import build_rows
from evalwheel.training.models import TrainConfig, TrainResult
from evalwheel.training.trainer import ProgressFn, TrainJob, fine_tune
from evalwheel.training.weights import base_for

DataLike = str | Path | Sequence[Example | Mapping[str, Any]]


def _is_source_list(data: Any) -> bool:
    return (
        isinstance(data, list | tuple)
        and bool(data)
        and all(isinstance(d, str | Path) for d in data)
    )


def train_config(config: TrainConfig | None = None, **overrides: Any) -> TrainConfig:
    """``config`` (or the defaults) with every override that is not None; bad values are an
    ``InputError`` naming the setting."""
    values = (config or TrainConfig()).model_dump()
    values.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return TrainConfig.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InputError(first["msg"], field=".".join(map(str, first["loc"]))) from None


def train(
    system: str,
    data: DataLike,
    *,
    output: str | Path | None = None,
    config: TrainConfig | None = None,
    steps: int | None = None,
    epochs: float | None = None,
    learning_rate: float | None = None,
    rank: int | None = None,
    batch: int | None = None,
    max_length: int | None = None,
    seed: int | None = None,
    base: str | None = None,
    device: str | None = None,
    register: str | None = None,
    project: ProjectLike = None,
    on_progress: ProgressFn | None = None,
) -> TrainResult:
    """LoRA-tune the model of configured ``system`` on ``data`` and return the adapter, the loss
    curve and the cost. ``output`` defaults to ``.evalwheel/training/SYSTEM-KEY`` (KEY: the
    settings and rows), so running the same training again resumes it from its last checkpoint.
    A row the application cannot turn into a training conversation is an ``InputError`` naming it;
    Ctrl-C is ``Interrupted`` with the last checkpoint kept. Several sources (a list of names or
    files) are trained on together. ``register`` names the candidate system the adapter becomes
    (``register_trained``): it runs as ``system`` with the adapter, and only a passed gate
    (``promote``) promotes it."""
    settings = train_config(
        config,
        steps=steps,
        epochs=epochs,
        learning_rate=learning_rate,
        rank=rank,
        batch=batch,
        max_length=max_length,
        seed=seed,
        base=base,
        device=device,
    )
    project_obj = open_project(project)
    resolved = resolve_system(project_obj, system)
    parts = list(data) if _is_source_list(data) else [data]
    sources = [
        load_source(part if isinstance(part, str | Sequence) else Path(part), project_obj)
        for part in parts
    ]
    label = " + ".join(source.label for source in sources)
    params = {k: v for k, v in resolved.system.params.items() if k != "evalwheel"}
    rows, examples = build_rows(
        resolved.app, [e for source in sources for e in source.examples], params
    )
    if not rows:
        raise InputError(f"{label}: no rows to train on", field="data")
    weights = base_for(resolved.model, settings.base, project_obj.state_dir / "weights")
    if output is None:
        what = settings.model_dump(mode="json", exclude={"device", "threads", "save_steps"})
        key = content_hash(
            {"system": system, "base": weights.identity, "config": what, "rows": content_hash(rows)}
        )
        output = project_obj.state_dir / "training" / f"{system}-{key[:12]}"
    job = TrainJob(
        rows=rows,
        examples=examples,
        base=weights,
        config=settings,
        output=Path(output),
        system=system,
        data=label,
        params=params,
    )
    if register is not None and weights.gguf is None:
        raise InputError(
            f"{settings.base}: an adapter of another base model cannot be served as {system!r}, "
            "which runs its embedded GGUF; train without base= to register it",
            field="register",
        )
    result = fine_tune(job, on_progress)
    if register is not None:
        result.registered = _register(register, system, result, project_obj)
    return result


def _register(name: str, system: str, result: TrainResult, project: Any) -> TrainedModel:
    from evalwheel.api.trained_models import register_trained

    return register_trained(
        name,
        base_system=system,
        adapter_dir=result.adapter_dir,
        gguf_path=result.gguf_adapter,
        training_data=result.data,
        train_config=result.config.model_dump(mode="json"),
        metrics=TrainMetrics(
            final_loss=result.last_loss,
            wall_s=result.wall_seconds,
            peak_rss_mb=result.peak_rss_mb,
            steps=result.steps_total,
        ),
        project=project,
    )
