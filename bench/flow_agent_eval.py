"""The Flow agent on a model over the benchmark: pass rate overall and by slice, honestly.

Each item passes when the agent does what the item expects: a valid workflow that behaves like the
reference (the truth oracle), a clarifying question, or a refusal. Errors count as failures. The
subset is stratified by family (``--per-family``) so a run on 2 cores stays short; ``--model``
takes any configured model (default: the embedded SmolLM2-135M), ``--mode`` compact or tools.
Intervals are Wilson 95%.

    python bench/flow_agent_eval.py [--per-family 3] [--model local] [--mode compact] [--out results.jsonl]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import time
from collections import defaultdict
from pathlib import Path

from evalwheel.core.example import Example
from evalwheel.datasets.splits import SplitPolicy, assign_split
from evalwheel.llm.client import ModelClient
from evalwheel.llm.registry import builtin_models
from evalwheel_flow import DATA_DIR
from evalwheel_flow.agent.agent import FlowAgent
from evalwheel_flow.agent.bank import bank_from_file
from evalwheel_flow.scoring import score


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def pick(rows: list[dict], per_family: int) -> list[dict]:
    """Test-split items, the first ``per_family`` of each family (stable across runs)."""
    policy, chosen, counts = SplitPolicy(), [], defaultdict(int)
    for row in rows:
        example = Example(
            id=row["id"], input=row["request"], tags=tuple(row["tags"]), split=row.get("split")
        )
        if assign_split(example, policy) != "test":
            continue
        family = next(t for t in row["tags"] if t.startswith("family:"))
        if counts[family] < per_family:
            counts[family] += 1
            chosen.append(row)
    return chosen


async def evaluate(rows: list[dict], model: str, mode: str, spec=None) -> list[dict]:
    spec = spec or (builtin_models().get(model, None))
    if spec is None:
        from evalwheel.llm.project_models import project_models
        from evalwheel.project import find_project

        spec = project_models(find_project())[model]
    bank = bank_from_file(DATA_DIR / "benchmark.jsonl")
    results = []
    async with ModelClient(spec) as client:
        agent = FlowAgent(client, mode=mode, bank=bank)  # type: ignore[arg-type]
        for row in rows:
            started = time.perf_counter()
            answer = await agent.run(row["request"])
            verdict = score(row["expect"], row["reference"], answer.outcome, answer.workflow)
            results.append(
                {
                    "id": row["id"],
                    "tags": row["tags"],
                    "expect": row["expect"],
                    "outcome": answer.outcome,
                    "workflow": answer.workflow,
                    "error": answer.error,
                    "seconds": round(time.perf_counter() - started, 2),
                    **verdict.model_dump(exclude={"counterexample"}),
                }
            )
    return results


def report(results: list[dict]) -> None:
    n, k = len(results), sum(r["passed"] for r in results)
    low, high = wilson(k, n)
    print(
        f"pass rate {k}/{n} = {k / n:.3f}  (95% CI {low:.3f}-{high:.3f}); errors counted as failures"
    )
    valid = [r for r in results if r["valid"] is not None]
    if valid:
        print(
            f"workflows produced when one was expected: valid {sum(r['valid'] for r in valid)}/{len(valid)}, "
            f"equivalent {sum(bool(r['equivalent']) for r in valid)}/{len(valid)}"
        )
    for prefix in ("family:", "expect:", "complexity:", "style:"):
        slices: dict[str, list[bool]] = defaultdict(list)
        for r in results:
            names = [t for t in r["tags"] if t.startswith(prefix)] or (
                [f"expect:{r['expect']}"] if prefix == "expect:" else []
            )
            for name in names:
                slices[name].append(r["passed"])
        for name, passes in sorted(slices.items()):
            lo, hi = wilson(sum(passes), len(passes))
            print(f"  {name:28} {sum(passes):3}/{len(passes):<3} ({lo:.2f}-{hi:.2f})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-family", type=int, default=3)
    parser.add_argument("--model", default="local")
    parser.add_argument("--mode", default="compact", choices=["compact", "tools"])
    parser.add_argument("--out", type=Path)
    parser.add_argument(
        "--compare-http",
        action="store_true",
        help="also run through `models serve` over HTTP and count identical answers",
    )
    args = parser.parse_args()
    rows = [json.loads(line) for line in (DATA_DIR / "benchmark.jsonl").read_text().splitlines()]
    chosen = pick(rows, args.per_family)
    started = time.perf_counter()
    results = asyncio.run(evaluate(chosen, args.model, args.mode))
    print(
        f"{len(chosen)} items (test split, {args.per_family} per family), model {args.model}, mode {args.mode}, "
        f"{time.perf_counter() - started:.0f} s"
    )
    report(results)
    if args.out:
        args.out.write_text("".join(json.dumps(r) + "\n" for r in results))
    if args.compare_http:
        from evalwheel.http_guard import GuardConfig
        from evalwheel.llm.client import make_provider
        from evalwheel.llm.registry import ModelSpec
        from evalwheel.llm.serve import ModelServer
        from evalwheel.testing.server_thread import ServerThread

        local = builtin_models()[args.model]
        app = ModelServer(make_provider(local), args.model, GuardConfig(token=None))
        with ServerThread(app) as url:
            served = ModelSpec(
                name="served", base_url=url, model=args.model, timeout_s=600, max_retries=0
            )
            over_http = asyncio.run(evaluate(chosen, args.model, args.mode, spec=served))
        same = sum(
            (a["outcome"], a["workflow"]) == (b["outcome"], b["workflow"])
            for a, b in zip(results, over_http, strict=True)
        )
        print(
            f"in-process vs over HTTP (models serve): {same}/{len(results)} identical answers; "
            f"pass {sum(r['passed'] for r in results)} vs {sum(r['passed'] for r in over_http)}"
        )


if __name__ == "__main__":
    main()
