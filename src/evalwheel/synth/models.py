"""The typed results of the synthetic-data pipeline: the sampling report, each row's verdicts and
the funnel from sampled to kept."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, JsonValue

Stage = Literal["format", "execution", "semantic", "decontamination"]


class RuleRemoval(BaseModel):
    """What one sampling rule removed: rows, and the descriptors no row is left for."""

    rule: str = Field(
        description="validates | owner_has_two | descriptor | per_descriptor | per_merchant"
    )
    removed: int
    descriptors_lost: list[str] = Field(default_factory=list)


class SamplingReport(BaseModel):
    """How the sample was drawn from the source, and how much of it the sample covers."""

    source: str
    source_rows: int
    descriptors_available: int = Field(description="distinct descriptors in the whole source")
    descriptors_covered: int = Field(description="distinct descriptors among the sampled rows")
    coverage: float | None = Field(description="covered / available (None: the source has none)")
    owners: int = Field(description="owners with two or more qualifying rows")
    sampled: int
    rules: list[RuleRemoval]
    seed: int
    per_descriptor: int | None
    per_merchant: int | None

    def rule(self, name: str) -> RuleRemoval:
        return next(r for r in self.rules if r.rule == name)


class StageVerdict(BaseModel):
    """One stage's verdict on one row; ``passed`` None when the stage does not apply to it."""

    stage: Stage
    passed: bool | None
    reasons: list[str] = Field(default_factory=list)
    method: str | None = Field(default=None, description="decontamination: the method that matched")
    matched: str | None = Field(
        default=None, description="decontamination: the matched item, as DATASET:ID"
    )


class RowVerdicts(BaseModel):
    """Every stage's verdict on one candidate row; ``kept`` when none failed."""

    id: str
    verdicts: list[StageVerdict] = Field(default_factory=list)

    @property
    def kept(self) -> bool:
        return all(v.passed is not False for v in self.verdicts)

    @property
    def failed_stage(self) -> Stage | None:
        return next((v.stage for v in self.verdicts if v.passed is False), None)

    def verdict(self, stage: Stage) -> StageVerdict | None:
        return next((v for v in self.verdicts if v.stage == stage), None)


class Funnel(BaseModel):
    """Rows left after each step. ``semantic`` is None when the judge was not asked, and
    ``decontaminated`` when there was nothing to check against."""

    sampled: int
    written: int
    format: int
    execution: int
    semantic: int | None
    decontaminated: int | None
    kept: int


class SemanticStats(BaseModel):
    """The judge's round trip: how many rows it saw, and how many it said yes to."""

    judge: str
    judge_identity: dict[str, JsonValue]
    asked: int
    yes: int
    unreadable: int = Field(description="answers that were not a yes/no verdict (count as no)")

    @property
    def pass_rate(self) -> float | None:
        return self.yes / self.asked if self.asked else None


class Removal(BaseModel):
    """A row decontamination removed: the method and the item it matched."""

    id: str
    method: str
    matched: str


class SampleRow(BaseModel):
    """A kept row, short enough to print: its request and what it should produce."""

    id: str
    style: str | None
    request: str
    description: str | None = None


class SynthResult(BaseModel):
    """What a pipeline run made: the funnel, every row's verdicts, what decontamination removed,
    the stored dataset version (None when nothing was kept) and a few kept rows to read."""

    dataset: str | None = Field(description="NAME@VERSION of the stored rows")
    seq: int | None = None
    funnel: Funnel
    sampling: SamplingReport | None = None
    rows: list[RowVerdicts]
    removed: list[Removal] = Field(default_factory=list)
    against: list[str] = Field(default_factory=list, description="what rows were checked against")
    semantic: SemanticStats | None = None
    writer: str | None = None
    writer_identity: dict[str, JsonValue] | None = None
    prompt_version: str | None = None
    samples: list[SampleRow] = Field(default_factory=list)
    wall_s: float = 0.0
