"""Training rows out of the store, in the formats trainers read.

- ``openai``: SFT JSONL in OpenAI's chat fine-tuning format, one ``{"messages", "tools"}`` line per
  row; assistant tool calls carry ``type: function`` and their arguments as a JSON string;
- ``hf``: a Hugging Face ``datasets.Dataset`` saved with ``save_to_disk``; ``messages``, ``tools``
  and ``provenance`` are JSON strings (their nested types vary from row to row, which Arrow
  cannot hold in one column);
- ``dpo``: ``{"prompt", "chosen", "rejected"}`` lines (TRL's conversational preference format):
  the messages before the first answer, the verified ideal answer, the system's failed answer.
  Only rows with a rejected output; the others are counted.

A row's conversation is its ``metadata.trajectory`` (the ideal one the application built), else
the request as the user's turn and the reference as the assistant's. Rows are written in id order
so the same dataset version always gives the same bytes; provenance goes to a
``<format>.provenance.jsonl`` beside each JSONL file (the trainers' formats allow no extra keys).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, JsonValue

from evalwheel.core.example import Example
from evalwheel.errors import InputError
from evalwheel.mirror.analysis import request_text
from evalwheel.systems.base import as_text

ExportFormat = Literal["openai", "hf", "dpo"]
FORMATS: tuple[ExportFormat, ...] = ("openai", "hf", "dpo")
ROLES = ("system", "user", "assistant", "tool")
FILES = {"openai": "sft.jsonl", "dpo": "dpo.jsonl", "hf": "hf"}


class FormatExport(BaseModel):
    """One format written: where, how many rows, and the sha256 of what was written (the JSONL
    file; for ``hf`` the canonical JSON of its rows, since ``save_to_disk`` stamps a random
    fingerprint into its files)."""

    format: ExportFormat
    path: str
    rows: int
    sha256: str
    provenance_path: str | None = None


class ExportResult(BaseModel):
    """What an export wrote, and the rows a format had to leave out (reason → count)."""

    dataset: str
    rows: int = Field(description="rows in the dataset version")
    outputs: list[FormatExport]
    skipped: dict[str, int] = Field(default_factory=dict)
    without_tools: int = Field(
        default=0, description="rows whose conversation calls tools but no tool specs were known"
    )


def _bad(dataset: str, row: Example, field: str, message: str) -> InputError:
    return InputError(message, file=dataset, field=f"{row.id}: {field}")


def _tool_call(
    dataset: str, row: Example, where: str, call: Any, fallback_id: str
) -> dict[str, Any]:
    function = call.get("function") if isinstance(call, dict) else None
    if not isinstance(function, dict) or not isinstance(function.get("name"), str):
        raise _bad(dataset, row, where, "a tool call needs function.name")
    arguments = function.get("arguments")
    if not isinstance(arguments, str):
        arguments = json.dumps(arguments if arguments is not None else {}, ensure_ascii=False)
    return {
        "id": str(call.get("id") or fallback_id),
        "type": "function",
        "function": {"name": function["name"], "arguments": arguments},
    }


def normalise_messages(
    dataset: str, row: Example, messages: Sequence[Any], field: str
) -> list[dict[str, Any]]:
    """Messages in OpenAI's chat form, checked: known roles, tool calls with string arguments,
    tool results answering a call. A malformed message is an ``InputError`` naming it."""
    out: list[dict[str, Any]] = []
    for i, message in enumerate(messages):
        where = f"{field}[{i}]"
        if not isinstance(message, dict) or message.get("role") not in ROLES:
            raise _bad(dataset, row, f"{where}.role", f"must be one of {', '.join(ROLES)}")
        clean: dict[str, Any] = {"role": message["role"], "content": message.get("content")}
        calls = message.get("tool_calls") or []
        if calls:
            if message["role"] != "assistant":
                raise _bad(dataset, row, f"{where}.tool_calls", "only assistant turns call tools")
            clean["tool_calls"] = [
                _tool_call(dataset, row, f"{where}.tool_calls[{j}]", c, f"call_{i}_{j}")
                for j, c in enumerate(calls)
            ]
        if message["role"] == "tool":
            if not message.get("tool_call_id"):
                raise _bad(dataset, row, f"{where}.tool_call_id", "a tool result needs it")
            clean["tool_call_id"] = str(message["tool_call_id"])
        if clean["content"] is not None and not isinstance(clean["content"], str):
            clean["content"] = json.dumps(clean["content"], ensure_ascii=False)
        out.append(clean)
    return out


def conversation(dataset: str, row: Example) -> list[dict[str, Any]]:
    """The row's ideal conversation, ending with the assistant's answer."""
    trajectory = row.metadata.get("trajectory")
    if trajectory is not None:
        if not isinstance(trajectory, list) or not trajectory:
            raise _bad(dataset, row, "metadata.trajectory", "must be a non-empty list of messages")
        messages = normalise_messages(dataset, row, trajectory, "metadata.trajectory")
    else:
        if row.reference is None:
            raise _bad(dataset, row, "reference", "a training row needs its reference")
        messages = [
            {"role": "user", "content": request_text(row.input)},
            {"role": "assistant", "content": as_text(row.reference)},
        ]
    if messages[-1]["role"] != "assistant":
        raise _bad(dataset, row, "metadata.trajectory", "must end with the assistant's turn")
    return messages


def _prompt_length(messages: list[dict[str, Any]]) -> int:
    """How many messages come before the first assistant turn."""
    return next(i for i, m in enumerate(messages) if m["role"] == "assistant")


def rejected_answer(dataset: str, row: Example, prompt: list[dict[str, Any]]) -> list[dict] | None:
    """The system's failed answer as assistant turns: its trajectory in the ideal one's form when
    the failure rows kept one (``metadata.rejected_trajectory``), else the turns of the stored
    output after the request, else its artifact as text; None when it produced nothing."""
    built = row.metadata.get("rejected_trajectory")
    if isinstance(built, list) and built:
        messages = normalise_messages(dataset, row, built, "metadata.rejected_trajectory")
        return messages[_prompt_length(messages) :]
    rejected = row.metadata.get("rejected")
    stored = rejected.get("messages") if isinstance(rejected, dict) else None
    request = prompt[-1].get("content") if prompt else None
    if isinstance(stored, list) and stored:
        asked = [
            i
            for i, m in enumerate(stored)
            if isinstance(m, dict) and m.get("role") == "user" and m.get("content") == request
        ]
        answer = stored[asked[-1] + 1 :] if asked else []
        if any(isinstance(m, dict) and m.get("role") == "assistant" for m in answer):
            return normalise_messages(dataset, row, answer, "metadata.rejected.messages")
    if row.output is None:
        return None
    return [{"role": "assistant", "content": as_text(row.output)}]


def _uses_tools(messages: list[dict[str, Any]]) -> bool:
    return any(m.get("tool_calls") for m in messages)


class _Line(BaseModel):
    id: str
    messages: list[dict[str, JsonValue]]
    tools: list[dict[str, JsonValue]]
    provenance: dict[str, JsonValue]
    dpo: dict[str, JsonValue] | None = None


def _lines(
    dataset: str, rows: Iterable[Example], tools: list[dict[str, Any]] | None
) -> tuple[list[_Line], Counter[str], int]:
    lines: list[_Line] = []
    skipped: Counter[str] = Counter()
    without_tools = 0
    for row in sorted(rows, key=lambda r: r.id):
        messages = conversation(dataset, row)
        row_tools = row.metadata.get("tools")
        specs = row_tools if isinstance(row_tools, list) else (tools or [])
        if _uses_tools(messages) and not specs:
            without_tools += 1
        provenance = row.metadata.get("provenance")
        prov = dict(provenance) if isinstance(provenance, dict) else {}
        cut = _prompt_length(messages)
        rejected = rejected_answer(dataset, row, messages[:cut])
        if rejected is None:
            skipped["dpo:no_rejected"] += 1
        lines.append(
            _Line(
                id=row.id,
                messages=messages,
                tools=specs,  # type: ignore[arg-type]
                provenance={**prov, "row_id": row.id, "tags": list(row.tags)},
                dpo=None
                if rejected is None
                else {"prompt": messages[:cut], "chosen": messages[cut:], "rejected": rejected},
            )
        )
    return lines, skipped, without_tools


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _write_jsonl(path: Path, records: Iterable[dict[str, Any]]) -> str:
    data = "".join(_dumps(r) + "\n" for r in records).encode("utf-8")
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def _sft_record(line: _Line) -> dict[str, Any]:
    record: dict[str, Any] = {"messages": line.messages}
    if line.tools:
        record["tools"] = line.tools
    return record


def hf_columns(lines: Sequence[_Line]) -> dict[str, list[Any]]:
    """The Hugging Face dataset's columns (nested values as JSON strings)."""
    return {
        "id": [line.id for line in lines],
        "messages": [_dumps(line.messages) for line in lines],
        "tools": [_dumps(line.tools) for line in lines],
        "provenance": [_dumps(line.provenance) for line in lines],
    }


