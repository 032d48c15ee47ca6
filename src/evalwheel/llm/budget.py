"""Run budgets in USD, tokens and wall time, and pre-run estimates.

Before a call is sent, its worst case (estimated input tokens + ``max_tokens`` or the model's
expected output) is reserved against the budget; a call whose reservation does not fit is not sent.
After the call the reservation is replaced by the actual usage. Work therefore stops *before* a
budget is exceeded, and a re-run with a larger budget picks up the calls that were never sent.
Cached answers cost nothing and are not charged.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

from pydantic import BaseModel, Field

from evalwheel.llm.errors import BudgetExceeded
from evalwheel.llm.prices import Price
from evalwheel.llm.types import ChatRequest

CHARS_PER_TOKEN = 4.0


def estimate_input_tokens(request: ChatRequest) -> int:
    """A provider-neutral estimate (~4 characters a token), padded per message for the template."""
    size = sum(len(json.dumps(m.get("content"), ensure_ascii=False)) + 16 for m in request.messages)
    if request.tools:
        size += len(json.dumps(request.tools))
    if request.response_format:
        size += len(json.dumps(request.response_format))
    return int(size / CHARS_PER_TOKEN) + 1


class Budget(BaseModel):
    """Limits on a run's spend; ``None`` means no limit. NaN and infinity are refused."""

    usd: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    tokens: int | None = Field(default=None, ge=0)
    seconds: float | None = Field(default=None, gt=0, allow_inf_nan=False)

    @property
    def unlimited(self) -> bool:
        return self.usd is None and self.tokens is None and self.seconds is None


@dataclass
class Reservation:
    usd: float
    tokens: int


@dataclass
class BudgetTracker:
    budget: Budget
    spent_usd: float = 0.0
    spent_tokens: int = 0
    reserved_usd: float = 0.0
    reserved_tokens: int = 0
    started: float = field(default_factory=time.monotonic)

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def reserve(self, tokens: int, usd: float) -> Reservation:
        b = self.budget
        if b.seconds is not None and self.elapsed() >= b.seconds:
            raise BudgetExceeded(f"time budget of {b.seconds:g} s used up")
        if b.tokens is not None and self.spent_tokens + self.reserved_tokens + tokens > b.tokens:
            raise BudgetExceeded(
                f"token budget {b.tokens}: {self.spent_tokens} spent, {self.reserved_tokens} in flight, "
                f"this call may need {tokens}"
            )
        if b.usd is not None and self.spent_usd + self.reserved_usd + usd > b.usd + 1e-12:
            raise BudgetExceeded(
                f"USD budget {b.usd:g}: {self.spent_usd:.6f} spent, {self.reserved_usd:.6f} in flight, "
                f"this call may cost {usd:.6f}"
            )
        self.reserved_tokens += tokens
        self.reserved_usd += usd
        return Reservation(usd=usd, tokens=tokens)

    def settle(self, reservation: Reservation, tokens: int, usd: float) -> None:
        self.reserved_tokens -= reservation.tokens
        self.reserved_usd -= reservation.usd
        self.spent_tokens += tokens
        self.spent_usd += usd


class Estimate(BaseModel):
    requests: int
    input_tokens: int
    output_tokens: int
    usd: float | None = Field(description="None when the model has no known price")
    seconds_at_rate_limit: float | None = None


def estimate(
    requests: list[ChatRequest],
    price: Price | None,
    expected_output_tokens: int,
    rpm: float | None = None,
) -> Estimate:
    inputs = sum(estimate_input_tokens(r) for r in requests)
    outputs = sum(r.max_tokens or expected_output_tokens for r in requests)
    return Estimate(
        requests=len(requests),
        input_tokens=inputs,
        output_tokens=outputs,
        usd=price.cost(inputs, outputs) if price else None,
        seconds_at_rate_limit=len(requests) / rpm * 60 if rpm else None,
    )
