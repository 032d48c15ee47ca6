"""Judges and their calibrations.

A judge is a versioned artifact: its version is the hash of everything that can change a verdict
(rubric, criteria, prompt template, few-shots, model, parameters, label set, label map). The name
and the note on where a version came from are left out, so renaming a judge or re-deriving the same
prompt never forks its history.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    ValidationInfo,
    field_validator,
    model_validator,
)

from evalwheel.core.hashing import content_hash


class JudgeKind(StrEnum):
    POINTWISE = "pointwise"
    PAIRWISE = "pairwise"


PAIRWISE_LABELS = ("A", "B", "tie")


class FewShot(BaseModel):
    """A worked example shown to the judge: the rendered material and the verdict a human gave."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    content: str
    label: str
    rationale: str = ""
    item_id: str | None = Field(default=None, description="where it came from (a train item)")


class Judge(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    kind: JudgeKind = JudgeKind.POINTWISE
    model: str
    rubric: str
    criteria: tuple[str, ...] = ()
    prompt_template: str = ""
    labels: tuple[str, ...] = ("good", "needs_improvement", "bad")
    ordinal: bool = True
    pass_labels: tuple[str, ...] = ()
    fewshots: tuple[FewShot, ...] = ()
    label_map: dict[str, str] = Field(
        default_factory=dict,
        description="verdict → reported label, learnt on train labels (e.g. a systematic shift)",
    )
    params: dict[str, JsonValue] = Field(default_factory=lambda: {"temperature": 0})
    structured: str = Field(default="json_schema", pattern="^(json_schema|tool|prompted)$")
    max_tokens: int = Field(default=256, ge=8)
    app: str | None = Field(default=None, description="the application that renders traces")
    origin: str | None = Field(default=None, description="how this version was derived (unhashed)")

    @model_validator(mode="before")
    @classmethod
    def _pairwise_labels(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("kind") in (JudgeKind.PAIRWISE, "pairwise"):
            data = {**data, "labels": PAIRWISE_LABELS, "ordinal": False}
        return data

    @field_validator("params")
    @classmethod
    def _deterministic(cls, params: dict[str, JsonValue]) -> dict[str, JsonValue]:
        """Temperature 0 unless the configuration says otherwise, whatever else it sets."""
        return {"temperature": 0, **params}

    @field_validator("labels")
    @classmethod
    def _distinct(cls, labels: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(labels)) != len(labels) or len(labels) < 2:
            raise ValueError("labels must be at least two distinct values")
        return labels

    @field_validator("pass_labels", "fewshots", "label_map")
    @classmethod
    def _known_labels(cls, value: Any, info: ValidationInfo) -> Any:
        labels = info.data.get("labels")
        if labels is None:
            return value
        if isinstance(value, dict):
            used = [*value.keys(), *value.values()]
        else:
            used = [v.label if isinstance(v, FewShot) else v for v in value]
        for label in used:
            if label not in labels:
                raise ValueError(f"{label!r} is not one of the labels {list(labels)}")
        return value

    @property
    def passing(self) -> tuple[str, ...]:
        """Labels that count as a pass: declared, else the first (best) label."""
        return self.pass_labels or (self.labels[0],)

    @property
    def version(self) -> str:
        return content_hash(self.model_dump(mode="json", exclude={"name", "origin"}))


class Calibration(BaseModel):
    """A judge version's measured agreement with humans on golden labels, and whether it passed the
    promotion gate. ``iterations`` is the improvement log that produced it (dev kappa per step)."""

    model_config = ConfigDict(extra="forbid")

    id: str
    judge_name: str = ""
    judge_version: str
    golden: str = Field(description="name@version of the golden dataset")
    metrics: dict[str, JsonValue] = Field(default_factory=dict)
    iterations: list[dict[str, JsonValue]] = Field(default_factory=list)
    verdicts: dict[str, str | None] = Field(
        default_factory=dict, description="item → label on the test split (None: a judge error)"
    )
    trusted: bool = False
    gate: dict[str, JsonValue] = Field(default_factory=dict)
    created_at: datetime
