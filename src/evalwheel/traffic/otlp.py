"""OTLP JSON trace files: the collector's file exporter output, or one exported document.

A file holds ``{"resourceSpans": [{"resource", "scopeSpans": [{"scope", "spans": [...]}]}]}``,
either one document (possibly pretty-printed) or one such object per line. Attribute values are
typed (``{"stringValue": ...}``, ``{"intValue": "7"}``, ``{"arrayValue": {"values": [...]}}``)
and are decoded to plain JSON here. Every span gets a ``where`` path
(``resourceSpans[0].scopeSpans[1].spans[2]``) so an error names the span it is about.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from evalwheel.datasets.readers import RowError
from evalwheel.errors import InputError
from evalwheel.inputfiles import JsonProblem, iter_lines, load_json_file, loads
from evalwheel.traffic.records import from_unix

_HEX = re.compile(r"^[0-9a-fA-F]+$")


class SpanProblem(ValueError):
    """A problem at ``field`` (a path under the span's ``where``)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


@dataclass
class Span:
    line: int
    where: str
    trace_id: str
    span_id: str
    name: str
    start: datetime | None
    attributes: dict[str, Any]
    resource: dict[str, Any]
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def label(self) -> str:
        return f"span {self.name!r}, spanId {self.span_id}"


def any_value(value: Any, where: str) -> Any:
    """An OTLP ``AnyValue`` as plain JSON (int64 arrives as text in OTLP JSON)."""
    if not isinstance(value, dict):
        raise SpanProblem(where, f"expected a typed value object, got {type(value).__name__}")
    if not value:
        return None
    if len(value) != 1:
        raise SpanProblem(where, f"expected one typed value, got {', '.join(sorted(value))}")
    kind, inner = next(iter(value.items()))
    if kind in ("stringValue", "boolValue", "doubleValue"):
        return inner
    if kind == "intValue":
        try:
            return int(inner)
        except (TypeError, ValueError):
            raise SpanProblem(where, f"intValue {inner!r} is not an integer") from None
    if kind == "bytesValue":
        try:
            return base64.b64decode(inner, validate=True).hex()
        except (binascii.Error, TypeError):
            raise SpanProblem(where, "bytesValue is not base64") from None
    if kind == "arrayValue":
        values = inner.get("values", []) if isinstance(inner, dict) else None
        if not isinstance(values, list):
            raise SpanProblem(where, "arrayValue needs a values list")
        return [any_value(v, f"{where}[{i}]") for i, v in enumerate(values)]
    if kind == "kvlistValue":
        values = inner.get("values", []) if isinstance(inner, dict) else None
        if not isinstance(values, list):
            raise SpanProblem(where, "kvlistValue needs a values list")
        return key_values(values, where)
    raise SpanProblem(where, f"unknown value type {kind!r}")


def key_values(items: Any, where: str) -> dict[str, Any]:
    """A list of ``{"key", "value"}`` pairs (attributes) as a dict."""
    if not isinstance(items, list):
        raise SpanProblem(where, f"expected a list of key/value pairs, got {type(items).__name__}")
    out: dict[str, Any] = {}
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("key"), str):
            raise SpanProblem(f"{where}[{i}]", 'expected {"key": ..., "value": {...}}')
        key = item["key"]
        out[key] = any_value(item.get("value", {}), f"{where}[{key}]")
    return out


def _hex_id(value: Any, length: int, field_name: str) -> str:
    if not isinstance(value, str) or not value:
        raise SpanProblem(field_name, "required")
    if len(value) != length or not _HEX.match(value) or not value.strip("0"):
        raise SpanProblem(field_name, f"expected {length} hex digits, not all zero")
    return value.lower()


def _start(value: Any) -> datetime | None:
    if value in (None, "", 0, "0"):
        return None
    try:
        nanos = int(value)
    except (TypeError, ValueError):
        raise SpanProblem("startTimeUnixNano", f"not a number of nanoseconds: {value!r}") from None
    return from_unix(nanos / 1e9)


