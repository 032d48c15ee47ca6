"""Which slices a report draws, in which order, and which it folds away.

A run with many tags has many slices of one or two items each; drawn as bars they are a wall of
0% / 100% whose intervals span almost everything, and they bury the few slices that say something.
So every output (terminal text, HTML, Markdown) makes the same choice: slices with at least
``MIN_SLICE_N`` items, those that differ most from the overall rate first, at most ``MAX_SLICES``
in view (the rest one click away), and the small ones counted and listed, never drawn. The
contamination slices (``contamination:clean`` / ``contamination:contaminated``) are the exception:
they come first whatever their size, because the gap between them is what says whether a score
measures the skill or the recall of what the system learnt from.
"""

from __future__ import annotations

import math

from pydantic import BaseModel, Field

from evalwheel.runner.compare import Comparison, ComparisonBlock
from evalwheel.runner.contamination_slices import SLICE_PREFIX
from evalwheel.runner.results import RunSummary
from evalwheel.stats.estimate import Estimate

MIN_SLICE_N = 5
MAX_SLICES = 8
PINNED_PREFIX = SLICE_PREFIX


def _number(value: float | None) -> float | None:
    """A finite number or None, so a NaN never decides an order or reaches a page."""
    return value if value is not None and math.isfinite(value) else None


class SliceRow(BaseModel):
    """One slice of a scorer, and how far it is from the scorer's overall rate."""

    name: str
    estimate: Estimate
    difference: float | None = Field(description="slice rate minus overall rate")


class SliceView(BaseModel):
    """The slices of one scorer as a report shows them."""

    scorer: str
    overall: Estimate
    shown: list[SliceRow] = Field(
        description=f"contamination slices, then n ≥ {MIN_SLICE_N}, most different first"
    )
    pinned: int = Field(default=0, description="contamination slices at the start of ``shown``")
    more: list[SliceRow] = Field(description=f"n ≥ {MIN_SLICE_N} beyond the first {MAX_SLICES}")
    small: list[SliceRow] = Field(description=f"n < {MIN_SLICE_N}: too small to say anything")


def slice_view(summary: RunSummary, scorer: str | None = None) -> SliceView | None:
    """The slices of ``scorer`` (default: the headline scorer); None when it has none."""
    name = scorer or summary.headline
    if name is None or name not in summary.scorers or not summary.scorers[name].slices:
        return None
    entry = summary.scorers[name]
    overall = _number(entry.pass_rate.estimate)
    rows = []
    for tag, estimate in entry.slices.items():
        value = _number(estimate.estimate)
        difference = None if value is None or overall is None else value - overall
        rows.append(SliceRow(name=tag, estimate=estimate, difference=difference))
    pinned = sorted((r for r in rows if r.name.startswith(PINNED_PREFIX)), key=lambda r: r.name)
    rest = [r for r in rows if not r.name.startswith(PINNED_PREFIX)]
    big = sorted(
        (r for r in rest if r.estimate.n >= MIN_SLICE_N),
        key=lambda r: (-abs(r.difference or 0.0), r.name),
    )
    return SliceView(
        scorer=name,
        overall=entry.pass_rate,
        shown=pinned + big[:MAX_SLICES],
        pinned=len(pinned),
        more=big[MAX_SLICES:],
        small=sorted((r for r in rest if r.estimate.n < MIN_SLICE_N), key=lambda r: r.name),
    )


class ComparisonSliceRow(BaseModel):
    """One slice of a comparison."""

    name: str
    block: ComparisonBlock


class ComparisonSliceView(BaseModel):
    """The slices of a comparison as a report shows them."""

    shown: list[ComparisonSliceRow]
    more: list[ComparisonSliceRow]
    small: list[ComparisonSliceRow]


def comparison_slice_view(comparison: Comparison) -> ComparisonSliceView:
    """Slices with n ≥ ``MIN_SLICE_N``, those that changed most first; the small ones apart."""

    def change(block: ComparisonBlock) -> float:
        a, b = _number(block.pass_rate_a), _number(block.pass_rate_b)
        return 0.0 if a is None or b is None else abs(b - a)

    big = sorted(
        (
            ComparisonSliceRow(name=t, block=b)
            for t, b in comparison.slices.items()
            if b.n >= MIN_SLICE_N
        ),
        key=lambda r: (-change(r.block), r.name),
    )
    small = [
        ComparisonSliceRow(name=t, block=b)
        for t, b in sorted(comparison.slices.items())
        if b.n < MIN_SLICE_N
    ]
    return ComparisonSliceView(shown=big[:MAX_SLICES], more=big[MAX_SLICES:], small=small)
