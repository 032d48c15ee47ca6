"""Exceptions of the model layer. Retryable ones carry what the retry policy needs."""

from __future__ import annotations

from evalwheel.errors import EvalwheelError, InputError
from evalwheel.llm.types import CallError
from evalwheel.redaction import redact_text


class ModelCallError(EvalwheelError):
    """A call failed; ``record()`` turns it into the ``CallError`` that is stored."""

    kind = "error"
    retryable = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        raw: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(redact_text(message))
        self.status = status
        self.raw = None if raw is None else redact_text(raw)
        self.retry_after = retry_after
        self.attempts = 1

    def record(self) -> CallError:
        return CallError(
            type=self.kind,
            message=str(self),
            status=self.status,
            attempts=self.attempts,
            raw=self.raw,
        )


class TimeoutFailure(ModelCallError):
    kind = "timeout"
    retryable = True


class ConnectionFailure(ModelCallError):
    kind = "connection"
    retryable = True


class RateLimited(ModelCallError):
    kind = "rate_limited"
    retryable = True


class ServerFailure(ModelCallError):
    kind = "server_error"
    retryable = True


class MalformedResponse(ModelCallError):
    kind = "malformed_response"
    retryable = True


class ClientFailure(ModelCallError):
    kind = "client_error"


class BudgetExceeded(ModelCallError):
    kind = "budget_exceeded"


class DeadlineExceeded(ModelCallError):
    kind = "deadline_exceeded"


class CacheMiss(ModelCallError):
    kind = "cache_miss"


class InvalidOutput(ModelCallError):
    """The model answered, but not in the required structure (after repair, where allowed)."""

    kind = "invalid_output"


class ModelConfigError(InputError):
    """A model is unknown or misconfigured (missing key variable, bad URL…)."""
