"""The SIGKILL-and-resume check, as a script anyone can run: 1,000 items of the Flow app against a
local OpenAI-compatible server, ``evalwheel run`` killed with SIGKILL at three random points and
resumed; then exactly 1,000 traces, no duplicates, and every aggregate equal to an uninterrupted
run of the same items.

    python bench/sigkill_resume.py [--items 1000] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

from evalwheel.project import init_project
from evalwheel.store.tables import TraceRow
from evalwheel.testing.openai_stub import StubServer
from evalwheel_flow import DATA_DIR


def evalwheel(*args: str, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "evalwheel.cli.app", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with StubServer(delay_s=0.05) as url, tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "p"
        project, _ = init_project(root)
        with open(project.config_path, "a") as f:
            f.write(
                f'\n[models.stub]\nbase_url = "{url}"\nmodel = "m"\nmax_retries = 0\n\n[systems.flow-stub]\napp = "flow"\nmodel = "stub"\n'
            )
        assert (
            evalwheel(
                "dataset",
                "import",
                str(DATA_DIR / "traffic.jsonl"),
                "-n",
                "traffic",
                "-k",
                "traffic",
                cwd=root,
            ).wait()
            == 0
        )
        store = project.open_store()

        def traces(run_id: str) -> tuple[int, int]:
            with store.read() as session:
                total = session.execute(
                    select(func.count()).select_from(TraceRow).where(TraceRow.run_id == run_id)
                ).scalar_one()
                distinct = session.execute(
                    select(func.count()).select_from(
                        select(TraceRow.example_id, TraceRow.repetition)
                        .where(TraceRow.run_id == run_id)
                        .distinct()
                        .subquery()
                    )
                ).scalar_one()
            return total, distinct

        def run_ids() -> list[str]:
            from evalwheel.store.tables import RunRow

            with store.read() as session:
                return list(
                    session.execute(select(RunRow.id).order_by(RunRow.created_at.desc())).scalars()
                )

        started = time.perf_counter()
        proc = evalwheel(
            "run",
            "-s",
            "flow-stub",
            "-d",
            "traffic",
            "--limit",
            str(args.items),
            "--concurrency",
            "2",
            cwd=root,
        )
        run_id = None
        kills = []
        for _ in range(3):
            target = (
                rng.randint(50, args.items - 50)
                if run_id is None
                else min(args.items - 20, kills[-1] + rng.randint(20, 200))
            )
            while True:
                ids = run_ids()
                if ids and traces(ids[0])[0] >= target:
                    run_id = ids[0]
                    break
                if proc.poll() is not None:
                    break
                time.sleep(0.05)
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            kills.append(traces(run_id)[0] if run_id else 0)
            proc = evalwheel("run", "--resume", run_id, "--concurrency", "2", cwd=root)
        assert proc.wait() == 0, proc.stderr.read()
        total, distinct = traces(run_id)
        resumed = json.loads(
            subprocess.run(
                [sys.executable, "-m", "evalwheel.cli.app", "runs", "show", run_id, "--json"],
                cwd=root,
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        fresh = subprocess.run(
            [
                sys.executable,
                "-m",
                "evalwheel.cli.app",
                "run",
                "-s",
                "flow-stub",
                "-d",
                "traffic",
                "--limit",
                str(args.items),
                "--concurrency",
                "2",
                "--json",
            ],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        )
        uninterrupted = json.loads(fresh.stdout)["summary"]
        store.close()
    same = resumed["scorers"] == uninterrupted["scorers"]
    print(
        f"killed at {kills} traces; after resume: {total} traces, {distinct} distinct (item, repetition) pairs"
    )
    print(
        f"aggregates equal to an uninterrupted run: {same}; {time.perf_counter() - started:.0f} s in all"
    )
    ok = total == distinct == args.items and same and all(0 < k < args.items for k in kills)
    print("OK" if ok else "FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
