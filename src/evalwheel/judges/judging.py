"""One judge on one piece of material (pointwise) or one pair (pairwise, both orders).

A verdict that fails to parse or a call that fails is a verdict with ``error`` set and no label,
never a default label. Budget and deadline stops propagate: they end the whole job, not one item.
Pairwise judges see both orders and declare a winner only when both orders agree; otherwise the
pair is a tie, and the disagreement is kept as a position-bias signal.
"""

from __future__ import annotations

import asyncio
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, Field, create_model

from evalwheel.core.judge import Judge
from evalwheel.judges.prompt import pairwise_messages, pointwise_messages
from evalwheel.llm.client import ModelClient
from evalwheel.llm.errors import BudgetExceeded, DeadlineExceeded, InvalidOutput, ModelCallError
from evalwheel.llm.structured import StructuredMode, parse_structured, structured_request
from evalwheel.llm.types import ChatRequest


class JudgeVerdict(BaseModel):
    label: str | None = None
    raw_label: str | None = Field(default=None, description="before the judge's label_map")
    rationale: str | None = None
    error: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    cached: bool = False


class PairVerdict(BaseModel):
    winner: str | None = Field(default=None, description="A, B or tie; None on error")
    consistent: bool | None = Field(default=None, description="did both orders agree?")
    first: JudgeVerdict
    swapped: JudgeVerdict = Field(description="the verdict with B shown first, in its own terms")
    error: str | None = None

    @property
    def cost_usd(self) -> float:
        return self.first.cost_usd + self.swapped.cost_usd


# One or two sentences. The bound is in the schema, so grammar-constrained models stop in time
# instead of being cut off mid-string by max_tokens (which would be a parse error).
RATIONALE_CHARS = 300


@lru_cache(maxsize=64)
def verdict_model(labels: tuple[str, ...]) -> type[BaseModel]:
    """The output schema: a short rationale first (it is generated before the label), then one of
    the declared labels."""
    return create_model(
        "JudgeVerdictOutput",
        rationale=(str, Field(max_length=RATIONALE_CHARS)),
        label=(Literal[labels], ...),  # type: ignore[valid-type]
    )


async def _ask(client: ModelClient, judge: Judge, messages: list[dict[str, str]]) -> JudgeVerdict:
    request = ChatRequest(
        messages=messages,
        max_tokens=judge.max_tokens,
        **{k: v for k, v in judge.params.items() if k != "max_tokens"},
    )
    mode = StructuredMode(judge.structured)
    try:
        response = await client.chat(structured_request(request, verdict_model(judge.labels), mode))
    except (BudgetExceeded, DeadlineExceeded):
        raise
    except ModelCallError as exc:
        return JudgeVerdict(error=f"{exc.kind}: {exc}")
    spent = {
        "input_tokens": response.usage.input_tokens,
        "output_tokens": response.usage.output_tokens,
        "cost_usd": response.cost_usd,
        "cached": response.cached,
    }
    try:
        value = parse_structured(response, verdict_model(judge.labels), mode)
    except InvalidOutput as exc:  # paid for, so its cost counts
        return JudgeVerdict(error=f"{exc.kind}: {exc}", **spent)
    raw = str(value.label)  # type: ignore[attr-defined]
    return JudgeVerdict(
        label=judge.label_map.get(raw, raw),
        raw_label=raw,
        rationale=str(value.rationale),  # type: ignore[attr-defined]
        **spent,
    )


async def judge_pointwise(client: ModelClient, judge: Judge, content: str) -> JudgeVerdict:
    return await _ask(client, judge, pointwise_messages(judge, content))


_SWAP = {"A": "B", "B": "A", "tie": "tie"}


async def judge_pairwise(
    client: ModelClient, judge: Judge, context: str, a: str, b: str
) -> PairVerdict:
    first, swapped = await asyncio.gather(
        _ask(client, judge, pairwise_messages(judge, context, a, b)),
        _ask(client, judge, pairwise_messages(judge, context, b, a)),
    )
    errors = [v.error for v in (first, swapped) if v.error]
    if errors:
        return PairVerdict(first=first, swapped=swapped, error="; ".join(errors))
    assert first.label is not None and swapped.label is not None
    back = _SWAP[swapped.label]
    consistent = first.label == back
    return PairVerdict(
        winner=first.label if consistent else "tie",
        consistent=consistent,
        first=first,
        swapped=swapped,
    )
