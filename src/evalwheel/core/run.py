"""Runs, the traces they produce, and the scores given to those traces."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, JsonValue


class RunStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    INTERRUPTED = "interrupted"
    FAILED = "failed"


class Run(BaseModel):
    """One system evaluated on one dataset version.

    ``n_items`` counts every item the run was asked to do, so that aggregates can divide by it:
    an item that errored is a failed item, never a missing one.
    """

    model_config = ConfigDict(extra="forbid")

    id: str
    system_name: str
    system_version: str
    dataset: str = Field(description="name@version_id of the dataset version")
    split: str | None = None
    repeat: int = Field(default=1, ge=1)
    status: RunStatus = RunStatus.PENDING
    n_items: int = Field(default=0, ge=0)
    config: dict[str, JsonValue] = Field(default_factory=dict)
    created_at: datetime
    finished_at: datetime | None = None


class ToolCall(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str | None = None
    name: str
    arguments: JsonValue = None
    result: JsonValue = None


class Message(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: str
    content: JsonValue = None
    tool_calls: list[ToolCall] = Field(default_factory=list)


class Trace(BaseModel):
    """What a system did on one item (one repetition): the conversation, the artifact, the cost.

    ``error`` is set when the item failed; the trace is still stored and still counted.
    Large traces live in the blob store; the database keeps this record with ``blob`` pointing there.
    """

    model_config = ConfigDict(extra="forbid")

    run_id: str
    example_id: str
    repetition: int = Field(default=0, ge=0)
    messages: list[Message] = Field(default_factory=list)
    artifact: JsonValue = None
    input_tokens: int = Field(default=0, ge=0)
    output_tokens: int = Field(default=0, ge=0)
    cost_usd: float = Field(default=0.0, ge=0)
    latency_s: float | None = Field(default=None, ge=0)
    error: str | None = None


class Score(BaseModel):
    """One scorer's verdict on one trace: a value, an optional pass/fail, and why."""

    model_config = ConfigDict(extra="forbid")

    run_id: str
    example_id: str
    repetition: int = 0
    scorer: str
    value: float | None = None
    passed: bool | None = None
    label: str | None = None
    explanation: str | None = None
    details: dict[str, JsonValue] = Field(default_factory=dict)
    error: str | None = None
