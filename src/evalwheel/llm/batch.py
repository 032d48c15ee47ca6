"""``evalwheel models batch``: a file of chat requests through the model layer, resumable.

Input: JSONL, one object per line with ``id`` and ``messages`` and any other request field
(``response_format``, ``tools``, ``temperature``…). Output: JSONL, one line per id, either
``{"id", "response": {...}}`` or ``{"id", "error": {...}}``.

Results are appended and flushed one line at a time, so a killed run loses nothing it finished.
A re-run reads the output first: ids with a response are done and are not called again; ids with an
error are tried again; the rest are run. When the run ends the file is rewritten (atomically) with
exactly one line per id, in input order. Budgets stop the run *before* they would be exceeded: the
ids never sent are reported as remaining and a re-run with a larger budget does them.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from evalwheel.errors import InputError
from evalwheel.inputfiles import JsonProblem, iter_lines, loads
from evalwheel.llm.client import CallStats, ModelClient
from evalwheel.llm.errors import BudgetExceeded, DeadlineExceeded, InvalidOutput, ModelCallError
from evalwheel.llm.types import CallError, ChatRequest, ChatResponse


class BatchInputError(InputError):
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        super().__init__("\n".join(lines))


@dataclass
class BatchItem:
    id: str
    line: int
    request: ChatRequest


def read_requests(path: Path, schema: dict[str, Any] | None = None) -> list[BatchItem]:
    """Every line validated first; all problems reported as ``FILE:LINE: field: message``.

    Lines are read like dataset files (``evalwheel.inputfiles``): BOM-detected encodings, the line
    size limit, and JSON depth, number and NUL checks.
    """
    problems: list[str] = []
    items: list[BatchItem] = []
    seen: dict[str, int] = {}
    for number, text, problem in iter_lines(path):
        if text is None:
            problems.append(f"{path}:{number}: (line): {problem}")
            continue
        if not text.strip():
            continue
        try:
            data = loads(text.rstrip("\r\n"))
        except JsonProblem as exc:
            problems.append(f"{path}:{number}: {exc.field}: {exc.message}")
            continue
        if not isinstance(data, dict):
            problems.append(f"{path}:{number}: (line): expected a JSON object")
            continue
        raw_id = data.pop("id", None)
        if not isinstance(raw_id, (str, int)) or raw_id == "":
            problems.append(f"{path}:{number}: id: required (a string or integer)")
            continue
        item_id = str(raw_id)
        if item_id in seen:
            problems.append(
                f"{path}:{number}: id: duplicate id {item_id!r} (first at line {seen[item_id]})"
            )
            continue
        seen[item_id] = number
        try:
            request = ChatRequest.model_validate(data)
        except ValidationError as exc:
            for err in exc.errors():
                loc = ".".join(map(str, err["loc"])) or "(line)"
                msg = "required" if err["type"] == "missing" else err["msg"]
                problems.append(f"{path}:{number}: {loc}: {msg}")
            continue
        bad_roles = [
            i for i, m in enumerate(request.messages) if not isinstance(m, dict) or "role" not in m
        ]
        if bad_roles:
            problems.append(f"{path}:{number}: messages.{bad_roles[0]}.role: required")
            continue
        if schema is not None and request.response_format is None:
            request = request.model_copy(
                update={
                    "response_format": {
                        "type": "json_schema",
                        "json_schema": {"name": "output", "schema": schema, "strict": True},
                    }
                }
            )
        items.append(BatchItem(item_id, number, request))
    if problems:
        raise BatchInputError(problems)
    return items


def read_results(path: Path) -> dict[str, dict[str, Any]]:
    """The latest result per id in an output file; a torn last line (killed mid-write) is ignored."""
    results: dict[str, dict[str, Any]] = {}
    if not path.exists():
        return results
    for _, text, _ in iter_lines(path):
        try:
            record = loads(text) if text is not None else None
        except JsonProblem:  # torn, or not ours: such a line is no result and is run again
            continue
        if (
            isinstance(record, dict)
            and "id" in record
            and ("response" in record or "error" in record)
        ):
            results[str(record["id"])] = record
    return results


class BatchSummary(BaseModel):
    total: int
    already_done: int = Field(description="ids that had a response before this run (not called)")
    succeeded: int
    failed: int
    remaining: int = Field(description="ids never sent (budget or deadline); a re-run does them")
    stopped: str | None = Field(default=None, description="why the run stopped early, if it did")
    output: str
    stats: CallStats


@dataclass
class _Run:
    out: Any
    results: dict[str, dict[str, Any]]
    schema_validator: Any
    on_done: Callable[[], None] | None
    stop_reason: str | None = None
    succeeded: int = 0
    failed: int = 0
    started: set[str] = field(default_factory=set)


def _response_record(item_id: str, response: ChatResponse, parsed: Any = None) -> dict[str, Any]:
    record: dict[str, Any] = {"id": item_id, "response": response.model_dump(mode="json")}
    if parsed is not None:
        record["parsed"] = parsed
    return record


def _error_record(item_id: str, error: CallError) -> dict[str, Any]:
    return {"id": item_id, "error": error.model_dump(mode="json")}


async def run_batch(
    client: ModelClient,
    items: list[BatchItem],
    output: Path,
    *,
    concurrency: int,
    schema: dict[str, Any] | None = None,
    on_done: Callable[[], None] | None = None,
) -> BatchSummary:
    previous = read_results(output)
    done_ids = {i for i, r in previous.items() if "response" in r}
    todo = [item for item in items if item.id not in done_ids]
    validator = None
    if schema is not None:
        from jsonschema import Draft202012Validator

        validator = Draft202012Validator(schema)
    output.parent.mkdir(parents=True, exist_ok=True)
    with open(output, "a", encoding="utf-8") as out:
        state = _Run(out, dict(previous), validator, on_done)
        queue: asyncio.Queue[BatchItem] = asyncio.Queue()
        for item in todo:
            queue.put_nowait(item)
        workers = [
            asyncio.create_task(_worker(client, queue, state)) for _ in range(max(1, concurrency))
        ]
        try:
            await asyncio.gather(*workers)
        finally:
            for worker in workers:
                worker.cancel()
            client.flush()
    _compact(output, items, state.results)
    remaining = sum(1 for item in todo if item.id not in state.started)
    return BatchSummary(
        total=len(items),
        already_done=len(items) - len(todo),
        succeeded=state.succeeded,
        failed=state.failed,
        remaining=remaining,
        stopped=state.stop_reason,
        output=str(output),
        stats=client.stats,
    )


async def _worker(client: ModelClient, queue: asyncio.Queue[BatchItem], state: _Run) -> None:
    while state.stop_reason is None:
        try:
            item = queue.get_nowait()
        except asyncio.QueueEmpty:
            return
        state.started.add(item.id)
        try:
            response = await client.chat(item.request)
            parsed = None
            if state.schema_validator is not None:
                parsed = _validate(response, state.schema_validator)
            record = _response_record(item.id, response, parsed)
            state.succeeded += 1
        except (BudgetExceeded, DeadlineExceeded) as exc:
            # Never sent: not an item failure. Stop taking new items; a re-run continues here.
            state.started.discard(item.id)
            state.stop_reason = str(exc)
            return
        except ModelCallError as exc:
            record = _error_record(item.id, exc.record())
            state.failed += 1
        state.results[item.id] = record
        state.out.write(json.dumps(record, ensure_ascii=False) + "\n")
        state.out.flush()
        if state.on_done:
            state.on_done()


def _validate(response: ChatResponse, validator: Any) -> Any:
    if response.content is None:
        raise InvalidOutput("no content to validate against the schema", raw=None)
    try:
        value = json.loads(response.content)
    except json.JSONDecodeError as exc:
        raise InvalidOutput(f"not JSON: {exc.msg}", raw=response.content) from None
    errors = sorted(validator.iter_errors(value), key=lambda e: list(e.path))
    if errors:
        first = errors[0]
        where = ".".join(map(str, first.path)) or "(root)"
        raise InvalidOutput(f"schema violation at {where}: {first.message}", raw=response.content)
    return value


def _compact(output: Path, items: list[BatchItem], results: dict[str, dict[str, Any]]) -> None:
    tmp = output.with_name(output.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        for item in items:
            if item.id in results:
                f.write(json.dumps(results[item.id], ensure_ascii=False) + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, output)
