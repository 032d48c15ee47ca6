"""Model access: the embedded local model and any OpenAI-compatible endpoint, behind one async client
with bounded concurrency, rate limits, retries, a content-addressed call cache, cost accounting and
budgets. See docs/models.md."""

from evalwheel.llm.types import CallError, ChatRequest, ChatResponse, ToolCall, Usage

__all__ = ["CallError", "ChatRequest", "ChatResponse", "ToolCall", "Usage"]
