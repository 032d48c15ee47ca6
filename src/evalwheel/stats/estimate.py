"""The one shape of every headline number: an estimate with its n and 95% interval.

Kept apart from the statistics that compute it (numpy, scipy), so results can be read, stored and
printed without importing them.
"""

from __future__ import annotations

from pydantic import BaseModel


class Estimate(BaseModel):
    """A point estimate with its n and 95% interval (None when nothing was measured)."""

    estimate: float | None
    n: int
    ci_low: float | None
    ci_high: float | None
    method: str

    def text(self) -> str:
        """``0.375 [0.212, 0.573] n=24`` (or ``n=0``), as every printer shows an estimate."""
        if self.estimate is None:
            return f"n={self.n}"
        if self.ci_low is None or self.ci_high is None:
            return f"{self.estimate:.3f} n={self.n}"
        return f"{self.estimate:.3f} [{self.ci_low:.3f}, {self.ci_high:.3f}] n={self.n}"
