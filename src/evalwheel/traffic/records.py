"""What every traffic reader produces: one model call, before grouping, redaction and storage."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from evalwheel.datasets.readers import RowError

FORMATS = ("otlp", "chat", "jsonl")


@dataclass
class TrafficRecord:
    """One request and the answer production gave.

    ``key`` is the deterministic item id (from the span, the log's id, or the line), so importing
    the same file twice gives the same version. ``conversation_id`` is None when the source has
    none; the importer then gives the record a conversation of its own. ``details`` (the log's
    other fields, the model) are redacted like the messages; ``origin`` (trace and span ids) is
    where the record came from and is stored as is.
    """

    line: int
    key: str
    input: Any
    output: Any = None
    conversation_id: str | None = None
    seen_at: datetime | None = None
    tags: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    origin: dict[str, Any] = field(default_factory=dict)


@dataclass
class ReadResult:
    """Records and problems of one file; a non-empty ``errors`` means nothing is stored."""

    records: list[TrafficRecord] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    skipped: int = 0


def from_unix(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def parse_time(value: Any) -> datetime:
    """A log's time: ISO-8601 text (no zone means UTC) or a Unix time in s, ms, µs or ns.

    ``ValueError`` when it is neither.
    """
    if isinstance(value, bool):
        raise ValueError("expected a time, got a boolean")
    if isinstance(value, int | float) or (isinstance(value, str) and value.strip().isdigit()):
        number = float(value)
        for scale in (1, 1e3, 1e6, 1e9):  # the first that lands before the year 2300
            if number / scale < 1e10:
                return from_unix(number / scale)
        raise ValueError(f"time {value!r} is out of range")
    if not isinstance(value, str):
        raise ValueError(f"expected ISO-8601 text or a Unix time, got {type(value).__name__}")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"not an ISO-8601 time: {value[:40]!r}") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def iso(moment: datetime) -> str:
    """``2025-01-31T09:30:00.123456Z``: UTC, one spelling for every source."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
