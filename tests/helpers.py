"""Small helpers for tests: writing data files and running the CLI in-process or as a process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from evalwheel.cli.app import app

runner = CliRunner()


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> Path:
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row) + "\n")
    return path


def benchmark_rows(n: int, start: int = 0, prefix: str = "item") -> list[dict[str, Any]]:
    return [
        {
            "id": f"{prefix}-{i}",
            "input": f"When an order is over ${i}, tag the customer VIP.",
            "reference": {"threshold": i},
            "tags": ["tagging" if i % 3 else "notes"],
        }
        for i in range(start, start + n)
    ]


def cli(*args: str) -> Any:
    """Run the CLI in-process; returns click's Result (exit_code, stdout, stderr)."""
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def cli_json(*args: str) -> Any:
    result = cli(*args, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def cli_process(
    *args: str, cwd: Path, env: dict[str, str] | None = None, **kw: Any
) -> subprocess.Popen:
    """Start the real console entry point in a separate process."""
    return subprocess.Popen(
        [sys.executable, "-m", "evalwheel.cli.app", *map(str, args)],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kw,
    )
