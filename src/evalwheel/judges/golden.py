"""A golden set as the judge sees it: each item's material, its human labels, the adjudicated label,
and a stratified train/dev/test split.

The split is exact within each stratum (the item's reference label): items are ranked by a seeded
hash of their id and the first share goes to train, the next to dev, the rest to test. So every
split holds every label in proportion, and the same seed always gives the same split.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from typing import Any

from pydantic import BaseModel, Field

from evalwheel.apps.interface import App, AppOutput
from evalwheel.core.example import Example
from evalwheel.core.judge import Judge
from evalwheel.labels.repository import LabelRepository, by_item
from evalwheel.store.datasets import DatasetRepository
from evalwheel.store.db import Store

SPLITS = ("train", "dev", "test")


class GoldenItem(BaseModel):
    id: str
    material: str
    humans: dict[str, str] = Field(description="annotator → raw label")
    rationales: dict[str, str] = Field(default_factory=dict)
    adjudicated: str | None = None
    adjudicated_rationale: str | None = None
    tags: tuple[str, ...] = ()
    split: str = "test"

    def reference_rationale(self) -> str:
        """A reason for the reference label: the adjudicator's, else one from an annotator who gave
        that label (never a reason written for another label)."""
        if self.adjudicated_rationale:
            return self.adjudicated_rationale
        for annotator, label in sorted(self.humans.items()):
            if label == self.reference and self.rationales.get(annotator):
                return self.rationales[annotator]
        return ""

    @property
    def reference(self) -> str | None:
        """The adjudicated label, else the raw labels' unique majority, else None."""
        if self.adjudicated is not None:
            return self.adjudicated
        counts = Counter(self.humans.values()).most_common()
        if counts and (len(counts) == 1 or counts[0][1] > counts[1][1]):
            return counts[0][0]
        return None


class GoldenSet(BaseModel):
    ref: str
    items: list[GoldenItem]
    fractions: tuple[float, float, float] = (0.4, 0.3, 0.3)
    seed: int = 0
    limit: int | None = None

    def split(self, name: str) -> list[GoldenItem]:
        return [i for i in self.items if i.split == name]

    @property
    def annotators(self) -> list[str]:
        return sorted({a for i in self.items for a in i.humans})


def render_material(judge: Judge, example: Example, app: App | None) -> str:
    """What the judge reads for a labelled item: the application's rendering when it has one."""
    if app is not None:
        return app.render(example, AppOutput(artifact=example.output))
    output = (
        example.output if isinstance(example.output, str) else json.dumps(example.output, indent=1)
    )
    request = example.input if isinstance(example.input, str) else json.dumps(example.input)
    return f"Request:\n{request}\n\nOutput:\n{output}"


def _rank(seed: int, item_id: str) -> str:
    return hashlib.sha256(f"{seed}\x1f{item_id}".encode()).hexdigest()


def assign_splits(
    items: list[GoldenItem], fractions: tuple[float, float, float], seed: int
) -> None:
    if abs(sum(fractions) - 1) > 1e-9 or min(fractions) < 0:
        raise ValueError("split fractions must be non-negative and sum to 1")
    strata: dict[str, list[GoldenItem]] = defaultdict(list)
    for item in items:
        strata[item.reference or ""].append(item)
    for members in strata.values():
        members.sort(key=lambda i: _rank(seed, i.id))
        n = len(members)
        n_train = round(n * fractions[0])
        n_dev = round(n * (fractions[0] + fractions[1])) - n_train
        for position, item in enumerate(members):
            item.split = (
                "train" if position < n_train else "dev" if position < n_train + n_dev else "test"
            )


def load_golden(
    store: Store,
    ref: str,
    judge: Judge,
    app: App | None,
    *,
    fractions: tuple[float, float, float] = (0.4, 0.3, 0.3),
    seed: int = 0,
    limit: int | None = None,
) -> GoldenSet:
    """Items of the golden dataset that carry human labels (from ``labels import`` under the
    dataset's name, else the examples' own ``label`` field as the adjudicated label)."""
    repo = DatasetRepository(store)
    version = repo.resolve(ref)
    raw, adjudicated = by_item(LabelRepository(store).load(version.name))
    items: list[GoldenItem] = []
    for example in repo.iter_examples(version.version_id):
        humans = {a: lab.label for a, lab in raw.get(example.id, {}).items()}
        rationales = {
            a: lab.rationale for a, lab in raw.get(example.id, {}).items() if lab.rationale
        }
        adj = adjudicated.get(example.id)
        adj_label = adj.label if adj else (example.label if not raw else None)
        if not humans and adj_label is None:
            continue
        for label in (*humans.values(), adj_label):
            if label is not None and label not in judge.labels:
                raise ValueError(
                    f"{version.ref}: item {example.id}: human label {label!r} is not one of the "
                    f"judge's labels {list(judge.labels)}"
                )
        items.append(
            GoldenItem(
                id=example.id,
                material=render_material(judge, example, app),
                humans=humans,
                rationales=rationales,
                adjudicated=adj_label,
                adjudicated_rationale=adj.rationale if adj else None,
                tags=example.tags,
            )
        )
    if not items:
        raise ValueError(f"{version.ref} has no labelled items: run `evalwheel labels import`")
    if limit is not None and limit < len(items):
        items = stratified_subset(items, limit, seed)
    assign_splits(items, fractions, seed)
    return GoldenSet(ref=version.ref, items=items, fractions=fractions, seed=seed, limit=limit)


def stratified_subset(items: list[GoldenItem], n: int, seed: int) -> list[GoldenItem]:
    """``n`` items keeping each reference label's share (largest remainders), chosen by rank."""
    strata: dict[str, list[GoldenItem]] = defaultdict(list)
    for item in items:
        strata[item.reference or ""].append(item)
    quotas = {k: n * len(v) / len(items) for k, v in strata.items()}
    counts = {k: int(q) for k, q in quotas.items()}
    for k in sorted(quotas, key=lambda k: quotas[k] - counts[k], reverse=True)[
        : n - sum(counts.values())
    ]:
        counts[k] += 1
    chosen = {
        i.id
        for k, members in strata.items()
        for i in sorted(members, key=lambda i: _rank(seed + 1, i.id))[: counts[k]]
    }
    return [i for i in items if i.id in chosen]


def summary(golden: GoldenSet) -> dict[str, Any]:
    return {
        "ref": golden.ref,
        "items": len(golden.items),
        "annotators": golden.annotators,
        "splits": {s: len(golden.split(s)) for s in SPLITS},
        "fractions": list(golden.fractions),
        "seed": golden.seed,
        "limit": golden.limit,
        "labels": dict(Counter(i.reference or "(none)" for i in golden.items)),
    }
