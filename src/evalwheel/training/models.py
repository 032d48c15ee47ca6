"""The typed inputs and results of training: settings, progress, loss curve and the result."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, model_validator

from evalwheel.core.trained import TrainedModel

DEFAULT_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


class TrainingConversation(BaseModel):
    """One dataset row as the system itself would see it at serving, ending with the ideal answer.

    ``messages`` are OpenAI chat messages (tool calls included) and ``tools`` the tool specs the
    mode declares, so the trainer renders them exactly as the serving provider does. Assistant
    messages from index ``targets_from`` on are what the model learns to write; earlier ones (a
    few-shot example's answer) are context only. None means: only the last message."""

    model_config = ConfigDict(extra="forbid")

    messages: list[dict[str, JsonValue]] = Field(min_length=2)
    tools: list[dict[str, JsonValue]] | None = None
    targets_from: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _ends_with_an_answer(self) -> TrainingConversation:
        if self.messages[-1].get("role") != "assistant":
            raise ValueError("a training conversation ends with the ideal assistant turn")
        if self.targets_from is not None and self.targets_from >= len(self.messages):
            raise ValueError("targets_from is past the last message")
        return self

    @property
    def first_target(self) -> int:
        return len(self.messages) - 1 if self.targets_from is None else self.targets_from


class TrainConfig(BaseModel):
    """The settings of one LoRA fine-tune. ``steps`` wins over ``epochs``; ``batch`` None takes
    4 on the CPU and 16 on a GPU; ``alpha`` None is twice the rank (the usual LoRA scaling)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    steps: int | None = Field(default=None, ge=1)
    epochs: float = Field(default=1.0, gt=0)
    learning_rate: float = Field(default=2e-4, gt=0, lt=1)
    rank: int = Field(default=16, ge=1, le=1024)
    alpha: int | None = Field(default=None, ge=1)
    dropout: float = Field(default=0.0, ge=0, lt=1)
    targets: tuple[str, ...] = Field(default=DEFAULT_TARGETS, min_length=1)
    batch: int | None = Field(default=None, ge=1, le=1024)
    grad_accum: int = Field(default=1, ge=1, le=1024)
    max_length: int = Field(default=2048, ge=32, le=131072)
    seed: int = 0
    save_steps: int = Field(default=50, ge=1)
    base: str | None = Field(
        default=None,
        description="A Hugging Face model folder or id; None: the system's own (embedded) GGUF.",
    )
    device: Literal["auto", "cpu", "cuda"] = "auto"
    threads: int | None = Field(default=None, ge=1)

    @property
    def lora_alpha(self) -> int:
        return self.alpha if self.alpha is not None else 2 * self.rank


class LossPoint(BaseModel):
    step: int
    loss: float
    learning_rate: float | None = None
    epoch: float | None = None


class TrainProgress(BaseModel):
    """One optimiser step done (sent to ``on_progress``)."""

    step: int
    total: int
    loss: float | None
    rows_per_s: float
    eta_s: float
    elapsed_s: float


class TokenStats(BaseModel):
    """Token lengths of the training rows (prompt + completion, as the chat template renders)."""

    rows: int
    min: int
    median: float
    max: int
    total: int


class TrainResult(BaseModel):
    """What a fine-tune produced and what it cost. ``steps_run`` counts this call's steps only:
    a resumed run starts at ``resumed_from_step`` and does not redo finished ones."""

    system: str
    data: str
    output: str
    adapter_dir: str
    adapter_sha256: str
    base: str
    base_sha256: str | None
    config: TrainConfig
    examples: int
    rows: int
    tokens: TokenStats
    device: str
    steps_total: int
    steps_run: int
    resumed_from_step: int | None
    loss_curve: list[LossPoint]
    train_seconds: float
    wall_seconds: float
    rows_per_s: float
    peak_rss_mb: float
    gguf_adapter: str | None = None
    gguf_adapter_sha256: str | None = None
    registered: TrainedModel | None = Field(
        default=None, description="the candidate system the adapter was registered as"
    )

    @property
    def first_loss(self) -> float | None:
        return self.loss_curve[0].loss if self.loss_curve else None

    @property
    def last_loss(self) -> float | None:
        return self.loss_curve[-1].loss if self.loss_curve else None
