"""Jobs: long work that shows progress, survives interruption and resumes."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, JsonValue


class JobStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    INTERRUPTED = "interrupted"


class Job(BaseModel):
    """A unit of the flywheel (import, run, calibrate, train…) and where it stands."""

    model_config = ConfigDict(extra="forbid")

    id: str
    kind: str
    status: JobStatus = JobStatus.PENDING
    params: dict[str, JsonValue] = Field(default_factory=dict)
    done: int = 0
    total: int | None = None
    error: str | None = None
    created_at: datetime
    updated_at: datetime
