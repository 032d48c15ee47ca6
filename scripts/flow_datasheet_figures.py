"""The figures of the Flow datasheets (src/evalwheel_flow/data/README.md), measured from the files.

    python scripts/flow_datasheet_figures.py [--data DIR]

Per set: items and distinct skeletons (evalwheel_flow.signature); for every pair of sets, the
skeletons they share; word overlap as the median over a set's requests of the exact Jaccard of
its word set with the nearest request of another set (every pair compared, no sketching); and the
contamination report of ``evalwheel.datasets.contamination`` (n-gram containment, MinHash Jaccard,
signature) for the pairs that matter. Traffic rows carry the skeleton they were drawn from as a
``skeleton:`` tag; the few-shot bank is the one the agent builds (``bank_from_file``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from evalwheel.core.example import Example  # noqa: E402
from evalwheel.datasets.contamination import find_contamination, jaccard, words  # noqa: E402
from evalwheel.datasets.splits import SplitPolicy, assign_split  # noqa: E402
from evalwheel_flow.agent.bank import bank_from_file  # noqa: E402
from evalwheel_flow.catalog import load_catalog  # noqa: E402
from evalwheel_flow.signature import signature  # noqa: E402

Item = tuple[str, str, str | None]  # id, text, skeleton


def read(path: Path) -> list[dict[str, Any]]:
    return [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def skeleton_tag(tags: list[str]) -> str | None:
    return next((t.split(":", 1)[1] for t in tags if t.startswith("skeleton:")), None)


def load_sets(data: Path) -> dict[str, list[Item]]:
    bench = read(data / "benchmark.jsonl")

    def bench_items(split: str, source: str | None = None) -> list[Item]:
        return [
            (r["id"], r["request"], signature(r["reference"]) if r["reference"] else None)
            for r in bench
            if r["split"] == split and (source is None or f"source:{source}" in r["tags"])
        ]

    catalog = load_catalog()
    bank = bank_from_file(data / "benchmark.jsonl", catalog)
    return {
        "template-train": bench_items("train", "template"),
        "written-train": bench_items("train", "written"),
        "bank": [
            (f"bank-{n}", s.request, signature(s.reference) if s.reference else None)
            for n, s in enumerate(bank.items)
        ],
        "dev": bench_items("dev"),
        "test": bench_items("test"),
        "traffic": [
            (r["id"], r["input"], skeleton_tag(r["tags"])) for r in read(data / "traffic.jsonl")
        ],
        "workflows": [
            (r["id"], "", signature(r["reference"])) for r in read(data / "workflows.jsonl")
        ],
    }


def skeletons(items: list[Item]) -> set[str]:
    return {s for _, _, s in items if s}


def nearest_jaccard(a: list[Item], b: list[Item]) -> float | None:
    """Median over A of the best exact word Jaccard with any B request."""
    b_sets = [set(words(text)) for _, text, _ in b if text]
    if not b_sets:
        return None
    best = [max(jaccard(set(words(text)), other) for other in b_sets) for _, text, _ in a if text]
    return statistics.median(best) if best else None


def contamination(a: list[Item], b: list[Item], a_label: str, b_label: str) -> dict[str, Any]:
    def examples(items: list[Item]) -> list[Example]:
        return [Example(id=i, input=text, metadata={"skeleton": s}) for i, text, s in items]

    def sig(example: Example) -> str | None:
        value = example.metadata.get("skeleton")
        return str(value) if value else None

    report = find_contamination(
        examples(a), examples(b), signature=sig, a_label=a_label, b_label=b_label
    )
    return {
        "pair": f"{a_label} → {b_label}",
        "contaminated": f"{report.contaminated}/{report.n_a}",
        **{m.method: m.contaminated for m in report.methods},
    }


def old_contrast(path: Path) -> str:
    """The benchmark as it was (no explicit splits): its test split against its few-shot bank."""
    rows = read(path)
    test = []
    for r in rows:
        example = Example(id=r["id"], input=r["request"], tags=tuple(r["tags"]))
        if r["reference"] and assign_split(example, SplitPolicy()) == "test":
            test.append((r["id"], r["request"], signature(r["reference"])))
    bank = bank_from_file(path, load_catalog())
    bank_items = [
        (f"bank-{n}", s.request, signature(s.reference) if s.reference else None)
        for n, s in enumerate(bank.items)
    ]
    shared = sum(1 for *_, s in test if s in skeletons(bank_items))
    value = nearest_jaccard(test, bank_items)
    return (
        f"Old benchmark ({path.name}): {shared} of {len(test)} test workflow items share their "
        f"skeleton with the few-shot bank; median nearest-neighbour Jaccard test → bank "
        f"{'-' if value is None else f'{value:.2f}'}."
    )


def split_counts(data: Path) -> None:
    """Benchmark items per split, source and expected outcome, and the test split's slices."""
    bench = read(data / "benchmark.jsonl")
    counts = Counter(
        (r["split"], next(t for t in r["tags"] if t.startswith("source:"))[7:], r["expect"])
        for r in bench
    )
    print("| split | source | workflow | clarify | refuse |\n|---|---|---|---|---|")
    for split in ("train", "dev", "test"):
        for source in ("template", "written"):
            row = [str(counts[(split, source, e)]) for e in ("workflow", "clarify", "refuse")]
            print(f"| {split} | {source} | " + " | ".join(row) + " |")
    for prefix in ("shape:", "style:", "complexity:"):
        slices = Counter(
            t for r in bench if r["split"] == "test" for t in r["tags"] if t.startswith(prefix)
        )
        print(
            f"\ntest by {prefix[:-1]}: "
            + ", ".join(f"{k[len(prefix) :]} {v}" for k, v in sorted(slices.items()))
        )
    triggers = {
        t for r in bench if r["split"] == "test" for t in r["tags"] if t.startswith("trigger:")
    }
    print(f"\ntest triggers: {len(triggers)}\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "src" / "evalwheel_flow" / "data")
    parser.add_argument("--old", type=Path, help="an earlier benchmark file, for contrast")
    args = parser.parse_args()
    split_counts(args.data)
    sets = load_sets(args.data)
    train = sets["template-train"] + sets["written-train"]
    print("| set | items | with a skeleton | distinct skeletons |\n|---|---|---|---|")
    for name, items in sets.items():
        print(
            f"| {name} | {len(items)} | {sum(1 for *_, s in items if s)} | {len(skeletons(items))} |"
        )
    print(
        "\nShared skeletons:\n\n| | " + " | ".join(sets) + " |\n" + "|---" * (len(sets) + 1) + "|"
    )
    for name, items in sets.items():
        row = [str(len(skeletons(items) & skeletons(other))) for other in sets.values()]
        print(f"| {name} | " + " | ".join(row) + " |")
    print("\nMedian nearest-neighbour word Jaccard (A → B):\n\n| A → B | median |\n|---|---|")
    pairs = [
        ("test", "train", sets["test"], train),
        ("test", "bank", sets["test"], sets["bank"]),
        ("test", "dev", sets["test"], sets["dev"]),
        ("dev", "train", sets["dev"], train),
        ("traffic", "train", sets["traffic"], train),
        ("test", "traffic", sets["test"], sets["traffic"]),
    ]
    for a_name, b_name, a, b in pairs:
        value = nearest_jaccard(a, b)
        print(f"| {a_name} → {b_name} | {'-' if value is None else f'{value:.2f}'} |")
    print("\nContamination (evalwheel.datasets.contamination, default thresholds):\n")
    print("| A → B | contaminated | ngram | minhash | signature |\n|---|---|---|---|---|")
    for a_name, b_name, a, b in pairs[:4]:
        c = contamination(a, b, a_name, b_name)
        print(
            f"| {c['pair']} | {c['contaminated']} | {c['ngram']} | {c['minhash']} | {c['signature']} |"
        )
    if args.old:
        print("\n" + old_contrast(args.old))


if __name__ == "__main__":
    main()
