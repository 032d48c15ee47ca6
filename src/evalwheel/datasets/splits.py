"""Seeded train/dev/test splits that never move an item when others are added.

An item's split is a function of its own id, the seed and its stratum only: the SHA-256 of those is
read as a number u in [0, 1) and compared with the cumulative fractions. Adding, removing or
reordering other items cannot change it, so a test item never leaks into train in a later version.
Within every stratum the split is proportional in expectation (each item is an independent draw);
an explicit ``split`` on the item wins. ``split_report`` shows the realised counts per stratum so a
small stratum's imbalance is visible rather than hidden.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from evalwheel.core.example import Example

SPLITS = ("train", "dev", "test")
_SCALE = float(1 << 64)


@dataclass(frozen=True)
class SplitPolicy:
    seed: int = 0
    train: float = 0.6
    dev: float = 0.2
    test: float = 0.2
    stratify_by: str | None = "tags"

    def __post_init__(self) -> None:
        if (
            min(self.train, self.dev, self.test) < 0
            or abs(self.train + self.dev + self.test - 1) > 1e-9
        ):
            raise ValueError("split fractions must be non-negative and sum to 1")


def stratum_of(example: Example, stratify_by: str | None) -> str:
    """The stratum key: the sorted tags, the label, or a metadata field; '' when not stratified."""
    if not stratify_by:
        return ""
    if stratify_by == "tags":
        return ",".join(sorted(example.tags))
    if stratify_by == "label":
        return example.label or ""
    value = example.metadata.get(stratify_by)
    return "" if value is None else str(value)


def unit_draw(seed: int, stratum: str, example_id: str) -> float:
    digest = hashlib.sha256(f"{seed}\x1f{stratum}\x1f{example_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / _SCALE


def assign_split(example: Example, policy: SplitPolicy) -> str:
    if example.split:
        return example.split
    u = unit_draw(policy.seed, stratum_of(example, policy.stratify_by), example.id)
    if u < policy.train:
        return "train"
    if u < policy.train + policy.dev:
        return "dev"
    return "test"


def split_report(examples: Iterable[Example], policy: SplitPolicy) -> dict[str, dict[str, int]]:
    """Counts per stratum and split (stratum '*' is the total)."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for example in examples:
        split = assign_split(example, policy)
        counts[stratum_of(example, policy.stratify_by)][split] += 1
        counts["*"][split] += 1
    return {stratum: {s: c[s] for s in SPLITS} for stratum, c in sorted(counts.items())}
