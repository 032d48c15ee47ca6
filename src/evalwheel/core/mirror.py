"""Mirror comparisons and the human review queue (details: the mirroring issue)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, JsonValue


class Comparison(BaseModel):
    """The same request answered by the current and the candidate system, and the verdict."""

    model_config = ConfigDict(extra="forbid")

    id: str
    example_id: str
    current_run: str
    candidate_run: str
    verdict: str | None = Field(default=None, description="A, B, tie, or None while undecided")
    details: dict[str, JsonValue] = Field(default_factory=dict)
    created_at: datetime


class ReviewItem(BaseModel):
    """Something a human should look at, with the priority that orders the queue."""

    model_config = ConfigDict(extra="forbid")

    id: str
    subject: str = Field(
        description="What is under review, e.g. comparison:<id> or trace:<run>/<item>"
    )
    priority: float = 0.0
    status: str = "open"
    assignee: str | None = None
    resolution: dict[str, JsonValue] = Field(default_factory=dict)
    details: dict[str, JsonValue] = Field(
        default_factory=dict, description="what the reviewer needs to see (material, verdicts)"
    )
    created_at: datetime
