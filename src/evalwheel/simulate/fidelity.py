"""The simulator's own numbers, reported beside the agent's score: how often the reviewer caught
the simulated user erring (first attempts, and what the retries left), the agent's score on the
episodes the reviewer passed, and the control: does re-simulating a real conversation's goal
reproduce its real outcome?"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from pydantic import BaseModel, Field

from evalwheel.stats.estimate import Estimate
from evalwheel.stats.intervals import wilson


class EpisodeRecord(BaseModel):
    """What the fidelity figures need of one stored episode."""

    essence: str
    repetition: int
    success: bool | None
    first_flags: list[str] = Field(default_factory=list)
    final_flags: list[str] = Field(default_factory=list)
    attempts: int = 1
    real_outcome: str | None = None


class SimulatorErrors(BaseModel):
    """The simulated user's error rate: ``first_attempt`` is the rate the simulator has (share of
    episodes whose first try the reviewer flagged); ``after_retries`` what is left in the scored
    episodes; ``by_kind`` counts first-attempt flags per kind (an episode can have several)."""

    episodes: int
    first_attempt: Estimate
    after_retries: Estimate
    retried: int
    by_kind: dict[str, int]


class ControlAgreement(BaseModel):
    """Re-simulated outcome against the real one, per essence (first trial). Meaningful when the
    simulated system is the one that served the real conversations (``same_system``); against
    another system it measures how often the two systems' outcomes coincide instead."""

    n: int
    agreement: Estimate
    real_success_sim_success: int
    real_success_sim_failure: int
    real_failure_sim_success: int
    real_failure_sim_failure: int
    served_by: list[str]
    system: str
    same_system: bool


def simulator_errors(records: Sequence[EpisodeRecord]) -> SimulatorErrors:
    """Error rates over every stored episode (each trial of each essence counts once)."""
    first = [bool(r.first_flags) for r in records]
    final = [bool(r.final_flags) for r in records]
    kinds: Counter[str] = Counter(k for r in records for k in dict.fromkeys(r.first_flags))
    return SimulatorErrors(
        episodes=len(records),
        first_attempt=wilson(sum(first), len(first)),
        after_retries=wilson(sum(final), len(final)),
        retried=sum(r.attempts > 1 for r in records),
        by_kind=dict(sorted(kinds.items())),
    )


def clean_success(records: Sequence[EpisodeRecord]) -> Estimate:
    """The agent's success rate on the episodes whose final attempt the reviewer passed."""
    clean = [r.success is True for r in records if not r.final_flags and r.success is not None]
    return wilson(sum(clean), len(clean))


def control_agreement(
    records: Sequence[EpisodeRecord], system: str, served_by: Sequence[str]
) -> ControlAgreement | None:
    """Agreement of simulated and real outcomes on first trials (None: no real outcomes)."""
    pairs = [
        (r.real_outcome == "success", bool(r.success))
        for r in records
        if r.repetition == 0 and r.real_outcome in ("success", "failure") and r.success is not None
    ]
    if not pairs:
        return None
    cells = Counter(pairs)
    agree = cells[(True, True)] + cells[(False, False)]
    served = sorted(set(served_by))
    return ControlAgreement(
        n=len(pairs),
        agreement=wilson(agree, len(pairs)),
        real_success_sim_success=cells[(True, True)],
        real_success_sim_failure=cells[(True, False)],
        real_failure_sim_success=cells[(False, True)],
        real_failure_sim_failure=cells[(False, False)],
        served_by=served,
        system=system,
        same_system=served == [system],
    )
