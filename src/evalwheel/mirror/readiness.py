"""Readiness over time: the candidate's results per window of traffic, and the rule that says
when it is ready.

The rule (documented in docs/mirroring.md): the candidate is **ready** when each of the last
``windows`` windows that have at least ``min_pairs`` decided pairs has a net preference
(wins − losses over decided pairs) whose 95% lower bound is ≥ ``min_net`` (default 0: no worse
than the current system, with the interval, not the point, deciding), and there are at least
``windows`` such windows. Windows with fewer pairs are shown but do not count: a quiet day is
not evidence.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel, Field

from evalwheel.core.mirror import MirrorPair
from evalwheel.errors import InputError
from evalwheel.mirror.summary import Preference, preference
from evalwheel.stats.estimate import Estimate
from evalwheel.stats.intervals import wilson

WINDOWS = {"hour": timedelta(hours=1), "day": timedelta(days=1), "week": timedelta(weeks=1)}


class ReadinessRule(BaseModel):
    """The thresholds of the readiness rule."""

    windows: int = Field(default=3, ge=1)
    min_pairs: int = Field(default=20, ge=1)
    min_net: float = Field(default=0.0, ge=-1.0, le=1.0)


class Window(BaseModel):
    """One window of traffic. With a pointwise judge on the replay, each system's pass rate on
    the window's answers (corrected for the judge's measured errors when it is calibrated)."""

    start: datetime
    pairs: int
    difference_rate: Estimate
    preference: Preference
    current_pass: Estimate | None = None
    candidate_pass: Estimate | None = None
    pass_corrected: bool = False
    counts: bool = Field(description="has enough decided pairs to count for readiness")
    passes: bool | None = Field(
        default=None, description="lower bound of net ≥ min_net (None when it does not count)"
    )


class Readiness(BaseModel):
    """The windows, oldest first, and the verdict."""

    mirror: str
    window: str
    rule: ReadinessRule
    windows: list[Window]
    ready: bool
    reason: str


def _start(moment: datetime, size: timedelta) -> datetime:
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    epoch = datetime(1970, 1, 5, tzinfo=UTC)  # a Monday, so weeks start on Mondays
    return epoch + ((moment - epoch) // size) * size


Correction = Callable[[list[bool]], Estimate | None]


def _pass_rate(verdicts: list[bool], correct: Correction | None) -> tuple[Estimate | None, bool]:
    """The judge's pass rate over the answers it judged, corrected when a correction is given and
    possible (a judge that carries no information gives no corrected estimate: raw it is)."""
    if not verdicts:
        return None, False
    if correct is not None:
        corrected = correct(verdicts)
        if corrected is not None and corrected.estimate is not None:
            return corrected, True
    return wilson(sum(verdicts), len(verdicts)), False


def readiness(
    mirror: str,
    pairs: list[MirrorPair],
    *,
    window: str = "day",
    rule: ReadinessRule | None = None,
    correct: Correction | None = None,
) -> Readiness:
    """Per-window results of the analysed pairs and the readiness verdict. ``correct`` turns a
    pointwise judge's verdicts into a corrected pass rate (see ``runner.aggregate``)."""
    if window not in WINDOWS:
        raise InputError(f"must be one of {', '.join(WINDOWS)}, not {window!r}", field="window")
    rule = rule or ReadinessRule()
    size = WINDOWS[window]
    groups: dict[datetime, list[MirrorPair]] = {}
    for pair in pairs:
        if pair.analysis is not None:
            groups.setdefault(_start(pair.created_at, size), []).append(pair)
    shown: list[Window] = []
    for start in sorted(groups):
        members = groups[start]
        pref = preference(members)
        differs = [p.analysis.relation in ("different", "failed") for p in members if p.analysis]
        counts = pref.decided >= rule.min_pairs
        low = pref.net.ci_low
        current_pass, corrected_a = _pass_rate(
            [p.current.passed for p in members if p.current.passed is not None], correct
        )
        candidate_pass, corrected_b = _pass_rate(
            [p.candidate.passed for p in members if p.candidate and p.candidate.passed is not None],
            correct,
        )
        shown.append(
            Window(
                start=start,
                pairs=len(members),
                difference_rate=wilson(sum(differs), len(differs)),
                preference=pref,
                current_pass=current_pass,
                candidate_pass=candidate_pass,
                pass_corrected=corrected_a and corrected_b,
                counts=counts,
                passes=(low is not None and low >= rule.min_net) if counts else None,
            )
        )
    counted = [w for w in shown if w.counts]
    last = counted[-rule.windows :]
    if len(counted) < rule.windows:
        ready = False
        reason = (
            f"{len(counted)} of the {rule.windows} windows needed have at least "
            f"{rule.min_pairs} decided pairs"
        )
    elif all(w.passes for w in last):
        ready = True
        reason = (
            f"the last {rule.windows} counted windows all have a net-preference lower bound "
            f"≥ {rule.min_net:g}"
        )
    else:
        failing = [w.start.date().isoformat() for w in last if not w.passes]
        ready = False
        reason = f"net-preference lower bound below {rule.min_net:g} in: {', '.join(failing)}"
    return Readiness(
        mirror=mirror, window=window, rule=rule, windows=shown, ready=ready, reason=reason
    )
