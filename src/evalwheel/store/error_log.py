"""Database errors as one line for the terminal, with the full detail in a log file.

SQLAlchemy's message carries the statement and its parameters: kilobytes of SQL with model output
in it. A person needs to know what happened ("the disk is full", "another process holds this
run"); the detail, with secrets redacted, goes to ``.evalwheel/logs/store-errors.log``.
"""

from __future__ import annotations

import errno
import traceback
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.exc import IntegrityError, OperationalError, StatementError

from evalwheel.redaction import redact_text

LOG_NAME = "store-errors.log"

_PATTERNS = (
    (("database or disk is full", "no space left", "disk full", "diskfull"), "the disk is full"),
    (("database is locked", "lock timeout", "could not obtain lock"), "the database is locked"),
    (
        ("readonly database", "read-only", "attempt to write a readonly"),
        "the database is read-only",
    ),
    (("disk i/o error",), "a disk I/O error"),
    (
        ("database disk image is malformed", "file is not a database"),
        "the database file is damaged",
    ),
    (
        ("could not connect", "connection refused", "connection timed out", "server closed"),
        "the database server cannot be reached",
    ),
)


def summarize_db_error(exc: StatementError, log_dir: Path | None, where: str) -> str:
    """One line saying what went wrong, and where the detail was written (when it could be)."""
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).lower()
    what = next((label for keys, label in _PATTERNS if any(k in text for k in keys)), None)
    if what is None and isinstance(orig, OSError) and orig.errno == errno.ENOSPC:
        what = "the disk is full"
    if what is None:
        if isinstance(exc, IntegrityError):
            what = "a record conflicts with one already stored"
        elif isinstance(exc, OperationalError):
            what = f"the database refused the operation ({_first_line(str(orig or exc))})"
        else:
            what = f"database error {type(orig or exc).__name__}: {_first_line(str(orig or exc))}"
    logged = _log(exc, log_dir)
    suffix = f"; details in {logged}" if logged else ""
    return f"store {where}: {redact_text(what)}{suffix}"


def _first_line(text: str, limit: int = 160) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    line = line.split("[SQL:")[0].strip()
    return line if len(line) <= limit else line[:limit] + "…"


def _log(exc: BaseException, log_dir: Path | None) -> Path | None:
    if log_dir is None:
        return None
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        path = log_dir / LOG_NAME
        detail = "".join(traceback.format_exception(exc))
        with open(path, "a", encoding="utf-8") as f:
            f.write(f"--- {datetime.now(UTC).isoformat()}\n{redact_text(detail)}\n")
        return path
    except OSError:  # the disk may be the problem: the one-line summary still gets out
        return None