def _span(line: int, where: str, raw: Any, resource: dict[str, Any]) -> Span:
    if not isinstance(raw, dict):
        raise SpanProblem("", f"expected a span object, got {type(raw).__name__}")
    attributes = key_values(raw.get("attributes", []), "attributes")
    events = []
    for i, event in enumerate(raw.get("events", []) or []):
        if not isinstance(event, dict):
            raise SpanProblem(f"events[{i}]", "expected an event object")
        events.append(
            (str(event.get("name", "")), key_values(event.get("attributes", []), f"events[{i}]"))
        )
    return Span(
        line=line,
        where=where,
        trace_id=_hex_id(raw.get("traceId"), 32, "traceId"),
        span_id=_hex_id(raw.get("spanId"), 16, "spanId"),
        name=str(raw.get("name", "")),
        start=_start(raw.get("startTimeUnixNano")),
        attributes=attributes,
        resource=resource,
        events=events,
    )


def _list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise SpanProblem(where, f"expected a list, got {type(value).__name__}")
    return value


def document_spans(line: int, doc: Any) -> tuple[list[Span], list[RowError]]:
    """Every span of one ``ExportTraceServiceRequest`` document, and the problems found."""
    spans: list[Span] = []
    errors: list[RowError] = []
    if not isinstance(doc, dict) or "resourceSpans" not in doc:
        return [], [RowError(line, "resourceSpans", "required (not an OTLP JSON trace export)")]
    try:
        resources = _list(doc["resourceSpans"], "resourceSpans")
    except SpanProblem as exc:
        return [], [RowError(line, exc.field, str(exc))]
    for r, resource_spans in enumerate(resources):
        base = f"resourceSpans[{r}]"
        try:
            if not isinstance(resource_spans, dict):
                raise SpanProblem(base, "expected an object")
            resource = resource_spans.get("resource") or {}
            resource_attrs = key_values(
                resource.get("attributes", []), f"{base}.resource.attributes"
            )
            scopes = _list(resource_spans.get("scopeSpans"), f"{base}.scopeSpans")
        except SpanProblem as exc:
            errors.append(RowError(line, exc.field, str(exc)))
            continue
        for s, scope_spans in enumerate(scopes):
            scope_where = f"{base}.scopeSpans[{s}]"
            try:
                raw_spans = _list(
                    scope_spans.get("spans") if isinstance(scope_spans, dict) else scope_spans,
                    f"{scope_where}.spans",
                )
            except SpanProblem as exc:
                errors.append(RowError(line, exc.field, str(exc)))
                continue
            for i, raw in enumerate(raw_spans):
                where = f"{scope_where}.spans[{i}]"
                try:
                    spans.append(_span(line, where, raw, resource_attrs))
                except SpanProblem as exc:
                    name = raw.get("name") if isinstance(raw, dict) else None
                    label = f" (span {name!r})" if isinstance(name, str) else ""
                    errors.append(
                        RowError(line, f"{where}.{exc.field}".rstrip("."), f"{exc}{label}")
                    )
    return spans, errors


def read_documents(path: Path) -> Iterator[tuple[int, Any, RowError | None]]:
    """``(line, document, problem)``: one per line (collector file exporter) or, when the first
    line is not a JSON document of its own, the whole file as one document at line 1."""
    lines = iter_lines(path)
    pending: list[tuple[int, str | None, str | None]] = []
    for number, text, problem in lines:
        if text is not None and not text.strip():
            continue
        pending.append((number, text, problem))
        break
    if not pending:
        return
    first_text = pending[0][1]
    if first_text is not None:
        try:
            loads(first_text)
        except JsonProblem:
            yield from _whole_document(path)
            return
    for number, text, problem in [*pending, *lines]:
        if text is None:
            yield number, None, RowError(number, "(line)", problem or "unreadable")
            continue
        if not text.strip():
            continue
        try:
            yield number, loads(text), None
        except JsonProblem as exc:
            yield number, None, RowError(number, exc.field, exc.message)


def _whole_document(path: Path) -> Iterator[tuple[int, Any, RowError | None]]:
    try:
        yield 1, load_json_file(path), None
    except InputError as exc:
        yield exc.line or 1, None, RowError(exc.line or 1, exc.field or "(file)", exc.detail)
