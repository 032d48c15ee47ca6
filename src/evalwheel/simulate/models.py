"""The records of simulation: an essence (a user's goal, extracted from one real conversation), the
simulator's settings stored with a run, and what the reviewer found wrong with a simulated user."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Fact(BaseModel):
    """Something the user knows and gives only when asked (an amount, a tag, an address).
    ``value`` is the literal a reply must carry to count as giving it; ``text`` says it the way the
    user would."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1)
    value: str | None = None


class Essence(BaseModel):
    """A user's underlying goal, without the words of the conversation it came from: what they
    want (``goal``), what must hold (``constraints``), what they know but say only when asked
    (``facts``), who they are (``persona``, ``tone``), how they opened (``opening``, kept for
    realism checks), and what success looks like in words (``success``; the application's check,
    when it has one, decides)."""

    model_config = ConfigDict(extra="forbid")

    goal: str = Field(min_length=1)
    constraints: list[str] = Field(default_factory=list)
    facts: list[Fact] = Field(default_factory=list)
    persona: str = ""
    tone: str = ""
    opening: str | None = None
    success: str = ""


class SimulationSpec(BaseModel):
    """How a run simulates its users, fixed when the run is planned and stored with it (a resumed
    run simulates the same way). ``user_model`` is a named model; ``reviewer`` is ``rules`` (the
    deterministic checks) or ``rules+judge`` (the same, plus ``reviewer_model`` reading the
    transcript); a flagged episode is simulated again, up to ``retries`` times."""

    model_config = ConfigDict(extra="forbid")

    user_model: str = "local"
    user_identity: str | None = None
    max_turns: int = Field(default=6, ge=1, le=50)
    temperature: float = Field(default=0.7, ge=0, le=2)
    opening: Literal["simulated", "real"] = "simulated"
    reviewer: Literal["rules", "rules+judge"] = "rules"
    reviewer_model: str | None = None
    retries: int = Field(default=1, ge=0, le=5)
    prompt_version: str = ""
    reviewer_identity: str | None = None

    @model_validator(mode="after")
    def _reviewer_model_means_judge(self) -> SimulationSpec:
        if self.reviewer_model and self.reviewer == "rules":
            self.reviewer = "rules+judge"
        return self

    def same_simulator(self, other: SimulationSpec) -> bool:
        """Do two runs' users behave alike (same model and identity, prompt, turns, opening,
        sampling, reviewer)? Only then are their episodes comparable."""
        keys = {
            "max_turns",
            "temperature",
            "opening",
            "user_model",
            "user_identity",
            "prompt_version",
            "reviewer",
            "reviewer_identity",
            "retries",
        }
        return self.model_dump(include=keys) == other.model_dump(include=keys)


Flag = Literal[
    "unasked_fact",
    "invented_fact",
    "stopped_early",
    "accepted_wrong",
    "rejected_right",
    "ignored_question",
    "empty_message",
    "simulator_failed",
    "judge_flag",
]


class ReviewFlag(BaseModel):
    """One simulator error found in one episode, with the turn it happened on."""

    model_config = ConfigDict(extra="forbid")

    kind: Flag
    turn: int
    detail: str = ""
