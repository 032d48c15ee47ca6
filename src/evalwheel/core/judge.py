"""Judges and their calibrations.

The judge issue owns the details (panels, arbitration, drift); the artifact's identity is fixed here:
a judge's version is the hash of everything that can change a verdict.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from evalwheel.core.hashing import content_hash


class JudgeKind(StrEnum):
    POINTWISE = "pointwise"
    PAIRWISE = "pairwise"


class Judge(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    kind: JudgeKind = JudgeKind.POINTWISE
    model: str
    rubric: str
    prompt_template: str
    labels: tuple[str, ...] = ("good", "needs_improvement", "bad")
    ordinal: bool = True
    fewshots: tuple[dict[str, JsonValue], ...] = ()
    params: dict[str, JsonValue] = Field(default_factory=lambda: {"temperature": 0})

    @property
    def version(self) -> str:
        return content_hash(self.model_dump(mode="json", exclude={"name"}))


class Calibration(BaseModel):
    """A judge's measured agreement with humans on held-out golden labels (details: judge issue)."""

    model_config = ConfigDict(extra="forbid")

    id: str
    judge_version: str
    golden: str = Field(description="name@version of the golden dataset")
    metrics: dict[str, JsonValue] = Field(default_factory=dict)
    created_at: datetime
