"""Mirror pairs (the same request answered by the current and the candidate system) and the human
review queue."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

Relation = Literal["identical", "equivalent", "different", "failed"]
"""How two answers to one request relate: byte-identical, the same meaning (the application says
so, or normalised JSON / tool calls agree), different, or not comparable because a side failed."""


class PairSide(BaseModel):
    """One system's answer to a mirrored request, as recorded (after redaction)."""

    model_config = ConfigDict(extra="forbid")

    system: str = Field(description="system name@version, or the endpoint's URL without secrets")
    content: str | None = None
    tool_calls: list[dict[str, JsonValue]] = Field(default_factory=list)
    artifact: JsonValue = None
    outcome: str | None = None
    status: int | None = Field(default=None, description="HTTP status (live traffic)")
    error: str | None = None
    latency_s: float | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    run_id: str | None = Field(default=None, description="the run that produced it (replay)")
    passed: bool | None = Field(
        default=None,
        description="the pointwise judge's verdict on this answer (a replay with a pointwise "
        "judge; None: not judged, or the judge gave no verdict)",
    )


class FieldDiff(BaseModel):
    """One place where two answers differ: a JSON path and the value on each side (absent: None
    with ``missing`` naming the side that lacks it)."""

    model_config = ConfigDict(extra="forbid")

    path: str
    current: JsonValue = None
    candidate: JsonValue = None
    missing: Literal["current", "candidate"] | None = None


class PairVerdictRecord(BaseModel):
    """A pairwise judge's verdict on one different pair, asked in both orders. ``winner`` is
    ``current``/``candidate`` only when both orders agree, else ``tie``; ``error`` when a call
    failed (the pair then counts as undecided, never as a tie)."""

    model_config = ConfigDict(extra="forbid")

    judge: str
    winner: Literal["current", "candidate", "tie"] | None = None
    consistent: bool | None = None
    first: str | None = Field(default=None, description="label with current shown as A")
    swapped: str | None = Field(default=None, description="label with candidate shown as A")
    rationale: str | None = None
    error: str | None = None
    cost_usd: float = 0.0


class PairAnalysis(BaseModel):
    """What the comparison found for one pair."""

    model_config = ConfigDict(extra="forbid")

    relation: Relation
    diff: list[FieldDiff] = Field(default_factory=list)
    diff_omitted: int = Field(default=0, description="differing fields beyond those kept in diff")
    counterexample: JsonValue = None
    noise_relation: Relation | None = None
    verdict: PairVerdictRecord | None = None


class OutputRelation(BaseModel):
    """How two answers to one request relate, and where they differ: at most
    ``MAX_FIELD_DIFFS`` field diffs are kept (``diff_omitted`` counts the rest), and an
    application that can run both answers keeps the input that tells them apart
    (``counterexample``)."""

    model_config = ConfigDict(extra="forbid")

    relation: Relation
    diff: list[FieldDiff] = Field(default_factory=list)
    diff_omitted: int = 0
    counterexample: JsonValue = None


class MirrorPair(BaseModel):
    """One request seen by both systems. ``current_again`` is the current system asked a second
    time (independently): how often it disagrees with itself is the noise floor."""

    model_config = ConfigDict(extra="forbid")

    id: str
    mirror: str = Field(description="the mirror this pair belongs to (a replay id or live name)")
    source: Literal["live", "replay"]
    example_id: str
    conversation_id: str | None = None
    turn: int = 0
    request: JsonValue = None
    current: PairSide
    candidate: PairSide | None = None
    current_again: PairSide | None = None
    tags: list[str] = Field(default_factory=list)
    created_at: datetime
    analysis: PairAnalysis | None = None


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


class MirrorRecord(BaseModel):
    """A mirror: which traffic went through which two systems, and the runs that did it (replay),
    or the name a live proxy records its pairs under (live)."""

    model_config = ConfigDict(extra="forbid")

    id: str
    source: Literal["live", "replay"]
    traffic: str | None = Field(default=None, description="NAME@VERSION of the traffic replayed")
    current: str
    candidate: str
    sample: int | None = None
    seed: int = 0
    items: list[str] = Field(default_factory=list)
    runs: dict[str, str] = Field(
        default_factory=dict, description="role (current, candidate) → run id"
    )
    pointwise_judge: str | None = Field(
        default=None, description="the judge that scored each answer on its own (pass rates)"
    )
    pointwise_version: str | None = None
    created_at: datetime
