"""The compact Flow agent's decisions on held-out benchmark items: how often it asks when a request
is too vague, refuses what Flow cannot do, and builds a workflow when one is expected.

Runs the agent on the embedded model over the dev and test items of a benchmark file (a row's own
``split``, else the seeded one), optionally only some expectations (``--expect clarify,refuse``)
or every Nth item (``--every 5``), and prints, per expectation and split, the rate of the expected
outcome and of passes with Wilson 95% intervals, the other outcomes, and the answers cut off at
max_tokens. ``--workflow-only-bank`` drops the bank's questions and refusals (to see what they do
to workflow items). ``--threads 1`` helps on a crowded machine (two llama.cpp threads on two busy
cores were ~2.5x slower than one).

    python bench/flow_decisions.py [--benchmark FILE] [--expect clarify,refuse] [--every N]
        [--workflow-only-bank] [--out answers.jsonl] [--threads N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections import Counter, defaultdict
from pathlib import Path

from evalwheel.core.example import Example
from evalwheel.datasets.splits import SplitPolicy, assign_split
from evalwheel.llm.client import ModelClient
from evalwheel.llm.embedded import load_model
from evalwheel.llm.registry import builtin_models
from evalwheel.stats.intervals import wilson
from evalwheel_flow import DATA_DIR
from evalwheel_flow.agent.agent import FlowAgent
from evalwheel_flow.agent.bank import bank_from_file
from evalwheel_flow.agent.fewshot import FewShotBank
from evalwheel_flow.scoring import score


def held_out(rows: list[dict]) -> list[tuple[str, dict]]:
    chosen = []
    for row in rows:
        example = Example(
            id=row["id"],
            input=row.get("request") or "?",
            tags=tuple(row.get("tags", ())),
            split=row.get("split"),
        )
        split = assign_split(example, SplitPolicy())
        if split in ("dev", "test"):
            chosen.append((split, row))
    return chosen


async def run(items: list[tuple[str, dict]], bank: FewShotBank, out: Path | None) -> list[dict]:
    records = []
    async with ModelClient(builtin_models()["local"]) as client:
        agent = FlowAgent(client, mode="compact", bank=bank)
        for split, row in items:
            result = await agent.run(row["request"])
            verdict = score(row["expect"], row.get("reference"), result.outcome, result.workflow)
            record = {
                "id": row["id"],
                "split": split,
                "expect": row["expect"],
                "outcome": result.outcome,
                "passed": verdict.passed,
                "error": result.error,
                "finish_reason": result.finish_reason,
                "answer": result.messages[-1]["content"] if result.messages else None,
            }
            records.append(record)
            print(row["id"], split, row["expect"], result.outcome, result.error or "", flush=True)
            if out is not None:
                with out.open("a") as handle:
                    handle.write(json.dumps(record) + "\n")
    return records


def report(records: list[dict]) -> None:
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for record in records:
        groups[(record["expect"], record["split"])].append(record)
        groups[(record["expect"], "dev+test")].append(record)
    for (expect, split), group in sorted(groups.items()):
        decided = wilson(sum(r["outcome"] == expect for r in group), len(group))
        passed = wilson(sum(r["passed"] for r in group), len(group))
        outcomes = Counter(r["outcome"] for r in group)
        cut = sum(r["finish_reason"] == "length" for r in group)
        print(
            f"{expect:8} {split:8} n={len(group):3}  {expect} {decided.estimate:.2f} "
            f"[{decided.ci_low:.2f}, {decided.ci_high:.2f}]  pass {passed.estimate:.2f} "
            f"[{passed.ci_low:.2f}, {passed.ci_high:.2f}]  outcomes {dict(outcomes)}  cut off {cut}"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--benchmark", type=Path, default=DATA_DIR / "benchmark.jsonl")
    parser.add_argument("--expect", default="", help="comma-separated: workflow,clarify,refuse")
    parser.add_argument("--every", type=int, default=1)
    parser.add_argument("--workflow-only-bank", action="store_true")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    rows = [json.loads(x) for x in args.benchmark.read_text().splitlines() if x.strip()]
    items = held_out(rows)
    if args.expect:
        items = [(s, r) for s, r in items if r["expect"] in args.expect.split(",")]
    items = items[:: args.every]
    bank = bank_from_file(args.benchmark)
    if args.workflow_only_bank:
        bank = FewShotBank([s for s in bank.items if s.expect == "workflow"])
    if args.threads:
        load_model(n_threads=args.threads)  # the shared instance every later call uses
    print(f"{len(items)} items, bank {len(bank.items)}", flush=True)
    report(asyncio.run(run(items, bank, args.out)))


if __name__ == "__main__":
    main()
