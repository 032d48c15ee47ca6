"""Which split each skeleton of the intent library belongs to.

Splits are by skeleton (evalwheel_flow.signature), so every item of one automation shape lands in
the same split and the test split holds only shapes that train, dev and the few-shot bank never
show. Within each shape slice the skeletons are ordered by their hash and dealt out in a fixed
pattern (half to test), so every shape is tested and the assignment does not depend on the order
intents are written in.
"""

from __future__ import annotations

import hashlib
import random

from evalwheel_flow.signature import signature
from flow_data.document import shapes
from flow_data.intents import INTENTS, Intent

PATTERN = ("test", "train", "test", "dev", "test", "train", "test", "dev")
SHAPE_ORDER = ("scheduled", "foreach", "wait", "else", "multi_condition", "multi_action", "simple")


def primary_shape(document: dict) -> str:
    found = shapes(document)
    return next(s for s in SHAPE_ORDER if s in found)


def reference_of(item: Intent, variant: int) -> tuple[str, dict]:
    """One variant of an intent: its description and reference (seeded by intent and variant)."""
    return item.make(random.Random(f"{item.key}:{variant}"))


def skeleton_splits() -> dict[str, str]:
    """Split per skeleton signature of the intent library."""
    by_shape: dict[str, set[str]] = {}
    for item in INTENTS:
        _, document = reference_of(item, 0)
        by_shape.setdefault(primary_shape(document), set()).add(signature(document))
    out: dict[str, str] = {}
    offset = 0
    for shape in SHAPE_ORDER:
        ordered = sorted(
            by_shape.get(shape, ()), key=lambda s: hashlib.sha256(s.encode()).hexdigest()
        )
        for i, sig in enumerate(ordered):
            out[sig] = PATTERN[(i + offset) % len(PATTERN)]
        offset += len(ordered)
    return out
