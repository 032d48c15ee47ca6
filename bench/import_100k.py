"""Dataset import of 100,000 rows: wall time and peak memory, against baselines from the same run.

Baselines:
- parse: reading the same JSONL with ``json.loads`` per line and nothing else (the floor for any
  importer that looks at every row);
- sqlite: inserting the same rows as (id, JSON text) into a bare SQLite table with ``executemany``
  in one transaction (the floor for storing them).

evalwheel does both plus validation against the kind's schema, content hashing, dedup, and the
version/item rows, so its ratio against parse + sqlite says what that costs. Each phase runs in its
own subprocess so peak RSS is measured per phase.

    python bench/import_100k.py [--rows 100000]
"""

from __future__ import annotations

import argparse
import json
import resource
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path


def make_file(path: Path, rows: int) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for i in range(rows):
            row = {
                "id": f"item-{i}",
                "input": f"When an order is over ${i % 1000}, tag the customer VIP and email ops.",
                "reference": {"trigger": "order_created", "threshold": i % 1000, "tags": ["VIP"]},
                "tags": ["tagging", f"bucket-{i % 7}"],
            }
            f.write(json.dumps(row) + "\n")


def phase_parse(path: Path) -> None:
    with open(path, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    assert rows


def phase_sqlite(path: Path, db: Path) -> None:
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (id TEXT PRIMARY KEY, payload TEXT)")
    with open(path, encoding="utf-8") as f, conn:
        conn.executemany(
            "INSERT INTO t VALUES (?, ?)", ((json.loads(line)["id"], line) for line in f)
        )
    conn.close()


def phase_evalwheel(path: Path, project: Path) -> None:
    from evalwheel.core.dataset import DatasetKind
    from evalwheel.datasets.importer import validate_file
    from evalwheel.project import init_project
    from evalwheel.store.datasets import DatasetRepository

    proj, _ = init_project(project)
    store = proj.open_store()
    prepared = validate_file(path, DatasetKind.BENCHMARK)
    version, created = DatasetRepository(store).save_version(
        "bench", DatasetKind.BENCHMARK, prepared
    )
    assert created and version.n_items == len(prepared)
    store.close()


def run_phase(name: str, *args: str) -> tuple[float, float]:
    """Run one phase in a fresh interpreter; returns (seconds, peak RSS MiB)."""
    code = (
        f"import sys, time, resource; sys.path.insert(0, {str(Path(__file__).parent)!r}); import import_100k as b; "
        f"t = time.perf_counter(); b.phase_{name}(*map(__import__('pathlib').Path, sys.argv[1:])); "
        "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, *args], check=True, capture_output=True, text=True
    )
    seconds, rss = out.stdout.split()
    return float(seconds), float(rss)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        data = tmpdir / "rows.jsonl"
        make_file(data, args.rows)
        size_mb = data.stat().st_size / 1e6
        parse_s, parse_mb = run_phase("parse", str(data))
        sqlite_s, sqlite_mb = run_phase("sqlite", str(data), str(tmpdir / "bare.db"))
        ew_s, ew_mb = run_phase("evalwheel", str(data), str(tmpdir / "proj"))
    floor = parse_s + sqlite_s
    print(
        f"rows={args.rows} file={size_mb:.1f} MB  (peak RSS of an idle interpreter ~{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB)"
    )
    print(f"baseline parse only          {parse_s:7.2f} s  peak {parse_mb:7.1f} MiB")
    print(f"baseline bare sqlite insert  {sqlite_s:7.2f} s  peak {sqlite_mb:7.1f} MiB")
    print(
        f"evalwheel dataset import     {ew_s:7.2f} s  peak {ew_mb:7.1f} MiB  ({args.rows / ew_s:,.0f} rows/s)"
    )
    print(f"ratio time   evalwheel / (parse + bare insert) = {ew_s / floor:.2f}")
    print(f"ratio memory evalwheel / parse-only peak       = {ew_mb / parse_mb:.2f}")


if __name__ == "__main__":
    main()
