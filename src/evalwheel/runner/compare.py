"""Comparing two runs item by item on the items they share: improvements, regressions, and whether
the difference means anything (McNemar, paired bootstrap), overall and per slice."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select

from evalwheel.runner.runner import load_plan, select_examples
from evalwheel.stats.paired import mcnemar, paired_bootstrap
from evalwheel.store.datasets import DatasetRepository
from evalwheel.store.db import Store
from evalwheel.store.tables import ScoreRow


def _item_results(store: Store, run_id: str, scorer: str) -> dict[str, float]:
    """Per item, the fraction of repetitions that passed (1.0 / 0.0 for a single repetition)."""
    with store.read() as session:
        rows = session.execute(
            select(ScoreRow.example_id, ScoreRow.passed).where(
                ScoreRow.run_id == run_id, ScoreRow.scorer == scorer
            )
        ).all()
    tries: dict[str, list[bool]] = defaultdict(list)
    for example_id, passed in rows:
        if passed is not None:
            tries[example_id].append(bool(passed))
    return {k: sum(v) / len(v) for k, v in tries.items()}


def compare_runs(store: Store, run_a: str, run_b: str, scorer: str) -> dict[str, Any]:
    a, b = _item_results(store, run_a, scorer), _item_results(store, run_b, scorer)
    shared = sorted(a.keys() & b.keys())
    _, plan = load_plan(store, run_b)
    tags = {e.id: e.tags for e in select_examples(DatasetRepository(store), plan)}

    def block(ids: list[str]) -> dict[str, Any]:
        xa, xb = [a[i] for i in ids], [b[i] for i in ids]
        return {
            "n": len(ids),
            "pass_rate_a": sum(xa) / len(ids) if ids else None,
            "pass_rate_b": sum(xb) / len(ids) if ids else None,
            "mcnemar": mcnemar([x >= 0.5 for x in xa], [x >= 0.5 for x in xb]).model_dump(),
            "paired_bootstrap": paired_bootstrap(xa, xb).model_dump(),
        }

    slices: dict[str, list[str]] = defaultdict(list)
    for item in shared:
        for tag in tags.get(item, ()):
            slices[tag].append(item)
    return {
        "a": run_a,
        "b": run_b,
        "scorer": scorer,
        "shared_items": len(shared),
        "only_in_a": len(a.keys() - b.keys()),
        "only_in_b": len(b.keys() - a.keys()),
        "overall": block(shared),
        "improvements": [i for i in shared if b[i] > a[i]],
        "regressions": [i for i in shared if b[i] < a[i]],
        "slices": {tag: block(ids) for tag, ids in sorted(slices.items())},
    }
