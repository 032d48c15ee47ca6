"""Production workflows for the synthetic-data capability: template shapes with skewed popularity."""

from __future__ import annotations

import random

from evalwheel_flow.agent.compact import to_workflow
from flow_data.templates import CATALOG, RECIPES


# ------------------------------------------------------------- production workflows (for synthesis)
def workflows(rng: random.Random, n: int = 520) -> list[dict]:
    merchants = [f"m{i:04d}" for i in range(1, 221)]
    rows = []
    for i in range(1, n + 1):
        _, fn = RECIPES[min(int(rng.expovariate(0.12)), len(RECIPES) - 1)]  # popular shapes repeat
        _, ans, _ = fn(rng)
        merchant = merchants[min(int(rng.paretovariate(1.1)) - 1, len(merchants) - 1)]
        rows.append(
            {
                "id": f"wf-{i:05d}",
                "merchant": merchant,
                "run_count": int(rng.lognormvariate(4, 1.8)),
                "reference": to_workflow(ans, CATALOG).to_data(),
            }
        )
    return rows
