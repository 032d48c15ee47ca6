"""Overhead of the live shadow proxy (``evalwheel mirror serve``) on the primary's traffic.

A local upstream answering every chat request after 50 ms (its own process) is called at a fixed
concurrency, directly and through the proxy (``serve_mirror``, its own process, sampling 10% to a
candidate), in one run: p50/p99 latency and throughput through the proxy as ratios of the direct
ones (direct measured before and after, averaged; the two direct runs show the noise). Then the
same through the proxy with the candidate 10x slower (500 ms), and with the candidate down (a
closed port). Every answer's SHA-256 is checked against the bytes the upstream must send for that
request: a lost request (error, non-200) or an altered body is counted. The harness runs on CPU 0,
the servers share CPU 1 (``taskset``/affinity where available).

    python bench/proxy_overhead.py [--requests 10000] [--concurrency 16] [--sample 0.1]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def answer_bytes(body: bytes) -> bytes:
    """What the upstream answers to ``body``: deterministic, so the harness knows the checksum."""
    request = json.loads(body)
    text = request["messages"][-1]["content"]
    digest = hashlib.sha256(body).hexdigest()[:16]
    completion = {
        "id": f"chatcmpl-{digest}",
        "object": "chat.completion",
        "created": 1700000000,
        "model": request.get("model", "bench"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": f"echo: {text}"},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 12, "completion_tokens": 6, "total_tokens": 18},
    }
    return json.dumps(completion).encode()


def request_body(i: int) -> bytes:
    return json.dumps(
        {"model": "bench", "messages": [{"role": "user", "content": f"Tag orders over ${i}"}]}
    ).encode()


def run_upstream(port: int, delay_s: float) -> None:
    import uvicorn

    from evalwheel.asgi import lifespan, read_body, send_bytes

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            return await lifespan(receive, send)
        body = await read_body(receive)
        await asyncio.sleep(delay_s)
        await send_bytes(send, 200, answer_bytes(body))

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="error", access_log=False)


def run_proxy(port: int, primary: str, candidate: str, sample: float, workdir: Path) -> None:
    from evalwheel.api.mirroring_live import serve_mirror
    from evalwheel.http_guard import GuardConfig
    from evalwheel.http_server import ListenOptions
    from evalwheel.mirror.shadow_proxy import ShadowConfig
    from evalwheel.mirror.shadow_targets import EndpointTarget
    from evalwheel.store import Store

    store = Store.open(f"sqlite:///{workdir / 'store.db'}", workdir / "blobs")
    serve_mirror(
        ShadowConfig(primary=primary, sample=sample, candidate_timeout_s=10, drain_s=1),
        EndpointTarget(candidate, timeout_s=10),
        store,
        GuardConfig(token=None, max_in_flight=1024, max_queued=1024),
        ListenOptions(port=port, max_connections=4096),
    )
    store.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def child(*args: str, cpu: int | None = 1) -> Iterator[str]:
    """This script in another role and process; yields its base URL once it accepts connections."""
    port = free_port()
    command = [sys.executable, __file__, *args, "--port", str(port)]
    if cpu is not None and shutil.which("taskset"):
        command = ["taskset", "-c", str(cpu), *command]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"{args[1]} did not start") from None
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


@dataclass
class Result:
    label: str
    throughput: float
    p50_ms: float
    p99_ms: float
    lost: int
    altered: int
    stats: dict[str, Any] | None = None


async def load(url: str, n: int, concurrency: int, label: str) -> Result:
    import aiohttp

    latencies: list[float] = []
    lost = altered = 0
    semaphore = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=concurrency)
    headers = {"Content-Type": "application/json"}
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(i: int) -> None:
            nonlocal lost, altered
            body = request_body(i)
            async with semaphore:
                started = time.perf_counter()
                try:
                    async with session.post(
                        url + "/v1/chat/completions", data=body, headers=headers
                    ) as response:
                        payload = await response.read()
                        status = response.status
                except (aiohttp.ClientError, OSError):
                    lost += 1
                    return
                latencies.append(time.perf_counter() - started)
            if status != 200:
                lost += 1
            elif hashlib.sha256(payload).digest() != hashlib.sha256(answer_bytes(body)).digest():
                altered += 1

        started = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(n)))
        elapsed = time.perf_counter() - started
    q = statistics.quantiles(latencies, n=100)
    return Result(label, n / elapsed, q[49] * 1000, q[98] * 1000, lost, altered)


def proxy_stats(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url + "/mirror/stats", timeout=10) as response:
        return dict(json.loads(response.read()))


def measure(args: argparse.Namespace) -> None:
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {0})
    n, c = args.requests, args.concurrency
    run = asyncio.run
    results: list[Result] = []
    with (
        child("--role", "upstream", "--delay", str(args.delay)) as primary,
        child("--role", "upstream", "--delay", str(args.delay)) as candidate,
        child("--role", "upstream", "--delay", str(args.delay * 10)) as slow,
        tempfile.TemporaryDirectory() as tmp,
    ):
        run(load(primary, min(n, 500), c, "warm-up"))
        results.append(run(load(primary, n, c, "direct")))
        down = f"http://127.0.0.1:{free_port()}"
        for label, target in (
            ("proxy, candidate 50 ms", candidate),
            ("proxy, candidate 500 ms", slow),
            ("proxy, candidate down", down),
        ):
            workdir = Path(tmp) / label.replace(" ", "_").replace(",", "")
            workdir.mkdir()
            proxy_args = ["--role", "proxy", "--primary", primary, "--candidate", target]
            proxy_args += ["--sample", str(args.sample), "--workdir", str(workdir)]
            with child(*proxy_args) as proxy:
                run(load(proxy, min(n, 500), c, "warm-up"))
                result = run(load(proxy, n, c, label))
                result.stats = proxy_stats(proxy)
            results.append(result)
        results.append(run(load(primary, n, c, "direct again")))
    direct = [r for r in results if r.label.startswith("direct")]
    base_rps = statistics.mean(r.throughput for r in direct)
    base_p50 = statistics.mean(r.p50_ms for r in direct)
    base_p99 = statistics.mean(r.p99_ms for r in direct)
    print(
        f"{n} requests per row, concurrency {c}, upstream answers after {args.delay * 1000:.0f} ms, "
        f"sample {args.sample:g}; ratios against the mean of the two direct rows"
    )
    header = f"{'':26}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'rps x':>8}{'p50 x':>7}{'p99 x':>7}"
    print(header + f"{'lost':>6}{'altered':>8}")
    for r in results:
        print(
            f"{r.label:26}{r.throughput:8.0f}{r.p50_ms:9.1f}{r.p99_ms:9.1f}"
            f"{r.throughput / base_rps:8.2f}{r.p50_ms / base_p50:7.2f}{r.p99_ms / base_p99:7.2f}"
            f"{r.lost:6d}{r.altered:8d}"
        )
    for r in results:
        if r.stats:
            s = r.stats
            print(
                f"{r.label:26}sampled {s['sampled']}, dropped {s['dropped']}, sent {s['sent']}, "
                f"candidate errors {s['candidate_errors']}, queued at the end {s['queued']}, "
                f"recorded {s['recorded']}"
            )
    proxied = [r for r in results if r.stats]
    print(
        f"primary requests through the proxy: {len(proxied) * n}, "
        f"lost {sum(r.lost for r in proxied)}, altered {sum(r.altered for r in proxied)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--sample", type=float, default=0.1)
    parser.add_argument("--delay", type=float, default=0.05)
    parser.add_argument("--role", choices=["bench", "upstream", "proxy"], default="bench")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--primary")
    parser.add_argument("--candidate")
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args()
    if args.role == "upstream":
        run_upstream(args.port, args.delay)
    elif args.role == "proxy":
        run_proxy(args.port, args.primary, args.candidate, args.sample, args.workdir)
    else:
        measure(args)


if __name__ == "__main__":
    main()
