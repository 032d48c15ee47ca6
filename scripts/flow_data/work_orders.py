"""Work orders for the request writers: a description, a style and what the answer should be.

Writers see only ``{"id", "description", "style", "expect"}``; the builder keeps the rest (which
intent and variant, which set it is for) in ``work_orders.jsonl`` so written requests can be joined
back to their references. Once requests are written the orders are frozen data: the builder checks
that each intent still produces the same description for the stored variant.
"""

from __future__ import annotations

import hashlib
import random
from typing import Any

from evalwheel_flow.signature import signature
from flow_data.document import shapes
from flow_data.intents import INTENTS
from flow_data.splits import reference_of, skeleton_splits
from flow_data.topics import CLARIFY, NEAR_TEMPLATE, REFUSE

STYLES = (
    "terse",
    "rambling",
    "typos",
    "multi_intent",
    "vague_but_complete",
    "wrong_vocabulary",
    "plain",
)
BENCH_VARIANTS = {"test": (2, 3), "dev": (2, 2), "train": (1, 2)}
TRAFFIC_VARIANT = 9
COMBOS = 12


def _rank(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _variants(key: str, count: int, first: int = 0) -> list[int]:
    """Variant numbers with distinct descriptions where the intent's parameters allow."""
    item = next(i for i in INTENTS if i.key == key)
    chosen, seen = [], set()
    for variant in range(first, first + 40):
        description, _ = reference_of(item, variant)
        if description not in seen:
            seen.add(description)
            chosen.append(variant)
        if len(chosen) == count:
            return chosen
    while len(chosen) < count:  # a fixed intent: the same description, written in other styles
        chosen.append(first + 40 + len(chosen))
    return chosen


def _topic_splits(topics: list[tuple[str, str]], test: int, train: int, dev: int) -> dict[str, str]:
    eligible = sorted((t for t, _ in topics if t not in NEAR_TEMPLATE), key=_rank)
    near = sorted((t for t, _ in topics if t in NEAR_TEMPLATE), key=_rank)
    out = {t: "test" for t in eligible[:test]}
    rest = near + eligible[test:]
    for t in rest[:train]:
        out[t] = "train"
    for t in rest[train : train + dev]:
        out[t] = "dev"
    return out  # topics not listed are for traffic only


def make_orders() -> list[dict[str, Any]]:
    """Every work order, benchmark and traffic, in a fixed order with fixed styles."""
    rng = random.Random(20261129)
    splits = skeleton_splits()
    orders: list[dict[str, Any]] = []
    style_cycle = list(STYLES)

    def style(avoid: set[str]) -> str:
        options = [s for s in style_cycle if s not in avoid] or style_cycle
        chosen = rng.choice(options)
        return chosen

    for item in sorted(INTENTS, key=lambda i: i.key):
        _, document = reference_of(item, 0)
        split = splits[signature(document)]
        low, high = BENCH_VARIANTS[split]
        count = low if low == high else (high if int(_rank(item.key), 16) % 2 else low)
        used: set[str] = set()
        multi = "multi_action" in shapes(document)
        for variant in _variants(item.key, count):
            description, _ = reference_of(item, variant)
            chosen = style(used | (set() if multi else {"multi_intent"}))
            used.add(chosen)
            orders.append(
                {
                    "set": "benchmark",
                    "split": split,
                    "intent": item.key,
                    "variant": variant,
                    "expect": "workflow",
                    "description": description,
                    "style": chosen,
                }
            )
        for variant in _variants(item.key, 1, first=TRAFFIC_VARIANT):
            description, _ = reference_of(item, variant)
            orders.append(
                {
                    "set": "traffic",
                    "split": None,
                    "intent": item.key,
                    "variant": variant,
                    "expect": "workflow",
                    "description": description,
                    "style": style(used | {"multi_intent"}),
                }
            )
    keys = sorted((i.key for i in INTENTS), key=_rank)
    for n in range(COMBOS):
        a, b = keys[2 * n], keys[2 * n + 1]
        da, _ = reference_of(next(i for i in INTENTS if i.key == a), TRAFFIC_VARIANT + 1)
        db, _ = reference_of(next(i for i in INTENTS if i.key == b), TRAFFIC_VARIANT + 1)
        orders.append(
            {
                "set": "traffic",
                "split": None,
                "intent": f"{a}+{b}",
                "variant": TRAFFIC_VARIANT + 1,
                "expect": "workflow",
                "style": "multi_intent",
                "description": f"The merchant wants two separate automations. First: {da} Second: {db}",
            }
        )
    for expect, topics, sizes in (("clarify", CLARIFY, (10, 6, 4)), ("refuse", REFUSE, (8, 4, 3))):
        topic_split = _topic_splits(topics, *sizes)
        for topic, description in topics:
            bench_style = style(set())
            if topic in topic_split:
                orders.append(
                    {
                        "set": "benchmark",
                        "split": topic_split[topic],
                        "intent": topic,
                        "variant": 0,
                        "expect": expect,
                        "description": description,
                        "style": bench_style,
                    }
                )
            orders.append(
                {
                    "set": "traffic",
                    "split": None,
                    "intent": topic,
                    "variant": 1,
                    "expect": expect,
                    "description": description,
                    "style": style({bench_style}),
                }
            )
    shuffled = sorted(
        orders, key=lambda o: _rank(f"{o['set']}|{o['intent']}|{o['variant']}|{o['expect']}")
    )
    for n, order in enumerate(shuffled, start=1):
        order["id"] = f"wo-{n:04d}"
        order["writer"] = 1 + n % 2
    return sorted(shuffled, key=lambda o: o["id"])
