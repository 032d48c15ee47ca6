"""Seeded train/dev/test splits that never move an item when others are added, by row or by group.

An item's split is a function of a key, the seed and (for a row split) its stratum only: the
SHA-256 of those is read as a number u in [0, 1) and compared with the cumulative fractions.
Adding, removing or reordering other items cannot change it, so a test item never leaks into train
in a later version. Within every stratum the split is proportional in expectation (each key is an
independent draw); an explicit ``split`` on the item wins.

The key is the item's id, unless the policy groups items (``group_by``): then it is the item's
group — a metadata field, the tags that start with a prefix (``tags:PREFIX``) or an application's
structural ``signature`` — so every item of a group lands in the same split. A test split that
shares templates with train measures retrieval, not generalisation; grouping by the template keeps
them apart. A group is drawn once whatever its members' strata (a group split across strata would
not stay together), and an item without a group key draws alone, by its id. Explicit splits can
still put one group in two splits; ``split_report`` lists those groups rather than hiding them.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from pydantic import BaseModel, Field

from evalwheel.core.example import Example

SPLITS = ("train", "dev", "test")
SIGNATURE = "signature"
TAGS_PREFIX = "tags:"
_SCALE = float(1 << 64)
_GROUP_STRATUM = "\x1egroup"

SignatureFn = Callable[[Example], str | None]
"""An application's structural signature of an item (None: the item has none)."""


@dataclass(frozen=True)
class SplitPolicy:
    seed: int = 0
    train: float = 0.6
    dev: float = 0.2
    test: float = 0.2
    stratify_by: str | None = "tags"
    group_by: str | None = None

    def __post_init__(self) -> None:
        if (
            min(self.train, self.dev, self.test) < 0
            or abs(self.train + self.dev + self.test - 1) > 1e-9
        ):
            raise ValueError("split fractions must be non-negative and sum to 1")
        problem = group_by_problem(self.group_by)
        if problem:
            raise ValueError(problem)


def group_by_problem(group_by: str | None) -> str | None:
    """Why ``group_by`` is not a grouping (None when it is one, or when it is None)."""
    if group_by is None:
        return None
    if not group_by.strip():
        return "group_by must name a metadata field, 'tags:PREFIX' or 'signature'"
    if group_by.startswith(TAGS_PREFIX) and not group_by[len(TAGS_PREFIX) :]:
        return "group_by 'tags:' needs a prefix (e.g. 'tags:template:')"
    return None


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


def group_of(
    example: Example, group_by: str | None, signature: SignatureFn | None = None
) -> str | None:
    """The item's group key under ``group_by`` (None: not grouped, or no key for this item).

    ``signature`` is required for ``group_by = "signature"``: without one nothing could be grouped,
    and a silent row split would look like a group split.
    """
    if not group_by:
        return None
    if group_by == SIGNATURE:
        if signature is None:
            raise ValueError(
                "group_by 'signature' needs an application that gives items a structural "
                "signature (none is installed)"
            )
        return signature(example) or None
    if group_by.startswith(TAGS_PREFIX):
        prefix = group_by[len(TAGS_PREFIX) :]
        matching = sorted(t[len(prefix) :] for t in example.tags if t.startswith(prefix))
        return ",".join(matching) if matching else None
    value = example.metadata.get(group_by)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None  # a blank key is no key: one giant "" group would land in one split whole
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def unit_draw(seed: int, stratum: str, example_id: str) -> float:
    digest = hashlib.sha256(f"{seed}\x1f{stratum}\x1f{example_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / _SCALE


def assign_split(
    example: Example, policy: SplitPolicy, signature: SignatureFn | None = None
) -> str:
    """The item's split: its explicit one, else the draw of its group key (or of its id)."""
    if example.split:
        return example.split
    group = group_of(example, policy.group_by, signature)
    if group is None:
        u = unit_draw(policy.seed, stratum_of(example, policy.stratify_by), example.id)
    else:
        u = unit_draw(policy.seed, _GROUP_STRATUM, group)
    if u < policy.train:
        return "train"
    if u < policy.train + policy.dev:
        return "dev"
    return "test"


class SplitGroup(BaseModel):
    """A group whose items are not all in one split (explicit splits put them apart)."""

    key: str
    splits: dict[str, int]


class SplitReport(BaseModel):
    """Counts per stratum and split (stratum ``*`` is the total), and how the grouping went."""

    dataset: str | None = Field(default=None, description="the version's ref, when from a store")
    seed: int
    fractions: dict[str, float]
    stratify_by: str | None
    group_by: str | None
    strata: dict[str, dict[str, int]]
    groups: int = Field(description="distinct group keys (0 when not grouped)")
    grouped_items: int = Field(description="items drawn by their group key")
    ungrouped_items: int = Field(description="items without a group key, drawn by their id")
    split_groups: list[SplitGroup] = Field(
        default_factory=list, description="groups in more than one split: explicit splits did it"
    )

    @property
    def totals(self) -> dict[str, int]:
        return self.strata["*"]


def split_report(
    examples: Iterable[Example], policy: SplitPolicy, signature: SignatureFn | None = None
) -> SplitReport:
    """Where every item lands under ``policy``, per stratum, with the groups explicit splits
    broke apart (a group in two splits is a leak the report must show)."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    counts["*"] = Counter()
    by_group: dict[str, Counter[str]] = defaultdict(Counter)
    ungrouped = 0
    for example in examples:
        split = assign_split(example, policy, signature)
        counts[stratum_of(example, policy.stratify_by)][split] += 1
        counts["*"][split] += 1
        group = group_of(example, policy.group_by, signature)
        if group is None:
            ungrouped += 1
        else:
            by_group[group][split] += 1
    broken = [
        SplitGroup(key=key, splits={s: c[s] for s in SPLITS if c[s]})
        for key, c in sorted(by_group.items())
        if sum(1 for s in SPLITS if c[s]) > 1
    ]
    return SplitReport(
        seed=policy.seed,
        fractions={"train": policy.train, "dev": policy.dev, "test": policy.test},
        stratify_by=policy.stratify_by,
        group_by=policy.group_by,
        strata={stratum: {s: c[s] for s in SPLITS} for stratum, c in sorted(counts.items())},
        groups=len(by_group),
        grouped_items=sum(sum(c.values()) for c in by_group.values()),
        ungrouped_items=ungrouped,
        split_groups=broken,
    )
