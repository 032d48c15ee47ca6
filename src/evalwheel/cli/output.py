"""How commands talk: results to stdout (text or ``--json``), messages and progress to stderr.

Exit codes, the same for every command:
  0  success
  1  a check ran and failed (e.g. ``dataset diff --exit-code`` found differences, a gate failed)
  2  usage or input error (bad arguments, bad file, unknown dataset); nothing was changed
  3  internal error (a bug: please report it with the traceback from ``EVALWHEEL_DEBUG=1``)
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_INPUT_ERROR = 2
EXIT_INTERNAL_ERROR = 3

out = Console(soft_wrap=True, emoji=False)
err = Console(stderr=True, soft_wrap=True, emoji=False)


class InputError(Exception):
    """Bad input from the user: printed without a traceback, exit code 2."""


def fail(message: str, code: int = EXIT_INPUT_ERROR) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", markup=True, highlight=False)
    raise typer.Exit(code)


def emit_json(value: Any) -> None:
    """Write a JSON document to stdout (pydantic models are dumped in JSON mode)."""
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    elif isinstance(value, list):
        value = [v.model_dump(mode="json") if isinstance(v, BaseModel) else v for v in value]
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False, default=str) + "\n")


def info(message: str) -> None:
    err.print(message, highlight=False)


@contextmanager
def progress_bar() -> Iterator[Progress]:
    """A progress display on stderr; on a non-terminal it stays quiet instead of spamming logs."""
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        disable=not err.is_terminal,
    )
    with progress:
        yield progress
