"""Can a judge tell a simulated conversation from a real one? (The judged real-vs-simulated test.)

Each pair holds a real conversation and a simulated conversation of the same essence. The judge
sees both as plain text ("User: …" / "Assistant: …", artifacts left out, so it judges the talk and
not the workflow), in a seeded random order as A and B, and answers which one a real user
wrote. Accuracy near 0.5 means the simulator is indistinguishable; near 1 it is easy to spot.

- Accuracy: share of pairs where the judge named the real one, with a Wilson interval, and an
  exact two-sided binomial test against 0.5 (``scipy.stats.binomtest``): a judge that reliably
  picks the simulated one can tell them apart too.
- Only the user's side is shown; each assistant turn is a placeholder. The real conversations'
  assistant turns were written by people or another system, the simulated ones by the system under
  test, so showing them would let a judge spot the simulation by the assistant alone.
- A pair the judge could not answer (call error, unreadable output) is reported in
  ``unanswered`` and left out of the accuracy and its test: counting it wrong would pull the
  accuracy towards 0.5 ("cannot tell") and flatter the simulator.
- Position bias: the real conversation is shown first in half the pairs (shuffled, seeded), and
  accuracy is reported apart for each position; a judge that always answers "A" scores about 1
  on one and 0 on the other.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field
from scipy.stats import binomtest

from evalwheel.errors import InputError
from evalwheel.judges.prompt import delimit, guard
from evalwheel.llm.client import ModelClient
from evalwheel.llm.errors import BudgetExceeded, DeadlineExceeded, InvalidOutput, ModelCallError
from evalwheel.llm.structured import StructuredMode, generate
from evalwheel.llm.types import ChatRequest
from evalwheel.stats.estimate import Estimate
from evalwheel.stats.intervals import wilson

__all__ = [
    "DISCRIMINATION_PROMPT_VERSION",
    "ConversationPair",
    "DiscriminationReport",
    "PairVerdict",
    "RealOne",
    "adiscriminate",
    "render",
]

DISCRIMINATION_PROMPT_VERSION = "sim-discriminate-1"
Position = Literal["A", "B"]
ASSISTANT_PLACEHOLDER = "Assistant: (reply not shown)"

SYSTEM = (
    "You study conversations between users and an AI assistant. You are shown two "
    "conversations, A and B, about the same goal. In one, the user's side was written by a real "
    "person; in the other, by a language model imitating that person. Decide which conversation "
    "has the real user. Look at how the user writes and behaves: length, wording, typos, what "
    "they volunteer or hold back, how they react to mistakes and questions."
)


class ConversationPair(BaseModel):
    """A real conversation and a simulated one of the same essence (messages as in the
    ``conversations`` dataset)."""

    id: str
    real: list[dict[str, Any]]
    simulated: list[dict[str, Any]]


class RealOne(BaseModel):
    """The judge's answer: which conversation has the real user."""

    reason: str = Field(description="one sentence")
    real: Literal["A", "B"]


class PairVerdict(BaseModel):
    """What the judge said about one pair; ``answer`` None: no usable answer (``error`` says
    why), counted as wrong."""

    pair_id: str
    real_shown_as: Position
    answer: Position | None
    correct: bool
    reason: str = ""
    error: str | None = None


class DiscriminationReport(BaseModel):
    """How well the judge told real from simulated: accuracy over the answered pairs (0.5:
    indistinguishable) with its interval and binomial p against 0.5, per position of the real
    conversation, the unanswered pairs apart, and every pair."""

    judge: str
    prompt_version: str
    n: int
    correct: int
    unanswered: int
    accuracy: Estimate
    p_value: float | None = Field(description="exact two-sided binomial test against 0.5")
    real_as_a: Estimate
    real_as_b: Estimate
    seed: int
    verdicts: list[PairVerdict]


def render(conversation: Sequence[Mapping[str, Any]]) -> str:
    """The user's side as a person would read it: one "User:" line per user turn, a placeholder
    line per assistant turn, content only (no outcome, no artifact); other roles left out."""
    lines = []
    for message in conversation:
        role = str(message.get("role"))
        if role == "user":
            lines.append(f"User: {str(message.get('content') or '').strip()}")
        elif role == "assistant":
            lines.append(ASSISTANT_PLACEHOLDER)
    return "\n".join(lines)


