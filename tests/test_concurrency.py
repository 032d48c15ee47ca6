"""Several processes against one store, and processes killed mid-import (real OS processes)."""

import os
import random
import signal
import time
from pathlib import Path

import pytest

from evalwheel.project import Project
from evalwheel.store.datasets import DatasetRepository
from tests.helpers import benchmark_rows, cli_process, write_jsonl

pytestmark = pytest.mark.slow


def _repo_versions(project: Project):
    store = project.open_store()
    try:
        return DatasetRepository(store).list_versions(), store.integrity_check()
    finally:
        store.close()


def test_two_processes_importing_at_once_lose_nothing(project: Project, tmp_path: Path):
    a = write_jsonl(tmp_path / "a.jsonl", benchmark_rows(4000, prefix="a"))
    b = write_jsonl(tmp_path / "b.jsonl", benchmark_rows(4000, prefix="b"))
    c = write_jsonl(tmp_path / "c.jsonl", benchmark_rows(3000, prefix="c"))
    procs = [
        cli_process("dataset", "import", a, "-n", "shared", "-k", "benchmark", cwd=project.root),
        cli_process("dataset", "import", b, "-n", "shared", "-k", "benchmark", cwd=project.root),
        cli_process("dataset", "import", c, "-n", "other", "-k", "benchmark", cwd=project.root),
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    versions, integrity = _repo_versions(project)
    assert integrity == "ok"
    shared = sorted((v for v in versions if v.name == "shared"), key=lambda v: v.seq)
    assert [v.seq for v in shared] == [1, 2]
    assert sorted(v.n_items for v in shared) == [4000, 4000]
    assert [v.n_items for v in versions if v.name == "other"] == [3000]
    store = project.open_store()
    try:
        repo = DatasetRepository(store)
        for version in shared:
            ids = [e.id for e in repo.iter_examples(version.version_id)]
            assert len(ids) == 4000 and len(set(ids)) == 4000
    finally:
        store.close()


def _start_and_kill_while_writing(project: Project, path: Path, name: str, delay: float) -> bool:
    """Start an import, wait until it reports writing, kill -9 after ``delay``; True if it was mid-way."""
    proc = cli_process("dataset", "import", path, "-n", name, "-k", "benchmark", cwd=project.root)
    assert proc.stderr is not None
    deadline = time.monotonic() + 120
    for line in proc.stderr:
        if line.startswith("validated "):
            break
        assert time.monotonic() < deadline, "import never reached the writing phase"
    time.sleep(delay)
    still_running = proc.poll() is None
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    return still_running


def test_sigkill_mid_import_leaves_the_store_consistent_and_the_import_absent(
    project: Project, tmp_path: Path
):
    first = write_jsonl(tmp_path / "first.jsonl", benchmark_rows(1000, prefix="f"))
    proc = cli_process(
        "dataset", "import", first, "-n", "kept", "-k", "benchmark", cwd=project.root
    )
    assert proc.wait(timeout=120) == 0
    big = write_jsonl(tmp_path / "big.jsonl", benchmark_rows(60_000, prefix="big"))
    rng = random.Random(0)
    killed_mid_way = 0
    for attempt in range(3):
        if _start_and_kill_while_writing(project, big, "big", rng.uniform(0.0, 0.4)):
            killed_mid_way += 1
        versions, integrity = _repo_versions(project)
        assert integrity == "ok", f"attempt {attempt}"
        assert [v.name for v in versions] == ["kept"], f"attempt {attempt}: partial import visible"
        assert versions[0].n_items == 1000
    assert killed_mid_way >= 1, "every import finished before the kill: make the file bigger"
    # The store is still usable and the import now succeeds whole.
    proc = cli_process("dataset", "import", big, "-n", "big", "-k", "benchmark", cwd=project.root)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    versions, integrity = _repo_versions(project)
    assert integrity == "ok"
    assert {v.name: v.n_items for v in versions} == {"kept": 1000, "big": 60_000}
