"""The retry policy: which failures are retried, and how long to wait.

Retried: timeouts, dropped or cut-off connections, 408/409/429/5xx and unreadable 200 responses.
Not retried: other 4xx (the request itself is wrong), budget and deadline stops. The wait is the
server's ``Retry-After`` when it sent one (plus up to 10% jitter so clients that were told the same
moment don't return together), otherwise exponential backoff with full jitter. No retry is started
that would end after the run's deadline.
"""

from __future__ import annotations

import random
import time

from tenacity import RetryCallState

from evalwheel.llm.errors import ModelCallError

MAX_RETRY_AFTER_S = 120.0


class RetryPolicy:
    def __init__(
        self,
        max_retries: int,
        initial_s: float = 0.5,
        max_s: float = 8.0,
        deadline: float | None = None,
    ) -> None:
        self.max_retries = max_retries
        self.initial_s = initial_s
        self.max_s = max_s
        self.deadline = deadline

    @staticmethod
    def should_retry(exc: BaseException) -> bool:
        return isinstance(exc, ModelCallError) and exc.retryable

    def wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, ModelCallError) and exc.retry_after is not None:
            hinted = min(exc.retry_after, MAX_RETRY_AFTER_S)
            return hinted * (1 + 0.1 * random.random())
        ceiling = min(self.max_s, self.initial_s * 2 ** (state.attempt_number - 1))
        return random.uniform(ceiling / 2, ceiling)

    def stop(self, state: RetryCallState) -> bool:
        if state.attempt_number > self.max_retries:
            return True
        if self.deadline is not None:
            upcoming = state.upcoming_sleep or 0.0
            return time.monotonic() + upcoming >= self.deadline
        return False
