"""Essence extraction: from one real conversation, the goal the user pursued, without its words.

Two sources, each recorded in the essence row's ``extraction`` provenance:

- grounded (when the application can describe the conversation's reference artifact and list its
  literals): the goal is the reference in words with the held-back values masked, the facts are
  the reference's literals that the user gave only after the opening (each with the user's own
  words as its text), and success is the application's executable check;
- a model (any named model) reads the transcript and writes what grounding cannot: persona, tone,
  constraints, and for an application without a reference the goal, facts and success in words.
  A model's fact counts only when its value appears in a user turn after the opening (a fact the
  user never gave cannot be held back), a goal that leaks a held-back value is masked, and a
  constraint, persona or tone carrying a value the user never said (or a held-back one) is
  dropped: no value the model invents reaches the simulated user.
"""

from __future__ import annotations

import re
import statistics
from typing import Any

from pydantic import BaseModel, Field

from evalwheel.apps import hooks
from evalwheel.core.example import Example
from evalwheel.llm.client import ModelClient
from evalwheel.llm.errors import BudgetExceeded, DeadlineExceeded, InvalidOutput, ModelCallError
from evalwheel.llm.structured import StructuredMode, generate
from evalwheel.llm.types import ChatRequest
from evalwheel.simulate.models import Essence, Fact
from evalwheel.simulate.review import _contains, literals

PROMPT_VERSION = "extract-1"
MASK = "(a detail you give when asked)"


class ExtractedFact(BaseModel):
    text: str = Field(max_length=200)
    value: str = Field(max_length=80)


class ModelReading(BaseModel):
    """What the extraction model answers."""

    goal: str = Field(max_length=400)
    constraints: list[str] = Field(default_factory=list, max_length=5)
    facts: list[ExtractedFact] = Field(default_factory=list, max_length=6)
    persona: str = Field(default="", max_length=160)
    tone: str = Field(default="", max_length=120)
    success: str = Field(default="", max_length=300)


class EssenceDraft(BaseModel):
    """One conversation's essence and where each part came from."""

    essence: Essence
    provenance: dict[str, str]
    model_error: str | None = None


EXTRACT_SYSTEM = (
    "You read a conversation between a user and an assistant and describe the user's underlying "
    "goal so that someone else could play the same user. goal: what the user wants in the end, "
    "in one or two sentences. constraints: things that must hold. facts: details the user gave "
    "only when the assistant asked (text: as the user would say it; value: the exact value). "
    "persona: who the user is. tone: how they write. success: how the user would know the goal "
    "is met."
)


def transcript(messages: list[dict[str, Any]]) -> str:
    """The conversation as plain text (artifacts are not shown, only what was said)."""
    return "\n".join(
        f"{'User' if m.get('role') == 'user' else 'Assistant'}: {m.get('content') or ''}"
        for m in messages
    )


def user_texts(messages: list[dict[str, Any]]) -> list[str]:
    return [str(m.get("content") or "") for m in messages if m.get("role") == "user"]


def tone_of(texts: list[str]) -> str:
    """A measurable description of how the user writes, when no model says it better."""
    words = [len(t.split()) for t in texts if t.strip()]
    median = int(statistics.median(words)) if words else 0
    lower = texts and all(t == t.lower() for t in texts)
    return f"messages of about {median} words" + (", all lower case" if lower else "")


def _mask(text: str, values: list[str]) -> str:
    for value in sorted(values, key=len, reverse=True):
        text = re.sub(r"(?<!\w)" + re.escape(value) + r"(?!\w)", MASK, text, flags=re.IGNORECASE)
    return text


def _answer_turn(texts: list[str], value: str) -> str | None:
    """The first user turn after the opening that gives ``value``."""
    return next((t for t in texts[1:] if _contains(t, value)), None)


