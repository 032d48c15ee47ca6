"""An OTLP JSON file as traffic records: one per model-call span, grouped by conversation.

The conversation is the span's ``gen_ai.conversation.id`` or ``session.id``, else one set on
another span of the same trace (agent frameworks often put it on the root span only), else the
trace id: one trace is one conversation.
"""

from __future__ import annotations

from pathlib import Path

from evalwheel.datasets.readers import RowError
from evalwheel.traffic.otlp import Span, SpanProblem, document_spans, read_documents
from evalwheel.traffic.records import ReadResult, TrafficRecord
from evalwheel.traffic.span_calls import conversation_of, model_call

NO_CONTENT = (
    "a model-call span without input messages; turn on message capture in the instrumentation "
    "(e.g. OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true)"
)


def read_otlp(path: Path) -> ReadResult:
    result = ReadResult()
    spans: list[Span] = []
    for line, doc, problem in read_documents(path):
        if problem is not None:
            result.errors.append(problem)
            continue
        found, errors = document_spans(line, doc)
        spans.extend(found)
        result.errors.extend(errors)
    trace_conversation: dict[str, str] = {}
    for span in spans:
        conversation = conversation_of(span)
        if conversation is not None:
            trace_conversation.setdefault(span.trace_id, conversation)
    for span in spans:
        try:
            call = model_call(span)
        except SpanProblem as exc:
            result.errors.append(
                RowError(span.line, f"{span.where}.{exc.field}", f"{exc} ({span.label()})")
            )
            continue
        if call is None:
            result.skipped += 1
            continue
        if not call.messages:
            result.errors.append(
                RowError(span.line, f"{span.where}.attributes", f"{NO_CONTENT} ({span.label()})")
            )
            continue
        conversation = (
            conversation_of(span) or trace_conversation.get(span.trace_id) or span.trace_id
        )
        result.records.append(
            TrafficRecord(
                line=span.line,
                key=f"{span.trace_id}-{span.span_id}",
                input={"messages": call.messages},
                output=call.answer,
                conversation_id=conversation,
                seen_at=span.start,
                details=call.details,
                origin={"trace_id": span.trace_id, "span_id": span.span_id, "span": span.where},
            )
        )
    return result
