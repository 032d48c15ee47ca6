"""Simulated-user conversations (details: the simulator issue)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, JsonValue


class Simulation(BaseModel):
    """A simulated merchant pursuing one goal ("essence") against one system."""

    model_config = ConfigDict(extra="forbid")

    id: str
    essence: str
    system_version: str
    run_id: str | None = None
    outcome: str | None = None
    details: dict[str, JsonValue] = Field(default_factory=dict)
    created_at: datetime
