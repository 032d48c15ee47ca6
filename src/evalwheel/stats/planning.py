"""How many items to label for a kappa interval of a given half-width (a planning figure)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy.stats import norm


def sample_size_for_kappa(
    *,
    kappa: float,
    prevalence: float | Sequence[float],
    half_width: float = 0.10,
    confidence: float = 0.95,
) -> int:
    """Items to label so a kappa near ``kappa`` has an interval of ± ``half_width``.

    Uses n ≈ z²·Po(1 − Po) / (h²·(1 − Pe)²) with both raters at the given prevalence
    (a float p means the binary split p / 1 − p): Pe = Σ p_k², Po = κ(1 − Pe) + Pe. It ignores
    the marginals' own sampling error, so treat it as a planning figure: skewed prevalence
    raises Pe and the items needed (balanced κ ≈ 0.6: ~250; 90/10: ~800).
    """
    if not 0 < half_width < 1:
        raise ValueError("half_width must be in (0, 1)")
    if not 0 < confidence < 1:
        raise ValueError("confidence must be in (0, 1)")
    if isinstance(prevalence, int | float):
        if not 0 < prevalence < 1:
            raise ValueError("a binary prevalence must be in (0, 1)")
        shares = np.array([prevalence, 1 - prevalence], dtype=float)
    else:
        shares = np.asarray(prevalence, dtype=float)
        if shares.size < 2 or (shares < 0).any() or not math.isclose(shares.sum(), 1, abs_tol=1e-6):
            raise ValueError("prevalence shares must be >= 0, at least two, and sum to 1")
    pe = float((shares**2).sum())
    if pe >= 1:
        raise ValueError("kappa is undefined when one category has all the prevalence")
    po = kappa * (1 - pe) + pe
    if not 0 <= po <= 1:
        raise ValueError(f"kappa {kappa} is impossible at this prevalence (Po = {po:.3f})")
    z = float(norm.ppf(1 - (1 - confidence) / 2))
    return max(1, math.ceil(z**2 * po * (1 - po) / (half_width**2 * (1 - pe) ** 2)))
