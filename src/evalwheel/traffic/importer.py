"""A traffic file to examples ready to store: read, check everything, group, redact, validate.

All or nothing: every record of the file is read and checked first; any problem raises
``TrafficImportFailed`` listing each as ``FILE:LINE: field: message`` and nothing is stored.
Redaction runs on every record before it becomes an example, so no unredacted text reaches the
store (nor the content hashes).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from evalwheel.core.dataset import DatasetKind
from evalwheel.datasets.importer import (
    MAX_REPORTED_ERRORS,
    ImportFailed,
    PreparedExample,
    row_to_example,
)
from evalwheel.datasets.kinds import row_schema
from evalwheel.datasets.readers import RawRow, RowError
from evalwheel.errors import InputError
from evalwheel.inputfiles import JsonProblem, iter_lines, loads
from evalwheel.traffic.chat_logs import read_chat
from evalwheel.traffic.field_mapping import read_mapped
from evalwheel.traffic.otlp_records import read_otlp
from evalwheel.traffic.pii import Redactor
from evalwheel.traffic.provenance import PROVENANCE_KEYS, assign_turns, provenance
from evalwheel.traffic.records import FORMATS, ReadResult

_SNIFF_BYTES = 1 << 16


class TrafficImportFailed(ImportFailed):
    """Bad records; ``file``, ``line`` and ``field`` name the first, ``errors`` lists them all."""

    def __init__(self, path: Path, errors: list[RowError], truncated: bool) -> None:
        super().__init__(path, errors, truncated)
        self.file, self.line, self.field = str(path), errors[0].line, errors[0].field


@dataclass
class PreparedTraffic:
    examples: list[PreparedExample]
    format: str
    conversations: int
    skipped_spans: int
    redactions: dict[str, int] = field(default_factory=dict)


def detect_traffic_format(path: Path) -> str:
    """``otlp`` for a trace export, ``chat`` for chat-completion logs, else ``jsonl``."""
    for _, text, _ in iter_lines(path):
        if text is None or not text.strip():
            if text is None:
                return "jsonl"  # its reader reports the unreadable line
            continue
        try:
            first = loads(text)
        except JsonProblem:
            with open(path, "rb") as f:
                return "otlp" if b'"resourceSpans"' in f.read(_SNIFF_BYTES) else "jsonl"
        if isinstance(first, dict) and "resourceSpans" in first:
            return "otlp"
        request = first.get("request") if isinstance(first, dict) else None
        if isinstance(first, dict) and (
            isinstance(first.get("messages"), list)
            or (isinstance(request, dict) and "messages" in request)
        ):
            return "chat"
        return "jsonl"
    return "jsonl"


def read_traffic(path: Path, fmt: str, mapping: dict[str, str]) -> ReadResult:
    if mapping and fmt != "jsonl":
        raise InputError(f"--map applies to --format jsonl, not {fmt}", field="map")
    if fmt == "otlp":
        return read_otlp(path)
    if fmt == "chat":
        return read_chat(path)
    return read_mapped(path, mapping)


def _pseudonym(original: str, redacted: str) -> str:
    """An id that held personal data becomes a hash of it: still unique, no longer readable."""
    if redacted == original:
        return original
    return "h" + hashlib.sha256(original.encode("utf-8")).hexdigest()[:12]


def prepare_traffic(
    path: Path, fmt: str | None, mapping: dict[str, str], redactor: Redactor
) -> PreparedTraffic:
    """Every record of ``path`` as an example of kind ``traffic``, or ``TrafficImportFailed``."""
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    if fmt is not None and fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}", field="format")
    fmt = fmt or detect_traffic_format(path)
    result = read_traffic(path, fmt, mapping)
    errors = result.errors
    if not errors and not result.records:
        what = "model-call spans" if fmt == "otlp" else "records"
        if result.skipped:
            what += f" ({result.skipped} other spans: tool, agent, chain…)"
        errors = [RowError(1, "(file)", f"no {what}")]
    if errors:
        truncated = len(errors) > MAX_REPORTED_ERRORS
        raise TrafficImportFailed(path, errors[:MAX_REPORTED_ERRORS], truncated)
    schema = row_schema(DatasetKind.TRAFFIC)
    prepared: list[PreparedExample] = []
    first_line: dict[str, int] = {}
    conversations: dict[str, str] = {}
    for record, turn in assign_turns(result.records):
        meta = {k: v for k, v in redactor.value(record.details).items() if k not in PROVENANCE_KEYS}
        record.key = _pseudonym(record.key, redactor.text(record.key))
        conversation = record.conversation_id or record.key
        if conversation not in conversations:
            conversations[conversation] = _pseudonym(conversation, redactor.text(conversation))
        record.conversation_id = conversations[conversation]
        meta.update(provenance(record, turn, path.name, fmt))
        row = {
            "id": record.key,
            "input": redactor.value(record.input),
            "output": redactor.value(record.output),
            "tags": redactor.value(record.tags),
            "metadata": meta,
        }
        example, problems = row_to_example(RawRow(record.line, row), schema)
        if problems or example is None:
            errors.extend(problems)
            continue
        if example.example_id in first_line:
            first = first_line[example.example_id]
            errors.append(
                RowError(
                    record.line,
                    "id",
                    f"duplicate id {example.example_id!r} (first at line {first})",
                )
            )
            continue
        first_line[example.example_id] = record.line
        prepared.append(example)
    if errors:
        raise TrafficImportFailed(
            path, errors[:MAX_REPORTED_ERRORS], len(errors) > MAX_REPORTED_ERRORS
        )
    return PreparedTraffic(
        examples=prepared,
        format=fmt,
        conversations=len(set(conversations.values())),
        skipped_spans=result.skipped,
        redactions=dict(sorted(Counter(redactor.counts).items())),
    )
