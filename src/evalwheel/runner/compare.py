"""Comparing two runs item by item on the items they share: improvements, regressions, and whether
the difference means anything (McNemar, paired bootstrap), overall and per slice.

Any scorer both runs have can be compared: the application's pass scorer, a generic scorer
(``exact_match``, ``regex:…``) or a judge. Per item, a repeated run contributes the fraction of its
repetitions that passed.
"""

from __future__ import annotations

from collections import defaultdict

from pydantic import BaseModel, Field

from evalwheel.errors import InputError
from evalwheel.runner.runner import load_plan, select_examples
from evalwheel.stats.paired import McNemar, PairedDifference, mcnemar, paired_bootstrap
from evalwheel.store.datasets import DatasetRepository
from evalwheel.store.db import Store
from evalwheel.store.runs import RunRepository


class ComparisonBlock(BaseModel):
    """A and B on one set of shared items."""

    n: int
    pass_rate_a: float | None
    pass_rate_b: float | None
    mcnemar: McNemar
    paired_bootstrap: PairedDifference


class Comparison(BaseModel):
    """Run B against baseline run A on one scorer."""

    a: str
    b: str
    scorer: str
    shared_items: int
    only_in_a: int
    only_in_b: int
    changed_items: int = Field(
        default=0, description="same id, different content (runs on two dataset versions): left out"
    )
    overall: ComparisonBlock
    improvements: list[str] = Field(default_factory=list)
    regressions: list[str] = Field(default_factory=list)
    slices: dict[str, ComparisonBlock] = Field(default_factory=dict)

    def slices_by_difference(self) -> list[tuple[str, ComparisonBlock]]:
        """Slices ordered by how much B differs from A, largest change first."""
        return sorted(
            self.slices.items(),
            key=lambda kv: -abs((kv[1].pass_rate_b or 0) - (kv[1].pass_rate_a or 0)),
        )


def _item_results(store: Store, run_id: str, scorer: str) -> dict[str, float]:
    """Per item, the fraction of repetitions that passed (1.0 / 0.0 for a single repetition)."""
    tries: dict[str, list[bool]] = defaultdict(list)
    for example_id, passed in RunRepository(store).scorer_results(run_id, scorer):
        if passed is not None:
            tries[example_id].append(bool(passed))
    return {k: sum(v) / len(v) for k, v in tries.items()}


def _block(a: dict[str, float], b: dict[str, float], ids: list[str]) -> ComparisonBlock:
    xa, xb = [a[i] for i in ids], [b[i] for i in ids]
    return ComparisonBlock(
        n=len(ids),
        pass_rate_a=sum(xa) / len(ids) if ids else None,
        pass_rate_b=sum(xb) / len(ids) if ids else None,
        mcnemar=mcnemar([x >= 0.5 for x in xa], [x >= 0.5 for x in xb]),
        paired_bootstrap=paired_bootstrap(xa, xb),
    )


def compare_runs(store: Store, run_a: str, run_b: str, scorer: str) -> Comparison:
    """B against A on ``scorer``; ``InputError`` when either run has no scores for it."""
    a, b = _item_results(store, run_a, scorer), _item_results(store, run_b, scorer)
    for run_id, results in ((run_a, a), (run_b, b)):
        if not results:
            raise InputError(f"run {run_id} has no scores for {scorer!r}", field="scorer")
    _, plan_a = load_plan(store, run_a)
    _, plan = load_plan(store, run_b)
    changed: set[str] = set()
    if plan_a.version_id != plan.version_id:
        # Different dataset versions: an id is the same item only if its content is the same.
        repo = DatasetRepository(store)
        hashes_a, hashes_b = repo.item_hashes(plan_a.version_id), repo.item_hashes(plan.version_id)
        changed = {i for i in a.keys() & b.keys() if hashes_a.get(i) != hashes_b.get(i)}
    shared = sorted((a.keys() & b.keys()) - changed)
    tags = {e.id: e.tags for e in select_examples(DatasetRepository(store), plan)}
    slices: dict[str, list[str]] = defaultdict(list)
    for item in shared:
        for tag in tags.get(item, ()):
            slices[tag].append(item)
    return Comparison(
        a=run_a,
        b=run_b,
        scorer=scorer,
        shared_items=len(shared),
        only_in_a=len(a.keys() - b.keys()),
        only_in_b=len(b.keys() - a.keys()),
        changed_items=len(changed),
        overall=_block(a, b, shared),
        improvements=[i for i in shared if b[i] > a[i]],
        regressions=[i for i in shared if b[i] < a[i]],
        slices={tag: _block(a, b, ids) for tag, ids in sorted(slices.items())},
    )
