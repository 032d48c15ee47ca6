"""The simulated user: a named model role-playing the person behind one essence.

Its rules are tau2-bench's in spirit: give one piece of information at a time and only when asked,
never invent a value the essence does not hold, say so when the assistant's result is wrong, and
stop (``stop``: true) once the goal is met or clearly cannot be. The model writes structured JSON,
so a stop is a field, not a marker to be fished out of prose (``###STOP###`` in the text is still
honoured for models that add it). The conversation is shown as one transcript under the role.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, Field

from evalwheel.llm.client import ModelClient
from evalwheel.llm.errors import BudgetExceeded, DeadlineExceeded, InvalidOutput, ModelCallError
from evalwheel.llm.structured import StructuredMode, generate
from evalwheel.llm.types import ChatRequest
from evalwheel.simulate.models import Essence

PROMPT_VERSION = "user-2"
STOP_MARKER = "###STOP###"
MAX_TOKENS = 160


class UserTurn(BaseModel):
    """What the simulator model answers on each turn."""

    message: str = Field(max_length=800)
    stop: bool = False


class UserReply(BaseModel):
    """One simulated user turn with what it cost; ``error`` says the simulator itself failed (the
    episode then ends and the reviewer flags it: a simulator error, not the agent's)."""

    message: str = ""
    stop: bool = False
    error: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0


def system_prompt(essence: Essence) -> str:
    """The role the simulator plays, built only from the essence (so it can know nothing else),
    with one worked answer in the essence's own words: a small model copies the shape of an
    example far better than it follows an instruction."""
    lines = [
        "You play a user who talks to an AI assistant. You write only the user's next message.",
    ]
    if essence.persona:
        lines.append(f"Who you are: {essence.persona}")
    if essence.tone:
        lines.append(f"How you write: {essence.tone}")
    lines.append(f"What you want: {essence.goal}")
    if essence.constraints:
        lines.append("It must also hold that: " + "; ".join(essence.constraints))
    if essence.facts:
        lines.append("Details you know. Give one only when the assistant asks for it:")
        lines += [f"- {fact.text}" for fact in essence.facts]
    lines += [
        "Rules: answer only what the assistant asks. Never make up a value that is not written "
        "above. If the assistant's result is wrong, say what is wrong. When your goal is met, or "
        'clearly cannot be met, thank the assistant and set "stop" to true.',
        "Answer with JSON only. Examples:",
    ]
    if essence.facts:
        example = {"message": essence.facts[0].text, "stop": False}
        lines.append(json.dumps(example, ensure_ascii=False))
    lines.append('{"message": "Thanks, that is what I wanted.", "stop": true}')
    return "\n".join(lines)


def simulator_messages(
    essence: Essence, conversation: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The simulator's view: its role, then the conversation so far as one transcript (a small
    model keeps its role far better than with role-flipped turns) and the cue to write."""
    if not conversation:
        cue = "The conversation has not started. Write the user's first message."
    else:
        said = "\n".join(
            f"{'User' if turn['role'] == 'user' else 'Assistant'}: {turn.get('content') or ''}"
            for turn in conversation
        )
        cue = f"The conversation so far:\n{said}\n\nWrite the user's next message."
    return [
        {"role": "system", "content": system_prompt(essence)},
        {"role": "user", "content": cue},
    ]


class SimulatedUser:
    """One essence's user on one model. ``temperature`` above 0 makes repeated episodes
    independent samples (the call cache keys each repetition apart)."""

    def __init__(self, client: ModelClient, essence: Essence, temperature: float = 0.7) -> None:
        self.client = client
        self.essence = essence
        self.temperature = temperature

    async def next(self, conversation: list[dict[str, Any]]) -> UserReply:
        """The user's next message after ``conversation`` (empty: the opening)."""
        request = ChatRequest(
            messages=simulator_messages(self.essence, conversation),
            temperature=self.temperature,
            max_tokens=MAX_TOKENS,
        )
        try:
            turn, response = await generate(
                self.client, request, UserTurn, StructuredMode.JSON_SCHEMA
            )
        except (BudgetExceeded, DeadlineExceeded):
            raise
        except InvalidOutput as exc:
            return UserReply(error=f"unreadable simulator answer: {exc}")
        except ModelCallError as exc:
            return UserReply(error=f"{exc.kind}: {exc}")
        message, stop = turn.message, turn.stop
        if STOP_MARKER in message:
            message, stop = message.replace(STOP_MARKER, "").strip(), True
        return UserReply(
            message=message.strip(),
            stop=stop,
            input_tokens=response.usage.input_tokens,
            output_tokens=response.usage.output_tokens,
            cost_usd=response.cost_usd,
        )


REPLAY = "replay"
REPLAY_VERSION = "replay-1"


class ReplayUser:
    """A rules-based user that speaks only the real user's own words from the essence: the real
    opening, then each held-back fact's text when asked; it stops with thanks once the result
    passes the application's success check (which it is allowed to see) and otherwise says the
    result is not what it asked for. No model, no invention: the reference point a model-played
    user is measured against (``user_model = "replay"``)."""

    def __init__(self, essence: Essence) -> None:
        self.essence = essence

    async def next(self, conversation: list[dict[str, Any]]) -> UserReply:
        """The next message, decided by the last assistant turn."""
        if not conversation:
            return UserReply(message=self.essence.opening or self.essence.goal)
        last = conversation[-1]
        given = " ".join(str(t.get("content") or "") for t in conversation if t["role"] == "user")
        pending = [f for f in self.essence.facts if f.text not in given]
        if last.get("goal_met") is True:
            return UserReply(message="Thanks, that is what I wanted.", stop=True)
        if last.get("outcome") == "clarify" or str(last.get("content") or "").rstrip().endswith(
            "?"
        ):
            if pending:
                return UserReply(message=pending[0].text)
            return UserReply(message="I have told you everything I know.")
        if last.get("outcome") in ("refuse", "error"):
            return UserReply(message="OK, thanks anyway.", stop=True)
        return UserReply(message="That is not what I asked for.")