def judge_messages(first: str, second: str) -> list[dict[str, str]]:
    """The judge's messages, ``first`` shown as A and ``second`` as B, each between markers."""
    parts, markers = [], []
    for title, text in (("A", first), ("B", second)):
        begin, end, body = delimit(text, title)
        markers.append(f"{begin} … {end}")
        parts.append(f"Conversation {title}:\n{body}")
    task = "decide only which conversation has the real user"
    system = (
        SYSTEM + "\n\n" + guard("<<<A|B-…>>>", "<<<END-…>>>", "text of each conversation", task)
    )
    user = (
        "Which conversation has the real user ("
        + "; ".join(markers)
        + ")?\n\n"
        + "\n\n".join(parts)
        + '\n\nAnswer as JSON: {"reason": "<one sentence>", "real": "A" or "B"}'
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def _positions(n: int, seed: int) -> list[Position]:
    """Where the real conversation goes in each pair: first in half of them, shuffled."""
    positions: list[Position] = ["A"] * ((n + 1) // 2) + ["B"] * (n // 2)
    random.Random(seed).shuffle(positions)
    return positions


async def _judge_pair(
    client: ModelClient,
    pair: ConversationPair,
    real_shown_as: Position,
    mode: StructuredMode,
    max_tokens: int,
) -> PairVerdict:
    real, simulated = render(pair.real), render(pair.simulated)
    first, second = (real, simulated) if real_shown_as == "A" else (simulated, real)
    request = ChatRequest(
        messages=judge_messages(first, second), temperature=0, max_tokens=max_tokens
    )
    try:
        answer, _ = await generate(client, request, RealOne, mode)
    except (BudgetExceeded, DeadlineExceeded):
        raise
    except InvalidOutput as exc:
        return _unanswered(pair, real_shown_as, f"unreadable: {exc}")
    except ModelCallError as exc:
        return _unanswered(pair, real_shown_as, f"{exc.kind}: {exc}")
    return PairVerdict(
        pair_id=pair.id,
        real_shown_as=real_shown_as,
        answer=answer.real,
        correct=answer.real == real_shown_as,
        reason=answer.reason,
    )


def _unanswered(pair: ConversationPair, real_shown_as: Position, error: str) -> PairVerdict:
    return PairVerdict(
        pair_id=pair.id, real_shown_as=real_shown_as, answer=None, correct=False, error=error
    )


def _accuracy(verdicts: list[PairVerdict]) -> Estimate:
    answered = [v for v in verdicts if v.answer is not None]
    return wilson(sum(v.correct for v in answered), len(answered))


async def adiscriminate(
    pairs: Sequence[ConversationPair],
    client: ModelClient,
    *,
    seed: int = 0,
    mode: StructuredMode = StructuredMode.JSON_SCHEMA,
    max_tokens: int = 200,
) -> DiscriminationReport:
    """Ask the judge behind ``client`` which conversation of each pair is real, and measure how
    often it is right: the judged half of the simulator's realism (can it pass for a real user?).

    Raises ``BudgetExceeded``/``DeadlineExceeded`` (the run must stop, not score a partial
    answer); any other failed call is an unanswered pair, reported apart."""
    ids = [p.id for p in pairs]
    if len(set(ids)) != len(ids):
        raise InputError("pair ids must be unique", field="pairs")
    positions = _positions(len(pairs), seed)
    verdicts = list(
        await asyncio.gather(
            *(
                _judge_pair(client, pair, where, mode, max_tokens)
                for pair, where in zip(pairs, positions, strict=True)
            )
        )
    )
    correct = sum(v.correct for v in verdicts)
    answered = sum(v.answer is not None for v in verdicts)
    return DiscriminationReport(
        judge=client.spec.name,
        prompt_version=DISCRIMINATION_PROMPT_VERSION,
        n=len(verdicts),
        correct=correct,
        unanswered=sum(v.answer is None for v in verdicts),
        accuracy=_accuracy(verdicts),
        p_value=float(binomtest(correct, answered, 0.5).pvalue) if answered else None,
        real_as_a=_accuracy([v for v in verdicts if v.real_shown_as == "A"]),
        real_as_b=_accuracy([v for v in verdicts if v.real_shown_as == "B"]),
        seed=seed,
        verdicts=verdicts,
    )