def _save_hf(path: Path, lines: Sequence[_Line]) -> str:
    try:
        import datasets
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise InputError(
            "the Hugging Face export needs the `datasets` package: pip install 'evalwheel[train]'",
            field="format",
        ) from exc
    if path.exists():
        if not (path / "state.json").exists() and any(path.iterdir()):
            raise InputError("exists and is not a saved Hugging Face dataset", file=str(path))
        shutil.rmtree(path)
    columns = hf_columns(lines)
    datasets.Dataset.from_dict(columns).save_to_disk(str(path))
    return hashlib.sha256(_dumps(columns).encode("utf-8")).hexdigest()


def export_rows(
    dataset: str,
    rows: Iterable[Example],
    output: Path,
    formats: Sequence[ExportFormat],
    *,
    tools: list[dict[str, Any]] | None = None,
) -> ExportResult:
    """Write ``rows`` (of the dataset version ``dataset``) in each of ``formats`` under the folder
    ``output``. Every row is checked before anything is written."""
    lines, skipped, without_tools = _lines(dataset, rows, tools)
    output.mkdir(parents=True, exist_ok=True)
    written: list[FormatExport] = []
    for fmt in dict.fromkeys(formats):
        path = output / FILES[fmt]
        if fmt == "hf":
            written.append(
                FormatExport(
                    format=fmt, path=str(path), rows=len(lines), sha256=_save_hf(path, lines)
                )
            )
            continue
        chosen = [line for line in lines if fmt == "openai" or line.dpo is not None]
        records = [_sft_record(line) if fmt == "openai" else line.dpo for line in chosen]
        digest = _write_jsonl(path, records)  # type: ignore[arg-type]
        sidecar = path.with_suffix(".provenance.jsonl")
        _write_jsonl(sidecar, ({"id": line.id, "provenance": line.provenance} for line in chosen))
        written.append(
            FormatExport(
                format=fmt,
                path=str(path),
                rows=len(chosen),
                sha256=digest,
                provenance_path=str(sidecar),
            )
        )
    return ExportResult(
        dataset=dataset,
        rows=len(lines),
        outputs=written,
        skipped=dict(skipped) if "dpo" in formats else {},
        without_tools=without_tools,
    )
