"""`evalwheel run` of a ``kind = "prompt"`` system vs a bare ``AsyncOpenAI`` loop making the same calls.

What a user runs, measured as a user runs it: the real CLI, ``evalwheel run --system ask --dataset
qa --concurrency 256``, in its own process pinned to CPU 0 (``taskset -c 0``), over 5,000 items
against the OpenAI-compatible stub answering after 50 ms in its own process on CPU 1. The prompt
system renders ``{{ input }}`` as the user message, calls ``[models.stub]`` (``max_concurrency``
256) through the call cache (on, as a user has it; ``evalwheel run`` has no option to turn it off),
stores each trace and its ``exact_match`` score, and the CLI prints the aggregates. The baseline is a
bare ``AsyncOpenAI`` loop in this harness (also on CPU 0) sending the same 5,000 user messages with
the same concurrency, measured before and after evalwheel in the same session.

Two evalwheel rates, both printed: the run phase (the run row's ``created_at`` to ``finished_at``
in the store: planning, every call, cache writes, trace and score commits, aggregates), which
compares like with like, since the baseline excludes its interpreter and imports too; and the
whole command (process start to exit: Python start, imports, project and store opening, printing).
A rerun of the same command is answered from the call cache and printed as a third line. The
stub's request count checks that the first run made exactly one call per item and the rerun none;
``exact_match`` = 1.0 on every item checks that each answer was stored and scored.

    python bench/prompt_system_throughput.py [--items 5000] [--concurrency 256] [--delay 0.05]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from evalwheel.testing.openai_stub import stub_process

TEMPLATE = "{{ input }}"


def item_input(i: int) -> str:
    return f"Tag orders over ${i} as VIP."


async def bare_openai(url: str, n: int, c: int) -> float:
    """The same user messages through ``AsyncOpenAI``, ``c`` in flight; items/s."""
    from openai import AsyncOpenAI

    client = AsyncOpenAI(base_url=url, api_key="unused", max_retries=0)
    sem = asyncio.Semaphore(c)

    async def one(i: int) -> None:
        async with sem:
            r = await client.chat.completions.create(
                model="stub", messages=[{"role": "user", "content": item_input(i)}]
            )
            assert r.choices[0].message.content

    started = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(n)))
    elapsed = time.perf_counter() - started
    await client.close()
    return n / elapsed


def make_project(root: Path, url: str, n: int, c: int) -> None:
    """A project with ``[models.stub]``, ``[systems.ask]`` (a prompt system) and dataset qa."""
    from evalwheel.api.datasets import import_dataset
    from evalwheel.project import init_project

    project, _ = init_project(root, "bench")
    with open(project.config_path, "a", encoding="utf-8") as f:
        f.write(
            f'\n[models.stub]\nbase_url = "{url}"\nmodel = "stub"\nmax_concurrency = {c}\n'
            "timeout_s = 30\nmax_retries = 3\n"
            f'\n[systems.ask]\nkind = "prompt"\nmodel = "stub"\ntemplate = "{TEMPLATE}"\n'
        )
    data = root / "qa.jsonl"
    with open(data, "w", encoding="utf-8") as f:
        for i in range(n):
            row = {"id": f"q{i}", "input": item_input(i), "reference": f"echo: {item_input(i)}"}
            f.write(json.dumps(row) + "\n")
    import_dataset(data, "qa", project=root)


def stub_requests(url: str) -> int:
    with urllib.request.urlopen(f"{url}/stats", timeout=10) as response:
        return int(json.load(response)["requests"])


def evalwheel_run(root: Path, c: int) -> tuple[str, float, float]:
    """``evalwheel run`` as a process on CPU 0; (run id, run-phase seconds, command seconds)."""
    command = [
        "taskset",
        "-c",
        "0",
        sys.executable,
        "-m",
        "evalwheel",
        "run",
        "--system",
        "ask",
        "--dataset",
        "qa",
        "--scorer",
        "exact_match",
        "--concurrency",
        str(c),
        "--json",
    ]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=root, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"evalwheel run failed ({done.returncode}):\n{done.stderr[-4000:]}")
    summary = json.loads(done.stdout)["summary"]
    rate = summary["scorers"]["exact_match"]["pass_rate"]
    # Every item got the stub's echo, stored and scored: nothing was lost or mixed up.
    assert (rate["estimate"], rate["n"]) == (1.0, summary["planned"]), rate
    return summary["run_id"], run_phase_seconds(root, summary["run_id"]), wall


def run_phase_seconds(root: Path, run_id: str) -> float:
    """From the run row's creation to its end, as the store recorded them."""
    from evalwheel.project import Project
    from evalwheel.store.runs import RunRepository

    store = Project.load(root).open_store()
    try:
        row = RunRepository(store).get(run_id)
        assert row.status == "completed", row.status
        assert row.finished_at is not None
        return (row.finished_at - row.created_at).total_seconds()
    finally:
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=256)
    parser.add_argument("--delay", type=float, default=0.05)
    args = parser.parse_args()
    n, c = args.items, args.concurrency
    os.sched_setaffinity(0, {0})
    with stub_process(args.delay, cpu=1) as url, tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "bench"
        make_project(root, url, n, c)
        asyncio.run(bare_openai(url, 200, c))  # warm-up: the server and the SDK's imports
        base = asyncio.run(bare_openai(url, n, c))
        before = stub_requests(url)
        run_id, phase, wall = evalwheel_run(root, c)
        calls = stub_requests(url) - before
        rerun_id, rerun_phase, rerun_wall = evalwheel_run(root, c)
        rerun_calls = stub_requests(url) - before - calls
        base2 = asyncio.run(bare_openai(url, n, c))
    baseline = (base + base2) / 2
    print(
        f"{n} items, concurrency {c}, server delay {args.delay * 1000:.0f} ms, "
        "evalwheel run and the bare loop on CPU 0, server on CPU 1; call cache on"
    )
    print(f"bare AsyncOpenAI loop            {base:7.0f} items/s, again at the end {base2:7.0f}")
    print(
        f"evalwheel run, run phase         {n / phase:7.0f} items/s   ratio {n / phase / baseline:.2f}"
        f"   ({run_id}, {calls} calls)"
    )
    print(
        f"evalwheel run, whole command     {n / wall:7.0f} items/s   ratio {n / wall / baseline:.2f}"
        f"   ({wall:.1f} s with start-up)"
    )
    print(
        f"rerun from the cache, run phase  {n / rerun_phase:7.0f} items/s   "
        f"ratio {n / rerun_phase / baseline:.2f}   ({rerun_id}, {rerun_calls} calls; "
        f"whole command {rerun_wall:.1f} s)"
    )


if __name__ == "__main__":
    main()
