"""Merge the two independent annotation passes over the golden candidates into the golden set.

    python scripts/merge_golden_annotations.py PASS_A.jsonl PASS_B.jsonl

Writes ``golden.jsonl`` (kind golden: input, output, adjudicated label, rationale, both raw
annotations in metadata) and ``golden_labels.jsonl`` (long format: one row per item × annotator,
plus the adjudicated row). Where the passes disagree, the adjudication rule below decides and says
so in the rationale. See data/README.md for how the passes were kept independent.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "src" / "evalwheel_flow" / "data"

# Disagreements seen, and how they are settled (one rule per kind of disagreement).
ADJUDICATION = {
    ("bad", "needs_improvement", "wrong trigger"): (
        "bad",
        "adjudicated: the workflow starts on a different event, so orders that never reach it are never "
        "handled (the behavioural oracle finds events where the two differ); a wrong trigger is a wrong workflow",
    ),
}


def main(pass_a: Path, pass_b: Path) -> None:
    candidates = [
        json.loads(line) for line in (DATA / "golden_candidates.jsonl").read_text().splitlines()
    ]
    a = {r["id"]: r for r in map(json.loads, pass_a.read_text().splitlines())}
    b = {r["id"]: r for r in map(json.loads, pass_b.read_text().splitlines())}
    golden, labels, disagreements = [], [], 0
    for item in candidates:
        ra, rb = a[item["id"]], b[item["id"]]
        if ra["label"] == rb["label"]:
            label, rationale = ra["label"], ra["rationale"]
        else:
            disagreements += 1
            key = (*tuple(sorted((ra["label"], rb["label"]))), item["construction"])
            label, rationale = ADJUDICATION[key]  # a new kind of disagreement needs a rule first
        golden.append(
            {
                "id": item["id"],
                "input": item["input"],
                "output": item["output"],
                "reference": item["reference"],
                "label": label,
                "rationale": rationale,
                "tags": item["tags"],
                "benchmark_id": item["benchmark_id"],
                "annotations": [
                    {k: r[k] for k in ("annotator", "label", "rationale")} for r in (ra, rb)
                ],
            }
        )
        for r in (ra, rb):
            labels.append(
                {
                    "item": item["id"],
                    "annotator": r["annotator"],
                    "label": r["label"],
                    "rationale": r["rationale"],
                }
            )
        labels.append(
            {
                "item": item["id"],
                "annotator": "adjudicated",
                "label": label,
                "rationale": rationale,
                "adjudicated": True,
            }
        )
    with open(DATA / "golden.jsonl", "w", encoding="utf-8") as f:
        for row in golden:
            f.write(json.dumps(row, sort_keys=True, ensure_ascii=False) + "\n")
    with open(DATA / "golden_labels.jsonl", "w", encoding="utf-8") as f:
        for row in labels:
            f.write(json.dumps(row, sort_keys=True, ensure_ascii=False) + "\n")
    print(
        f"golden: {len(golden)} items, {disagreements} disagreements adjudicated; {len(labels)} label rows"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
