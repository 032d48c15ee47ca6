"""Where each item came from: conversations, turns and the provenance stored in its metadata.

Every item says its ``source`` (file, format, line, and for spans the trace and span ids),
``seen_at`` (when production served it, ISO-8601 UTC; absent when the log has no time),
``conversation_id`` and ``turn`` (0-based within the conversation, by time when every call of the
conversation has one, else by position in the file). A record without a conversation is a
conversation of its own.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from evalwheel.traffic.records import TrafficRecord, iso

PROVENANCE_KEYS = ("source", "seen_at", "conversation_id", "turn")


def assign_turns(records: list[TrafficRecord]) -> list[tuple[TrafficRecord, int]]:
    """Each record with its turn, conversations in order of first appearance, turns in order."""
    groups: dict[str, list[tuple[int, TrafficRecord]]] = defaultdict(list)
    for index, record in enumerate(records):
        if record.conversation_id is None:
            record.conversation_id = record.key
        groups[record.conversation_id].append((index, record))
    ordered: list[tuple[TrafficRecord, int]] = []
    for members in groups.values():
        if all(r.seen_at is not None for _, r in members):
            members.sort(key=lambda m: (m[1].seen_at, m[1].line, m[0]))
        else:
            members.sort(key=lambda m: (m[1].line, m[0]))
        ordered.extend((record, turn) for turn, (_, record) in enumerate(members))
    return ordered


def provenance(record: TrafficRecord, turn: int, file_name: str, fmt: str) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "source": {"file": file_name, "format": fmt, "line": record.line, **record.origin},
        "conversation_id": record.conversation_id,
        "turn": turn,
    }
    if record.seen_at is not None:
        meta["seen_at"] = iso(record.seen_at)
    return meta
