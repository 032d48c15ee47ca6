"""A synthetic golden set whose labels follow learnable rules: each output carries a flaw marker,
and the humans' label is a function of the flaw (with a little annotator noise)."""

from __future__ import annotations

import random
from pathlib import Path

from tests.helpers import write_jsonl

TRUTH = {
    "none": "good",
    "wrong_tag": "bad",
    "extra_action": "needs_improvement",
    "wrong_trigger": "bad",
    "threshold": "bad",
}
MIX = (
    ["none"] * 8
    + ["wrong_tag"] * 4
    + ["extra_action"] * 4
    + ["wrong_trigger"] * 2
    + ["threshold"] * 2
)


def make_golden(
    folder: Path, n: int = 200, noise: float = 0.05, seed: int = 1
) -> tuple[Path, Path]:
    rng = random.Random(seed)
    items, labels = [], []
    for i in range(n):
        flaw = MIX[i % len(MIX)]
        truth = TRUTH[flaw]
        item = f"g-{i:03d}"
        items.append(
            {
                "id": item,
                "input": f"Request {i}: when an order is over ${10 * i}, tag it vip-{i}.",
                "output": {"summary": f"automation {i}", "flaw": flaw},
                "label": truth,
                "tags": [flaw],
            }
        )
        other = truth
        if rng.random() < noise:
            other = rng.choice([x for x in ("good", "needs_improvement", "bad") if x != truth])
        labels += [
            {
                "item": item,
                "annotator": "ann_a",
                "label": truth,
                "rationale": f"{flaw} means {truth}",
            },
            {"item": item, "annotator": "ann_b", "label": other, "rationale": f"looks {other}"},
            {"item": item, "annotator": "adjudicated", "label": truth, "adjudicated": True},
        ]
    return write_jsonl(folder / "golden.jsonl", items), write_jsonl(folder / "labels.jsonl", labels)


def judge_config(url: str, name: str = "scripted-quality", extra: str = "") -> str:
    return f"""
[models.scripted]
base_url = "{url}"
model = "scripted"
max_retries = 0

[judges.{name}]
model = "scripted"
rubric = "Is the automation right for the request?"
labels = ["good", "needs_improvement", "bad"]
pass_labels = ["good"]
{extra}
"""
