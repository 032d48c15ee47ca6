"""Runner overhead: items/s through the evaluation runner vs a bare asyncio loop making the same
model calls, against a local server answering after 50 ms; and peak memory of a 20,000-item run.

Both sides use the same ModelClient and the same one-call-per-item application; the runner adds
what a run needs (planning, one transaction per finished item with its trace blob and scores,
scoring). The server runs in its own process on CPU 1, the harness on CPU 0. Target: ratio >= 0.9.

    python bench/runner_overhead.py [--items 2000] [--concurrency 64] [--memory-items 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from evalwheel.apps.interface import AppOutput, CheckResult
from evalwheel.core.system import System
from evalwheel.llm.cache import CacheMode
from evalwheel.llm.client import ModelClient
from evalwheel.llm.registry import ModelSpec
from evalwheel.llm.types import ChatRequest
from evalwheel.testing.openai_stub import stub_process


class EchoApp:
    name = "echo"

    def example_datasets(self):
        return []

    def field_maps(self):
        return {}

    async def run(self, example, client, params):
        response = await client.chat(
            ChatRequest(messages=[{"role": "user", "content": str(example.input)}])
        )
        return AppOutput(outcome="answer", artifact=response.content)

    def check(self, example, output):
        return [CheckResult(scorer="echo.correct", passed=output.artifact == example.reference)]

    def render(self, example, output):
        return str(output.artifact)

    def same(self, a, b):
        return a.artifact == b.artifact

    def ideal_trajectory(self, request, artifact):
        return []


def make_project(root: Path, n: int):
    from evalwheel.core.dataset import DatasetKind
    from evalwheel.datasets.importer import validate_file
    from evalwheel.project import init_project
    from evalwheel.store.datasets import DatasetRepository

    project, _ = init_project(root)
    data = root / "items.jsonl"
    data.write_text(
        "".join(
            json.dumps({"id": f"i{i}", "input": f"item {i}", "reference": f"echo: item {i}"}) + "\n"
            for i in range(n)
        )
    )
    store = project.open_store()
    version, _ = DatasetRepository(store).save_version(
        "echo", DatasetKind.BENCHMARK, validate_file(data, DatasetKind.BENCHMARK)
    )
    return store, version


async def bare(url: str, n: int, c: int) -> float:
    spec = ModelSpec(name="stub", base_url=url, model="m", max_concurrency=c, max_retries=0)
    async with ModelClient(spec, cache_mode=CacheMode.OFF) as client:
        sem = asyncio.Semaphore(c)

        async def one(i: int) -> None:
            async with sem:
                await client.chat(ChatRequest(messages=[{"role": "user", "content": f"item {i}"}]))

        started = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(n)))
        return n / (time.perf_counter() - started)


async def through_runner(url: str, store, version, c: int) -> float:
    from evalwheel.runner.runner import RunPlan, create_run, execute_run
    from evalwheel.runner.scorers import registry

    spec = ModelSpec(name="stub", base_url=url, model="m", max_concurrency=c, max_retries=0)
    plan = RunPlan(dataset=f"echo@{version.version_id}", version_id=version.version_id, app="echo")
    run_id = create_run(store, System(name="echo", app="echo", model="stub"), plan)
    async with ModelClient(spec, cache_mode=CacheMode.OFF) as client:
        started = time.perf_counter()
        progress = await execute_run(store, run_id, EchoApp(), client, registry(), concurrency=c)
        elapsed = time.perf_counter() - started
    assert progress.remaining == 0
    return progress.done_now / elapsed


def memory_run(url: str, n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store, version = make_project(Path(tmp) / "p", n)
        rate = asyncio.run(through_runner(url, store, version, 64))
        print(
            json.dumps(
                {
                    "rate": rate,
                    "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                }
            )
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--memory-items", type=int, default=20000)
    parser.add_argument("--_memory", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--_url", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._memory:
        memory_run(args._url, args._memory)
        return
    os.sched_setaffinity(0, {0})
    with stub_process(0.05, cpu=1) as url:
        with tempfile.TemporaryDirectory() as tmp:
            store, version = make_project(Path(tmp) / "p", args.items)
            base = asyncio.run(bare(url, args.items, args.concurrency))
            ours = asyncio.run(through_runner(url, store, version, args.concurrency))
            base2 = asyncio.run(bare(url, args.items, args.concurrency))
            store.close()
        mem = subprocess.run(
            [
                "taskset",
                "-c",
                "0",
                sys.executable,
                __file__,
                "--_memory",
                str(args.memory_items),
                "--_url",
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        memory = json.loads(mem.stdout.strip().splitlines()[-1])
    baseline = (base + base2) / 2
    print(
        f"{args.items} items, concurrency {args.concurrency}, server delay 50 ms, harness on 1 core"
    )
    print(f"bare asyncio loop (same ModelClient calls) {base:7.0f} items/s, again {base2:7.0f}")
    print(
        f"evalwheel runner                           {ours:7.0f} items/s   ratio {ours / baseline:.2f}"
    )
    print(
        f"{args.memory_items}-item run: {memory['rate']:.0f} items/s, peak RSS {memory['peak_mib']:.0f} MiB"
    )


if __name__ == "__main__":
    main()
