"""(a) Request throughput of the model layer against a local OpenAI-compatible server.

The stub server (``evalwheel.testing.openai_stub``, answering after 50 ms) runs in its own process
pinned to CPU 1; this harness is pinned to CPU 0. The baseline is a bare ``AsyncOpenAI`` loop with
a semaphore, measured in the same run. evalwheel is measured twice: the client alone with the cache
off, and the whole ``models batch`` path (cache on in a fresh SQLite store, results written to a
file). Target: ratio >= 1.0.

    python bench/llm_throughput.py [--requests 5000] [--concurrency 256]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path

from evalwheel.testing.openai_stub import stub_process


def messages(i: int) -> list[dict]:
    return [{"role": "user", "content": f"Tag orders over ${i} as VIP."}]


async def bare_openai(url: str, n: int, c: int) -> float:
    from openai import AsyncOpenAI

    client = AsyncOpenAI(base_url=url, api_key="unused", max_retries=0)
    sem = asyncio.Semaphore(c)

    async def one(i: int) -> None:
        async with sem:
            r = await client.chat.completions.create(model="stub", messages=messages(i))
            assert r.choices[0].message.content

    started = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(n)))
    elapsed = time.perf_counter() - started
    await client.close()
    return n / elapsed


def spec(url: str, c: int):
    from evalwheel.llm.registry import ModelSpec

    return ModelSpec(
        name="stub", base_url=url, model="stub", max_concurrency=c, timeout_s=30, max_retries=3
    )


async def evalwheel_client(url: str, n: int, c: int) -> float:
    from evalwheel.llm.cache import CacheMode
    from evalwheel.llm.client import ModelClient
    from evalwheel.llm.types import ChatRequest

    async with ModelClient(spec(url, c), cache_mode=CacheMode.OFF) as client:
        started = time.perf_counter()
        responses = await asyncio.gather(
            *(client.chat(ChatRequest(messages=messages(i))) for i in range(n))
        )
        elapsed = time.perf_counter() - started
    assert all(r.content for r in responses)
    return n / elapsed


async def evalwheel_batch(url: str, n: int, c: int, workdir: Path) -> float:
    from evalwheel.llm.batch import BatchItem, run_batch
    from evalwheel.llm.client import ModelClient
    from evalwheel.llm.types import ChatRequest
    from evalwheel.store import Store

    store = Store.open(f"sqlite:///{workdir / 'store.db'}", workdir / "blobs")
    items = [BatchItem(f"r{i}", i + 1, ChatRequest(messages=messages(i))) for i in range(n)]
    async with ModelClient(spec(url, c), store=store) as client:
        started = time.perf_counter()
        summary = await run_batch(client, items, workdir / "out.jsonl", concurrency=c)
        elapsed = time.perf_counter() - started
    store.close()
    assert summary.succeeded == n, summary
    return n / elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=256)
    parser.add_argument("--delay", type=float, default=0.05)
    args = parser.parse_args()
    os.sched_setaffinity(0, {0})
    with stub_process(args.delay, cpu=1) as url:
        n, c = args.requests, args.concurrency
        asyncio.run(bare_openai(url, 200, c))  # warm-up
        base = asyncio.run(bare_openai(url, n, c))
        ours = asyncio.run(evalwheel_client(url, n, c))
        with tempfile.TemporaryDirectory() as tmp:
            batch = asyncio.run(evalwheel_batch(url, n, c, Path(tmp)))
        base2 = asyncio.run(bare_openai(url, n, c))
    baseline = (base + base2) / 2
    print(
        f"{n} requests, concurrency {c}, server delay {args.delay * 1000:.0f} ms, harness on 1 core"
    )
    print(
        f"bare AsyncOpenAI loop            {base:8.0f} req/s, again at the end {base2:8.0f} req/s"
    )
    print(f"evalwheel ModelClient, cache off {ours:8.0f} req/s   ratio {ours / baseline:.2f}")
    print(f"evalwheel models batch, cache on {batch:8.0f} req/s   ratio {batch / baseline:.2f}")


if __name__ == "__main__":
    main()
