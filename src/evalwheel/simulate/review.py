"""The reviewer: finds the simulated user's own errors in one episode, so they are counted and the
episode re-run instead of being blamed on the agent.

The rules are deterministic and read only the essence and the transcript (plus the hidden
``goal_met`` the episode recorded after each artifact):

- ``unasked_fact``: a held-back fact given when the assistant had neither asked a question nor
  shown a wrong result (a correction may carry the right value), or facts of more than one answer
  given in one reply (one piece of information at a time);
- ``invented_fact``: a value (number, email, URL, quoted text) the essence does not hold and the
  assistant did not say first;
- ``stopped_early``: the user left while the goal was unmet and the assistant was still asking;
- ``accepted_wrong``: the user stopped on a result that fails the success check without ever
  having said a result was wrong (giving up after a failed correction is allowed);
- ``rejected_right``: the user went on after a result that passes it, without stopping;
- ``ignored_question``: the assistant asked and a reply of more than three words gives none of
  the facts still held back (a heuristic: "no" may answer a question the facts do not cover);
- ``empty_message``: an empty reply, or one that repeats the assistant's message;
- ``simulator_failed``: the simulator model gave no usable answer.

``judge_review`` adds a model's reading of the transcript (``judge_flag``) for what rules miss.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, Field

from evalwheel.llm.client import ModelClient
from evalwheel.llm.errors import BudgetExceeded, DeadlineExceeded, InvalidOutput, ModelCallError
from evalwheel.llm.structured import StructuredMode, generate
from evalwheel.llm.types import ChatRequest
from evalwheel.simulate.episode import Episode
from evalwheel.simulate.models import Essence, ReviewFlag

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"https?://[^\s\"'<>]+")
_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_NUMBER = re.compile(r"(?<![\w.,])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?!\.?\w)")
_QUOTED = re.compile(r"\"([^\"]{2,40})\"|“([^”]{2,40})”|(?<!\w)'([^']{2,40})'(?!\w)")


def literals(text: str) -> set[str]:
    """The values in ``text`` a user could invent: numbers (as whole numbers where they are),
    emails, URLs and quoted words, lower-cased."""
    found: set[str] = set()
    without_urls = _URL.sub(" ", text)
    found |= {u.lower().rstrip(".,)") for u in _URL.findall(text)}
    found |= {e.lower().rstrip(".") for e in _EMAIL.findall(without_urls)}
    rest = _EMAIL.sub(" ", without_urls)
    found |= set(_DATE.findall(rest))
    rest = _DATE.sub(" ", rest)
    for number in _NUMBER.findall(rest):
        found.add(_normal_number(number))
    for groups in _QUOTED.findall(rest):
        quoted = next((g for g in groups if g), "").strip().lower()
        if quoted:
            found.add(quoted)
    return found


def _normal_number(text: str) -> str:
    value = float(text.replace(",", ""))
    return str(int(value)) if value == int(value) else str(value)


def _contains(text: str, value: str) -> bool:
    """Does ``text`` give ``value``: a number as a whole number, anything else as words."""
    value = value.strip().lower()
    if not value:
        return False
    if _NUMBER.fullmatch(value):
        return _normal_number(value) in literals(text)
    return re.search(r"(?<!\w)" + re.escape(value) + r"(?!\w)", text.lower()) is not None


def is_question(turn: dict[str, Any]) -> bool:
    """Did this assistant turn ask (its outcome says so, or, without one, it ends with '?')?"""
    outcome = turn.get("outcome")
    if outcome is not None:
        return outcome == "clarify"
    return str(turn.get("content") or "").rstrip().endswith("?")


def review(essence: Essence, episode: Episode) -> list[ReviewFlag]:
    """Every rule's findings on one episode (empty: the simulated user made no error we can see)."""
    flags: list[ReviewFlag] = []
    if episode.simulator_error is not None:
        flags.append(
            ReviewFlag(
                kind="simulator_failed", turn=episode.user_turns, detail=episode.simulator_error
            )
        )
    known_text = " ".join(
        [
            essence.goal,
            *essence.constraints,
            *(f.text for f in essence.facts),
            essence.opening or "",
        ]
    )
    known = literals(known_text) | {
        (f.value or "").strip().lower() for f in essence.facts if f.value
    }
    known |= {
        _normal_number(f.value)
        for f in essence.facts
        if f.value and _NUMBER.fullmatch(f.value.strip())
    }
    open_goal = " ".join([essence.goal, *essence.constraints])
    held = [f for f in essence.facts if f.value and not _contains(open_goal, f.value)]
    given: set[str] = set()
    said_by_assistant: set[str] = set()
    previous: dict[str, Any] | None = None
    complained = False
    user_turn = 0
    for turn in episode.messages:
        text = str(turn.get("content") or "")
        if turn["role"] == "assistant":
            said_by_assistant |= literals(text)
            previous = turn
            continue
        # A fact may answer a question or correct a wrong result ("no, over $1,500").
        wrong = previous is not None and previous.get("goal_met") is False
        asked = previous is not None and (is_question(previous) or wrong)
        flags += _reply_flags(text, user_turn, previous, asked, held, given)
        invented = sorted(literals(text) - known - said_by_assistant)
        if invented:
            flags.append(
                ReviewFlag(kind="invented_fact", turn=user_turn, detail=", ".join(invented))
            )
        if previous is not None and previous.get("goal_met") is True and not turn.get("stop"):
            flags.append(ReviewFlag(kind="rejected_right", turn=user_turn))
        if turn.get("stop") and previous is not None:
            flags += _stop_flags(previous, user_turn, complained)
        complained = complained or (wrong and not turn.get("stop"))
        user_turn += 1
    return flags


