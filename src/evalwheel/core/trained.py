"""A trained model: a LoRA adapter on a system's base model, registered as a candidate system that
only a passed gate promotes."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

TrainedStatus = Literal["candidate", "promoted", "rejected"]


class TrainMetrics(BaseModel):
    """What training cost and reached, kept with the model so a promotion can be weighed."""

    model_config = ConfigDict(extra="forbid")

    final_loss: float | None = None
    wall_s: float | None = Field(default=None, ge=0)
    peak_rss_mb: float | None = Field(default=None, ge=0)
    steps: int | None = Field(default=None, ge=0)


class TrainedModel(BaseModel):
    """One registered fine-tune. It runs as a system of the same ``name``: the base system's
    application and parameters (``system_table``, as they were when it was trained) on the base
    model with the adapter applied, so its version changes with the adapter's digest."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    app: str
    base_system: str
    base_model: str = Field(description="The model name the base system runs on (embedded).")
    system_table: dict[str, JsonValue] = Field(
        description="The base system's configuration table when the model was registered."
    )
    adapter_dir: str = Field(description="The PEFT adapter folder training wrote.")
    gguf_path: str = Field(description="The adapter as llama.cpp's GGUF LoRA file, as served.")
    adapter_sha256: str = Field(min_length=64, max_length=64)
    training_data: str = Field(description="The dataset trained on, name@version.")
    train_config: dict[str, JsonValue] = Field(default_factory=dict)
    metrics: TrainMetrics = Field(default_factory=TrainMetrics)
    created_at: datetime
    status: TrainedStatus = "candidate"
    status_changed_at: datetime | None = None
    verdict: dict[str, JsonValue] | None = Field(
        default=None, description="The gate verdict (as JSON) that set the current status."
    )
