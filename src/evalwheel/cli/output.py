"""How commands talk: results to stdout (text or ``--json``), messages and progress to stderr.

Exit codes, the same for every command:
  0  success
  1  a check ran and failed (e.g. ``dataset diff --exit-code`` found differences, a gate failed)
  2  usage or input error (bad arguments, bad file, unknown dataset); nothing was changed
  3  internal error (a bug: please report it with the traceback from ``EVALWHEEL_DEBUG=1``)
"""

from __future__ import annotations

import json
import math
import re
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
from rich.text import Text

from evalwheel.errors import EXIT_CHECK_FAILED, EXIT_INPUT_ERROR, EXIT_INTERNAL_ERROR, EXIT_OK

__all__ = [
    "EXIT_CHECK_FAILED",
    "EXIT_INPUT_ERROR",
    "EXIT_INTERNAL_ERROR",
    "EXIT_OK",
    "err",
    "error_line",
    "fail",
    "out",
    "visible",
    "warn",
]

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def visible(text: str) -> str:
    """Control characters (ESC, CR, BEL, C1…) as ``\\xNN`` so data cannot drive the terminal."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


class SafeConsole(Console):
    """A console that never reads markup from strings and shows control characters escaped.

    Every string printed through it is data, whatever it contains (``[/]``, ``[bold]``, ESC); style
    comes only from ``rich.text.Text`` objects built on purpose.
    """

    def render_str(self, text: str, **kwargs: Any) -> Text:  # type: ignore[override]
        kwargs["markup"] = False
        kwargs["highlight"] = False
        kwargs["emoji"] = False
        return super().render_str(visible(text), **kwargs)


out = SafeConsole(soft_wrap=True, emoji=False, markup=False, highlight=False)
err = SafeConsole(stderr=True, soft_wrap=True, emoji=False, markup=False, highlight=False)


def _labelled(label: str, style: str, message: str) -> Text:
    return Text.assemble((label, style), " ", visible(message))


def error_line(message: str) -> None:
    """``error: MESSAGE`` on stderr, the message printed as plain text."""
    err.print(_labelled("error:", "bold red", message))


def warn(message: str) -> None:
    """``warning: MESSAGE`` on stderr, the message printed as plain text."""
    err.print(_labelled("warning:", "yellow", message))


def fail(message: str, code: int = EXIT_INPUT_ERROR) -> NoReturn:
    """Print one error line and leave the command with ``code``."""
    error_line(message)
    raise typer.Exit(code)


def finite_or_none(value: float | None) -> float | None:
    """An option callback refusing NaN and infinity (click's ranges let NaN through)."""
    if value is not None and not math.isfinite(value):
        raise typer.BadParameter(f"must be a finite number, not {value}")
    return value


def emit_json(value: Any) -> None:
    """Write a JSON document to stdout (pydantic models are dumped in JSON mode)."""
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    elif isinstance(value, list):
        value = [v.model_dump(mode="json") if isinstance(v, BaseModel) else v for v in value]
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False, default=str) + "\n")


def info(message: str) -> None:
    """A message for the person at the terminal (stderr, plain text)."""
    err.print(message)


@contextmanager
def progress_bar() -> Iterator[Progress]:
    """A progress display on stderr; on a non-terminal it stays quiet instead of spamming logs."""
    progress = Progress(
        TextColumn("{task.description}", markup=False),
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
