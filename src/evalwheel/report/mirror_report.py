"""A mirror's report: one self-contained HTML file (inline CSS, no scripts, nothing fetched),
Markdown for a pull request, or JSON, so a mirror can be shared as a file.

It says what ``evalwheel mirror show``, ``status`` and ``gap`` print, in this order: the headline
(difference rate beside the noise floor, McNemar beyond the noise, net preference, wins / losses /
ties / undecided, the sign test, the judge's order-swap consistency, cost), the
benchmark-to-traffic gap when runs are given, readiness per window, the per-slice table, then a
few pairs worth a look. Those are the review queue's order without weights: differing pairs
grouped as near-duplicates, the groups by summed value × uncertainty (``mirror.review``).

Everything in a mirror is untrusted (requests, answers, errors, tags, diff values), so the
templates are rendered with the run report's environments (``report.render``): HTML autoescape
always on, Markdown escaped by its own rules.
"""

from __future__ import annotations

from pydantic import BaseModel, Field, JsonValue

from evalwheel.core.mirror import FieldDiff, MirrorPair, PairVerdictRecord, Relation
from evalwheel.mirror.analysis import request_text, side_text
from evalwheel.mirror.gap import Gap
from evalwheel.mirror.readiness import Readiness
from evalwheel.mirror.review import group_key, uncertainty, value
from evalwheel.mirror.summary import MirrorSummary, SliceResult
from evalwheel.report.render import html_environment, markdown_environment
from evalwheel.report.views import MIN_SLICE_N

EXAMPLE_PAIRS = 5


class ExamplePair(BaseModel):
    """One differing pair shown in the report, standing for its near-duplicate group."""

    pair_id: str
    example_id: str
    tags: list[str] = Field(default_factory=list)
    request: str
    current: str
    candidate: str | None
    relation: Relation
    diff: list[FieldDiff] = Field(default_factory=list)
    diff_omitted: int = 0
    counterexample: JsonValue = None
    verdict: PairVerdictRecord | None = None
    group_size: int = Field(description="near-duplicate pairs this one stands for")
    priority: float = Field(description="the group's summed value × uncertainty")


class MirrorReportData(BaseModel):
    """What a mirror report shows; the JSON report is this model."""

    summary: MirrorSummary
    readiness: Readiness | None = None
    gap: Gap | None = None
    examples: list[ExamplePair] = Field(default_factory=list)


def example_pairs(pairs: list[MirrorPair], limit: int = EXAMPLE_PAIRS) -> list[ExamplePair]:
    """The differing (or failed) pairs most worth a look: one per near-duplicate group, the
    groups by summed value × uncertainty, ties by pair id so the choice is stable."""
    groups: dict[str, list[MirrorPair]] = {}
    for pair in pairs:
        if pair.analysis is not None and pair.analysis.relation in ("different", "failed"):
            groups.setdefault(group_key(pair), []).append(pair)
    ranked = []
    for members in groups.values():
        lead = min(members, key=lambda p: (-uncertainty(p), p.id))
        priority = sum(value(p, None, {}) * uncertainty(p) for p in members)
        ranked.append((priority, lead, len(members)))
    ranked.sort(key=lambda r: (-r[0], r[1].id))
    shown = []
    for priority, lead, size in ranked[:limit]:
        assert lead.analysis is not None
        shown.append(
            ExamplePair(
                pair_id=lead.id,
                example_id=lead.example_id,
                tags=lead.tags,
                request=request_text(lead.request),
                current=side_text(None, None, lead.current),
                candidate=side_text(None, None, lead.candidate) if lead.candidate else None,
                relation=lead.analysis.relation,
                diff=lead.analysis.diff,
                diff_omitted=lead.analysis.diff_omitted,
                counterexample=lead.analysis.counterexample,
                verdict=lead.analysis.verdict,
                group_size=size,
                priority=round(priority, 6),
            )
        )
    return shown


FOLD_ABOVE = 12  # slices; beyond this many, slices under MIN_SLICE_N items are left to the JSON


def shown_slices(summary: MirrorSummary) -> tuple[dict[str, SliceResult], int]:
    """The slices a person reads, and how many were folded: all of them when there are few, else
    those with at least ``MIN_SLICE_N`` items (a one-item slice's interval says nothing)."""
    if len(summary.slices) <= FOLD_ABOVE:
        return dict(summary.slices), 0
    kept = {k: v for k, v in summary.slices.items() if v.n >= MIN_SLICE_N}
    return kept, len(summary.slices) - len(kept)


def mirror_html(data: MirrorReportData) -> str:
    """The mirror report as one self-contained HTML page."""
    template = html_environment().get_template("mirror.html.j2")
    slices, folded = shown_slices(data.summary)
    return template.render(data=data, s=data.summary, slices=slices, folded=folded)


def mirror_markdown(data: MirrorReportData) -> str:
    """The mirror report as Markdown for a pull request (answers in the example table cut)."""
    template = markdown_environment().get_template("mirror.md.j2")
    slices, folded = shown_slices(data.summary)
    return template.render(data=data, s=data.summary, slices=slices, folded=folded)


def mirror_json(data: MirrorReportData) -> str:
    """The mirror report's data as JSON."""
    return data.model_dump_json(indent=2)
