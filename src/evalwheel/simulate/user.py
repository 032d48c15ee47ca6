"""The simulated user: a named model role-playing the person behind one essence.

Its rules are tau2-bench's in spirit: give one piece of information at a time and only when asked,
never invent a value the essence does not hold, say so when the assistant's result is wrong, and
stop (``stop``: true) once the goal is met or clearly cannot be. The model writes structured JSON,
so a stop is a field, not a marker to be fished out of prose (``###STOP###`` in the text is still
honoured for models that add it). The conversation is shown role-flipped: the assistant's turns
are the simulator's "user" messages, its own turns its "assistant" messages.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from evalwheel.llm.client import ModelClient
from evalwheel.llm.errors import BudgetExceeded, DeadlineExceeded, InvalidOutput, ModelCallError
from evalwheel.llm.structured import StructuredMode, generate
from evalwheel.llm.types import ChatRequest
from evalwheel.simulate.models import Essence

PROMPT_VERSION = "user-1"
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
    """The role the simulator plays, built only from the essence (so it can know nothing else)."""
    lines = [
        "You are playing a user who is talking to an AI assistant. Stay in character and write "
        "only your next message to the assistant.",
    ]
    if essence.persona:
        lines.append(f"Who you are: {essence.persona}")
    if essence.tone:
        lines.append(f"How you write: {essence.tone}")
    lines.append(f"What you want: {essence.goal}")
    if essence.constraints:
        lines.append("It must also hold that: " + "; ".join(essence.constraints))
    if essence.facts:
        lines.append(
            "Facts you know. Give a fact only when the assistant asks for it, one at a time:"
        )
        lines += [f"- {fact.text}" for fact in essence.facts]
    lines += [
        "Rules: answer only what the assistant asks. Never make up a value that is not written "
        "above. If the assistant's result is wrong, say what is wrong. When your goal is met, or "
        'clearly cannot be met, thank the assistant and set "stop" to true.',
        'Answer as JSON: {"message": "your message", "stop": false}',
    ]
    return "\n".join(lines)


def simulator_messages(
    essence: Essence, conversation: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The simulator's view: its role, then the conversation role-flipped; with no assistant turn
    yet, a cue to open."""
    messages: list[dict[str, Any]] = [{"role": "system", "content": system_prompt(essence)}]
    if not conversation:
        messages.append({"role": "user", "content": "Write your first message to the assistant."})
        return messages
    for turn in conversation:
        role = "assistant" if turn["role"] == "user" else "user"
        messages.append({"role": role, "content": str(turn.get("content") or "")})
    return messages


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
