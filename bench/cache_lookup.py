"""(c) Call-cache cost: lookup time and store size per 100,000 entries.

Fills a fresh SQLite store with N cached responses through ``CallCache`` (batched writes), then
times N random ``get`` calls. The baseline is a bare primary-key SELECT on the same table with the
sqlite3 module, in the same run; the ratio is what evalwheel's layer (key handling, validation of
the stored response into a ChatResponse) adds.

    python bench/cache_lookup.py [--entries 100000]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--lookups", type=int, default=20_000)
    args = parser.parse_args()

    from evalwheel.llm.cache import CallCache, cache_key
    from evalwheel.llm.types import ChatRequest, ChatResponse, Usage
    from evalwheel.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "store.db"
        store = Store.open(f"sqlite:///{db}", Path(tmp) / "blobs")
        empty = db.stat().st_size + (
            Path(f"{db}-wal").stat().st_size if Path(f"{db}-wal").exists() else 0
        )
        cache = CallCache(store, flush_every=5000)
        identity = {"provider": "openai", "base_url": "http://127.0.0.1:1/v1", "model": "m"}
        keys = []
        started = time.perf_counter()
        for i in range(args.entries):
            body = ChatRequest(
                messages=[{"role": "user", "content": f"Tag orders over ${i} as VIP, please."}]
            ).payload()
            key = cache_key(identity, body)
            keys.append(key)
            response = ChatResponse(
                content=f"Added a workflow with threshold {i}.",
                usage=Usage(input_tokens=20, output_tokens=12),
            )
            cache.put(key, identity, body, response)
        cache.flush()
        fill_s = time.perf_counter() - started
        store.close()
        raw = sqlite3.connect(db)
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        raw.close()
        size = db.stat().st_size - empty
        store = Store.open(f"sqlite:///{db}", Path(tmp) / "blobs")
        cache = CallCache(store)

        sample = random.Random(0).sample(keys, min(args.lookups, len(keys)))
        started = time.perf_counter()
        for key in sample:
            assert cache.get(key) is not None
        ours = (time.perf_counter() - started) / len(sample)

        conn = sqlite3.connect(db)
        started = time.perf_counter()
        for key in sample:
            assert conn.execute("SELECT response FROM call_cache WHERE key = ?", (key,)).fetchone()
        bare = (time.perf_counter() - started) / len(sample)
        conn.close()
        store.close()

    per_100k = size / args.entries * 100_000
    print(f"{args.entries} entries written in {fill_s:.1f} s ({args.entries / fill_s:,.0f}/s)")
    print(
        f"store size: {per_100k / 1e6:.1f} MB per 100,000 entries ({size / args.entries:.0f} bytes each)"
    )
    print(f"bare sqlite3 PK lookup      {bare * 1e6:7.1f} µs")
    print(f"evalwheel CallCache.get     {ours * 1e6:7.1f} µs   ratio {ours / bare:.2f}")


if __name__ == "__main__":
    main()