def _reply_flags(
    text: str,
    turn: int,
    previous: dict[str, Any] | None,
    asked: bool,
    held: list[Any],
    given: set[str],
) -> list[ReviewFlag]:
    flags: list[ReviewFlag] = []
    if not text.strip() or (
        previous is not None
        and text.strip().lower() == str(previous.get("content") or "").strip().lower()
    ):
        flags.append(ReviewFlag(kind="empty_message", turn=turn))
    pending = [f for f in held if f.value.lower() not in given]
    new = [f for f in pending if _contains(text, f.value)]
    given |= {f.value.lower() for f in new}
    answers = {f.text for f in new}  # facts the real user gave in one answer count as one
    if new and not asked:
        flags.append(
            ReviewFlag(
                kind="unasked_fact",
                turn=turn,
                detail="given unasked: " + ", ".join(f.value for f in new),
            )
        )
    elif len(answers) > 1:
        flags.append(
            ReviewFlag(
                kind="unasked_fact",
                turn=turn,
                detail="several at once: " + ", ".join(f.value for f in new),
            )
        )
    # A short reply ("no", "yes please") may answer a question the facts do not cover.
    if (
        previous is not None
        and is_question(previous)
        and pending
        and not new
        and len(text.split()) > 3
    ):
        flags.append(ReviewFlag(kind="ignored_question", turn=turn))
    return flags


def _stop_flags(previous: dict[str, Any], turn: int, complained: bool) -> list[ReviewFlag]:
    """Stopping on a wrong result is an error unless the user had already said it was wrong (a
    user who gives up after a failed correction behaves as the rules ask)."""
    if previous.get("goal_met") is False and not complained:
        return [ReviewFlag(kind="accepted_wrong", turn=turn)]
    if previous.get("goal_met") is None and is_question(previous):
        return [ReviewFlag(kind="stopped_early", turn=turn, detail="left a question unanswered")]
    return []


class JudgeReview(BaseModel):
    """A reviewer model's reading of the transcript."""

    errors: list[
        Literal[
            "unasked_fact", "invented_fact", "stopped_early", "accepted_wrong", "ignored_question"
        ]
    ] = Field(default_factory=list, max_length=5)
    reason: str = Field(default="", max_length=300)


JUDGE_SYSTEM = (
    "You review a simulated user. The user was told a goal and some facts, and must give a fact "
    "only when asked, one at a time, never invent a value, say so when the assistant's result is "
    "wrong, and stop only when the goal is met or clearly cannot be. List the rules the USER broke "
    "(not the assistant); an empty list when it broke none."
)


async def judge_review(client: ModelClient, essence: Essence, episode: Episode) -> list[ReviewFlag]:
    """A model's review; an unreadable answer is itself a flag (never a silent pass)."""
    transcript = "\n".join(
        f"{'User' if t['role'] == 'user' else 'Assistant'}: {t.get('content') or ''}"
        for t in episode.messages
    )
    brief = essence.model_dump_json(include={"goal", "constraints", "facts"})
    request = ChatRequest(
        messages=[
            {"role": "system", "content": JUDGE_SYSTEM},
            {
                "role": "user",
                "content": f"The user's brief:\n{brief}\n\nTranscript:\n{transcript}\n\n"
                'Answer as JSON: {"errors": [...], "reason": "..."}',
            },
        ],
        temperature=0,
        max_tokens=160,
    )
    try:
        verdict, _ = await generate(client, request, JudgeReview, StructuredMode.JSON_SCHEMA)
    except (BudgetExceeded, DeadlineExceeded):
        raise
    except (InvalidOutput, ModelCallError) as exc:
        return [ReviewFlag(kind="judge_flag", turn=-1, detail=f"reviewer gave no verdict: {exc}")]
    return [
        ReviewFlag(kind="judge_flag", turn=-1, detail=f"{kind}: {verdict.reason}")
        for kind in dict.fromkeys(verdict.errors)
    ]
