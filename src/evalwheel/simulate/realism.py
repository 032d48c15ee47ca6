"""How close simulated conversations come to real ones, figure by figure (Sim2Real and UserLM show
simulated users are shorter, more cooperative and rarely push back; these figures make that
visible). A conversation is a list of messages as in the ``conversations`` dataset and in a
simulation run's traces: ``role`` user/assistant, ``content``, and on assistant turns optionally
``outcome`` (workflow/clarify/refuse/answer) and ``artifact``. Other roles are ignored.

The unit is the conversation: every figure has one value per conversation, so conversations are
the independent observations its test counts.

- ``user_turns``: user messages in the conversation.
- ``user_words``: mean words (whitespace-separated) per user message of the conversation.
- ``opening_words``: words of the first user message.
- ``clarification_rate``: share of conversations in which the agent asked: an assistant turn with
  outcome ``clarify``, or, where the turn has no outcome, content ending with "?".
- ``correction_rate``: share of conversations with a correction: a user turn right after an
  assistant workflow turn (outcome ``workflow``, or an artifact where there is no outcome) that
  the agent answers again, i.e. the user asked for a change instead of closing. A user turn after
  a workflow that ends the conversation is a closing, not a correction.
- ``closing_rate``: share of conversations whose last message is a user turn after at least one
  assistant turn (the merchant had the last word: thanks, acceptance, giving up).

Every rate's denominator is all conversations of the set. For numbers: the mean and median of
each set, the difference of means (simulated - real) with a two-sample percentile bootstrap
interval (``scipy.stats.bootstrap``) and the two-sided Mann-Whitney U test
(``scipy.stats.mannwhitneyu``; it compares whole distributions and suits small integer counts).
For rates: the difference of proportions with Newcombe's hybrid score interval (Newcombe 1998,
method 10, built from the two Wilson intervals) and Fisher's exact test (``scipy.stats.fisher_exact``).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from statistics import fmean, median
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field
from scipy.stats import bootstrap, fisher_exact, mannwhitneyu

from evalwheel.errors import InputError
from evalwheel.stats.intervals import wilson

Conversation = Sequence[Mapping[str, Any]]

__all__ = [
    "ConversationShape",
    "RealismFigure",
    "RealismReport",
    "is_clarification",
    "is_workflow",
    "realism",
    "shape",
]


class ConversationShape(BaseModel):
    """What realism measures of one conversation."""

    user_turns: int
    user_words: float | None = Field(description="mean words per user message; None: no user turn")
    opening_words: int | None
    asked: bool
    corrected: bool
    closed: bool


class RealismFigure(BaseModel):
    """One figure for the real and the simulated set, and how far apart they are."""

    name: str
    kind: Literal["number", "rate"]
    real: float | None = Field(description="mean (number) or share (rate) of the real set")
    simulated: float | None
    real_median: float | None = None
    simulated_median: float | None = None
    real_distribution: dict[int, int] | None = Field(
        default=None, description="value → conversations, for integer counts"
    )
    simulated_distribution: dict[int, int] | None = None
    n_real: int
    n_simulated: int
    difference: float | None = Field(description="simulated - real")
    ci_low: float | None
    ci_high: float | None
    interval: str
    test: str
    p_value: float | None


class RealismReport(BaseModel):
    """Every realism figure, real against simulated, at ``confidence``."""

    figures: list[RealismFigure]
    n_real: int
    n_simulated: int
    confidence: float

    def figure(self, name: str) -> RealismFigure:
        return next(f for f in self.figures if f.name == name)


def is_workflow(message: Mapping[str, Any]) -> bool:
    """An assistant turn that delivered a workflow (outcome, or an artifact where there is none)."""
    outcome = message.get("outcome")
    if outcome is not None:
        return outcome == "workflow"
    return message.get("artifact") is not None


def is_clarification(message: Mapping[str, Any]) -> bool:
    """An assistant turn that asks the user something (outcome, or a final "?" where none)."""
    outcome = message.get("outcome")
    if outcome is not None:
        return outcome == "clarify"
    return str(message.get("content") or "").rstrip().endswith("?")


def _words(text: Any) -> int:
    return len(str(text or "").split())


def _turns(conversation: Any, where: str) -> list[Mapping[str, Any]]:
    if not isinstance(conversation, Sequence) or isinstance(conversation, str):
        raise InputError("a conversation must be a list of messages", field=where)
    turns = []
    for number, message in enumerate(conversation):
        if not isinstance(message, Mapping):
            raise InputError("a message must be an object", field=f"{where}[{number}]")
        if message.get("role") in ("user", "assistant"):
            turns.append(message)
    return turns


def shape(conversation: Conversation, where: str = "conversation") -> ConversationShape:
    """The figures of one conversation (``where`` names it in an InputError)."""
    turns = _turns(conversation, where)
    users = [t for t in turns if t["role"] == "user"]
    words = [_words(t.get("content")) for t in users]
    corrected = any(
        turns[i]["role"] == "user"
        and turns[i - 1]["role"] == "assistant"
        and is_workflow(turns[i - 1])
        and any(t["role"] == "assistant" for t in turns[i + 1 :])
        for i in range(1, len(turns))
    )
    return ConversationShape(
        user_turns=len(users),
        user_words=fmean(words) if words else None,
        opening_words=words[0] if words else None,
        asked=any(t["role"] == "assistant" and is_clarification(t) for t in turns),
        corrected=corrected,
        closed=bool(turns)
        and turns[-1]["role"] == "user"
        and any(t["role"] == "assistant" for t in turns),
    )


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def _number(
    name: str,
    real: list[float],
    simulated: list[float],
    confidence: float,
    resamples: int,
    seed: int,
    counts: bool,
) -> RealismFigure:
    difference = low = high = p_value = None
    if real and simulated:
        difference = fmean(simulated) - fmean(real)
        p_value = _finite(mannwhitneyu(simulated, real, alternative="two-sided").pvalue)
    if len(real) >= 2 and len(simulated) >= 2:
        result = bootstrap(
            (np.asarray(simulated, dtype=float), np.asarray(real, dtype=float)),
            lambda s, r, axis: s.mean(axis=axis) - r.mean(axis=axis),
            vectorized=True,
            paired=False,
            confidence_level=confidence,
            n_resamples=resamples,
            method="percentile",
            random_state=np.random.default_rng(seed),
        )
        low = _finite(result.confidence_interval.low)
        high = _finite(result.confidence_interval.high)

    def histogram(values: list[float]) -> dict[int, int] | None:
        return dict(sorted(Counter(int(v) for v in values).items())) if counts else None

    return RealismFigure(
        name=name,
        kind="number",
        real=fmean(real) if real else None,
        simulated=fmean(simulated) if simulated else None,
        real_median=median(real) if real else None,
        simulated_median=median(simulated) if simulated else None,
        real_distribution=histogram(real),
        simulated_distribution=histogram(simulated),
        n_real=len(real),
        n_simulated=len(simulated),
        difference=difference,
        ci_low=low,
        ci_high=high,
        interval="bootstrap-percentile (difference of means)",
        test="mann-whitney-u (two-sided)",
        p_value=p_value,
    )


def _wilson(successes: int, n: int, confidence: float) -> tuple[float, float, float]:
    ci = wilson(successes, n, confidence)
    return successes / n, float(ci.ci_low or 0.0), float(ci.ci_high or 0.0)


def _rate(name: str, real: list[bool], simulated: list[bool], confidence: float) -> RealismFigure:
    a, n_a = sum(simulated), len(simulated)
    b, n_b = sum(real), len(real)
    difference = low = high = p_value = None
    if n_a and n_b:
        (p_a, l_a, u_a), (p_b, l_b, u_b) = _wilson(a, n_a, confidence), _wilson(b, n_b, confidence)
        difference = p_a - p_b
        low = difference - math.hypot(p_a - l_a, u_b - p_b)
        high = difference + math.hypot(u_a - p_a, p_b - l_b)
        p_value = _finite(fisher_exact([[a, n_a - a], [b, n_b - b]]).pvalue)
    return RealismFigure(
        name=name,
        kind="rate",
        real=b / n_b if n_b else None,
        simulated=a / n_a if n_a else None,
        n_real=n_b,
        n_simulated=n_a,
        difference=difference,
        ci_low=low,
        ci_high=high,
        interval="newcombe-hybrid-score (difference of proportions)",
        test="fisher-exact (two-sided)",
        p_value=p_value,
    )


_NUMBERS: list[tuple[str, Callable[[ConversationShape], float | None], bool]] = [
    ("user_turns", lambda s: s.user_turns, True),
    ("user_words", lambda s: s.user_words, False),
    ("opening_words", lambda s: s.opening_words, True),
]
_RATES: list[tuple[str, Callable[[ConversationShape], bool]]] = [
    ("clarification_rate", lambda s: s.asked),
    ("correction_rate", lambda s: s.corrected),
    ("closing_rate", lambda s: s.closed),
]


def realism(
    real: Sequence[Conversation],
    simulated: Sequence[Conversation],
    *,
    confidence: float = 0.95,
    resamples: int = 10_000,
    seed: int = 0,
) -> RealismReport:
    """Each realism figure for the real and the simulated conversations, with the difference
    (simulated - real), its interval and a test, so a reader sees where the simulator departs
    from real users and whether the gap is more than noise."""
    if not 0 < confidence < 1:
        raise InputError(f"confidence must be in (0, 1), got {confidence}", field="confidence")
    if resamples < 1:
        raise InputError(f"resamples must be at least 1, got {resamples}", field="resamples")
    real_shapes = [shape(c, f"real[{i}]") for i, c in enumerate(real)]
    sim_shapes = [shape(c, f"simulated[{i}]") for i, c in enumerate(simulated)]
    figures = []
    for name, value, counts in _NUMBERS:
        figures.append(
            _number(
                name,
                [v for s in real_shapes if (v := value(s)) is not None],
                [v for s in sim_shapes if (v := value(s)) is not None],
                confidence,
                resamples,
                seed,
                counts,
            )
        )
    for name, flag in _RATES:
        figures.append(
            _rate(name, [flag(s) for s in real_shapes], [flag(s) for s in sim_shapes], confidence)
        )
    return RealismReport(
        figures=figures,
        n_real=len(real_shapes),
        n_simulated=len(sim_shapes),
        confidence=confidence,
    )
