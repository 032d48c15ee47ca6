"""Prices per million tokens, for cost accounting and budgets.

Built-in entries are list prices published by the providers (USD per 1M tokens, standard tier) at
the time of writing; a model's own ``input_usd_per_mtok``/``output_usd_per_mtok`` and the project's
``[prices."model-id"]`` table override them. An unknown price counts as zero *and is reported*, so a
budget in USD never silently passes a model it cannot price.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from evalwheel.llm.registry import ModelSpec


class Price(BaseModel):
    input_usd_per_mtok: float = Field(ge=0)
    output_usd_per_mtok: float = Field(ge=0)

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        return (
            input_tokens * self.input_usd_per_mtok + output_tokens * self.output_usd_per_mtok
        ) / 1e6


BUILTIN_PRICES: dict[str, Price] = {
    "gpt-4o": Price(input_usd_per_mtok=2.50, output_usd_per_mtok=10.00),
    "gpt-4o-mini": Price(input_usd_per_mtok=0.15, output_usd_per_mtok=0.60),
    "gpt-4.1": Price(input_usd_per_mtok=2.00, output_usd_per_mtok=8.00),
    "gpt-4.1-mini": Price(input_usd_per_mtok=0.40, output_usd_per_mtok=1.60),
    "gpt-4.1-nano": Price(input_usd_per_mtok=0.10, output_usd_per_mtok=0.40),
}


def price_for(spec: ModelSpec, table: dict[str, Price] | None = None) -> Price | None:
    """The model's price, or None when nobody knows it."""
    if spec.input_usd_per_mtok is not None or spec.output_usd_per_mtok is not None:
        return Price(
            input_usd_per_mtok=spec.input_usd_per_mtok or 0.0,
            output_usd_per_mtok=spec.output_usd_per_mtok or 0.0,
        )
    merged = {**BUILTIN_PRICES, **(table or {})}
    return merged.get(spec.model or "")
