"""Typed results of judge calibration: agreement on a split, the gate, the stop, the record's metrics.

The calibration record stores ``CalibrationMetrics.model_dump(mode="json")`` in the store, so the
JSON that ``calibrate --json`` and ``judge show`` print keeps one shape, and older records (which
lack the newer fields) still read back: every field added later has a default.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from evalwheel.core.judge import Calibration, Judge
from evalwheel.stats.agreement import Interval


class PromotionGate(BaseModel):
    """A judge is trusted when, on at least ``min_test_items`` test items:

    - the lower bound of its kappa against the reference label reaches ``target_kappa`` (a floor);
    - its kappa against each human, averaged, reaches ``ceiling_share`` of the human-human kappa
      on the same items (like for like: a consensus label is less noisy than one annotator, so
      comparing the judge-vs-consensus kappa with the ceiling would favour the judge).
    With ``ceiling_share`` > 0 an unmeasured ceiling (fewer than two annotators per item) fails.
    """

    target_kappa: float = Field(default=0.6, ge=-1, le=1)
    ceiling_share: float = Field(default=0.8, ge=0, le=1.5)
    use_ci_low: bool = True
    min_test_items: int = Field(default=50, ge=1)


class CalibrationOptions(BaseModel):
    """How the loop runs. It stops when dev meets the gate's own criterion (``gate``), so the
    stopping rule and the promotion gate cannot disagree about what "good enough" means."""

    optimisers: list[str] = Field(default_factory=lambda: ["fewshot", "rubric", "label_map"])
    max_iterations: int = Field(default=4, ge=0)
    min_improvement: float = Field(default=0.01, ge=0)
    concurrency: int = Field(default=4, ge=1)
    resamples: int = Field(default=10_000, ge=100)
    seed: int = 0
    gate: PromotionGate = Field(default_factory=PromotionGate)


class Confusion(BaseModel):
    rows: str = "judge"
    cols: str = "reference"
    labels: list[str]
    matrix: list[list[int]]


class PairStats(BaseModel):
    """Rater ``a`` (the judge, or the first human of a pair) against ``b`` on the items both
    labelled. ``confusion``, ``tpr`` and ``tnr`` are given against the reference label only."""

    n: int
    raw_agreement: float | None = None
    cohen_kappa: Interval | None = None
    gwet_ac1: Interval | None = None
    prevalence_a: dict[str, float] = Field(default_factory=dict)
    prevalence_b: dict[str, float] = Field(default_factory=dict)
    weighted_kappa_quadratic: Interval | None = None
    confusion: Confusion | None = None
    tpr: float | None = None
    tnr: float | None = None

    @property
    def kappa(self) -> float | None:
        return None if self.cohen_kappa is None else self.cohen_kappa.estimate


class Ceiling(BaseModel):
    """The human-human kappa on the same items (mean over pairs) beside the judge's mean kappa
    against each human: like for like."""

    human_kappa: float | None = None
    judge_kappa_vs_humans: float | None = None
    ratio: float | None = None


class SplitAgreement(BaseModel):
    """A judge's agreement with humans on one split. ``n_items`` counts every judged item;
    kappas against the reference use the items that have one (an item without a reference
    label is skipped, in calibration and in drift alike)."""

    n_items: int
    n_errors: int
    n_without_reference: int = 0
    vs_reference: PairStats
    vs_humans: dict[str, PairStats] = Field(default_factory=dict)
    human_pairs: dict[str, PairStats] = Field(default_factory=dict)
    ceiling: Ceiling = Field(default_factory=Ceiling)
    pass_pairs: list[tuple[bool, bool]] = Field(
        default_factory=list, description="(judge passes, reference passes) per test item"
    )
    references: dict[str, str] = Field(
        default_factory=dict, description="item → reference label (test split): drift uses them"
    )

    @property
    def kappa(self) -> float | None:
        return self.vs_reference.kappa


class SliceAgreement(BaseModel):
    n: int
    agreement: float


class Disagreement(BaseModel):
    item: str
    reference: str
    judge: str | None
    judge_rationale: str | None = None
    judge_error: str | None = None
    human_rationales: dict[str, str] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)


class CallCost(BaseModel):
    usd: float = 0.0
    tokens: int = 0
    calls_cached: int = 0


class CalibrationCost(BaseModel):
    test: CallCost = Field(default_factory=CallCost)
    total: CallCost = Field(default_factory=CallCost)


class GoldenSummary(BaseModel):
    ref: str
    items: int
    annotators: list[str]
    splits: dict[str, int]
    fractions: list[float]
    seed: int
    limit: int | None = None
    labels: dict[str, int] = Field(default_factory=dict)


StopCode = Literal[
    "target", "ceiling", "plateau", "max_iterations", "no_train_disagreements", "budget"
]


class CalibrationMetrics(BaseModel):
    """Everything a calibration measured. ``stop_reason`` is a code (``target`` means dev met the
    gate's own criterion); ``stop_detail`` says it in a sentence, with the numbers."""

    golden: GoldenSummary
    fewshots_moved_to_train: list[str] = Field(default_factory=list)
    stop_reason: str
    stop_detail: str = ""
    gate_blockers: list[str] = Field(
        default_factory=list,
        description="what made the gate unpassable before any judge call (e.g. a small test split)",
    )
    dev: SplitAgreement
    test: SplitAgreement
    slices: dict[str, SliceAgreement] = Field(default_factory=dict)
    disagreements: list[Disagreement] = Field(default_factory=list)
    cost: CalibrationCost = Field(default_factory=CalibrationCost)
    options: CalibrationOptions = Field(default_factory=CalibrationOptions)


class GateResult(BaseModel):
    """The promotion gate applied once to the test split (stored as the calibration's ``gate``)."""

    target_kappa: float
    ceiling_share: float
    use_ci_low: bool
    min_test_items: int
    passed: bool
    reasons: list[str] = Field(default_factory=list)
    blockers: list[str] = Field(default_factory=list)
    note: str = Field(default="", description="why dev and test disagree, when they do")


class CalibrationResult(BaseModel):
    """The chosen judge, its calibration record, every candidate scored on dev, and typed views
    of the record's metrics and gate. ``pinned`` is set once the result is recorded: whether the
    chosen version is now the one used for the judge's name."""

    judge: Judge
    calibration: Calibration
    candidates: list[Judge] = Field(description="every version scored on dev, for the registry")
    metrics: CalibrationMetrics
    gate: GateResult
    pinned: bool | None = None

    @property
    def version(self) -> str:
        return self.judge.version

    @property
    def trusted(self) -> bool:
        return self.gate.passed