def grounded_parts(app: Any, example: Example) -> tuple[str, list[Fact], str] | None:
    """Goal, held-back facts and success from the reference (None: the application cannot)."""
    reference = example.reference
    if reference is None or not callable(getattr(app, "describe_artifact", None)):
        return None
    messages = example.input if isinstance(example.input, list) else []
    texts = user_texts(messages)
    opening = texts[0] if texts else ""
    facts: list[Fact] = []
    seen: set[str] = set()
    for value in hooks.artifact_facts(app, reference):
        if _contains(opening, value) or value.lower() in seen:
            continue
        seen.add(value.lower())
        answer = _answer_turn(texts, value)
        if answer is not None:
            facts.append(Fact(text=answer.strip()[:200], value=value))
    described = hooks.describe_artifact(app, reference)
    goal = _mask(described, [f.value for f in facts if f.value])
    return goal, facts, f"the result does this: {described}"


async def read_with_model(client: ModelClient, messages: list[dict[str, Any]]) -> ModelReading:
    """The model's reading of one transcript (errors propagate to the caller, who records them)."""
    request = ChatRequest(
        messages=[
            {"role": "system", "content": EXTRACT_SYSTEM},
            {"role": "user", "content": transcript(messages) + "\n\nAnswer as JSON."},
        ],
        temperature=0,
        max_tokens=360,
    )
    reading, _ = await generate(client, request, ModelReading, StructuredMode.JSON_SCHEMA)
    return reading


async def extract_essence(app: Any, client: ModelClient | None, example: Example) -> EssenceDraft:
    """The essence of one conversation row (``input``: its messages)."""
    messages = example.input if isinstance(example.input, list) else []
    texts = user_texts(messages)
    opening = texts[0] if texts else None
    reading: ModelReading | None = None
    error = None
    if client is not None:
        try:
            reading = await read_with_model(client, messages)
        except (BudgetExceeded, DeadlineExceeded):
            raise
        except (InvalidOutput, ModelCallError) as exc:
            error = f"{type(exc).__name__}: {exc}"
    grounded = grounded_parts(app, example) if app is not None else None
    provenance: dict[str, str] = {}
    if grounded is not None:
        goal, facts, success = grounded
        provenance.update(goal="reference", facts="reference", success="application check")
    else:
        goal = reading.goal.strip() if reading else ""
        facts = [
            Fact(text=f.text.strip(), value=f.value.strip())
            for f in (reading.facts if reading else [])
            if f.value.strip() and _answer_turn(texts, f.value.strip()) is not None
        ]
        if not goal:
            goal, provenance["goal"] = (opening or "(unknown)"), "opening"
        else:
            provenance["goal"] = "model"
        success = reading.success.strip() if reading else ""
        provenance.update(facts="model, kept only when given after the opening", success="model")
    held = [f.value for f in facts if f.value]
    said = literals(" ".join(texts))

    def grounded_text(text: str) -> bool:
        """Model text may reach the simulated user only when every value in it was said by the
        real user and none of them is held back."""
        return not (literals(text) - said) and not any(_contains(text, v) for v in held)

    constraints = [
        c.strip()
        for c in (reading.constraints if reading else [])
        if c.strip() and grounded_text(c)
    ]
    if grounded is None and any(_contains(goal, v) for v in held):
        goal, provenance["goal"] = _mask(goal, held), "model, held-back values masked"
    persona = reading.persona.strip() if reading and grounded_text(reading.persona) else ""
    model_tone = reading.tone.strip() if reading and grounded_text(reading.tone) else ""
    tone = model_tone or tone_of(texts)
    provenance["persona"] = "model" if persona else "none"
    provenance["tone"] = "model" if model_tone else "measured"
    provenance["constraints"] = "model" if constraints else "none"
    essence = Essence(
        goal=goal or "(unknown)",
        constraints=constraints,
        facts=facts,
        persona=persona,
        tone=tone,
        opening=opening,
        success=success,
    )
    return EssenceDraft(essence=essence, provenance=provenance, model_error=error)
