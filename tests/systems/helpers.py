"""Running a configured system through the real runner, and a small JSON server for http kinds.

``run_system`` is the one place these tests touch the runner's API (create_run + execute_run on a
dataset imported with the CLI), so a change of that API changes one function here.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalwheel.apps.interface import AppOutput
from evalwheel.asgi import lifespan, read_body, send_bytes, send_json
from evalwheel.core.system import System
from evalwheel.llm.client import ModelClient
from evalwheel.llm.registry import ModelSpec
from evalwheel.project import Project
from evalwheel.runner.runner import RunPlan, create_run, execute_run, load_output
from evalwheel.runner.scorers import get_scorer
from evalwheel.store.datasets import DatasetRepository
from evalwheel.store.runs import RunRepository
from evalwheel.store.tables import ScoreRow
from evalwheel.systems import build_system_app
from tests.helpers import cli, write_jsonl

#: A model nobody answers: for kinds that must not call the runner's client.
UNUSED_MODEL = ModelSpec(name="unused", base_url="http://127.0.0.1:9/v1", model="m", max_retries=0)


@dataclass
class RunOutcome:
    run_id: str
    description: dict[str, Any]
    outputs: dict[str, AppOutput]
    scores: dict[tuple[str, str], ScoreRow]
    failed: int
    payload: dict[str, Any] = field(default_factory=dict)


def import_rows(project: Project, rows: list[dict[str, Any]], name: str = "qa") -> str:
    path = write_jsonl(project.root / f"{name}.jsonl", rows)
    result = cli("dataset", "import", path, "-n", name, "-k", "benchmark")
    assert result.exit_code == 0, result.stderr
    return name


def run_system(
    project: Project,
    name: str,
    table: dict[str, Any],
    rows: list[dict[str, Any]],
    *,
    model: ModelSpec = UNUSED_MODEL,
    scorers: tuple[str, ...] = ("exact_match",),
) -> RunOutcome:
    """Build ``[systems.NAME]`` from ``table``, run it on ``rows`` with the runner, read back
    every trace and score from the store."""
    app, description = build_system_app(name, table, project.root)
    dataset = import_rows(project, rows, f"ds-{name}")
    store = project.open_store()
    try:
        version = DatasetRepository(store).resolve(dataset)
        system = System(
            name=name,
            app=app.name,
            model=table.get("model") or model.name,
            params={"system": description},
        )
        plan = RunPlan(
            dataset=f"{dataset}@{version.version_id}",
            version_id=version.version_id,
            app=app.name,
            scorers=list(scorers),
        )
        run_id = create_run(store, system, plan)

        async def go() -> Any:
            async with ModelClient(model, store=store) as client:
                table_of_scorers = {spec: get_scorer(spec) for spec in scorers}
                return await execute_run(store, run_id, app, client, table_of_scorers)

        progress = asyncio.run(go())
        repo = RunRepository(store)
        outputs = {t.example_id: load_output(store, t) for t in repo.traces(run_id)}
        scores = {(s.example_id, s.scorer): s for s in repo.scores(run_id)}
        payload = repo.system_payload(system.version) or {}
        return RunOutcome(run_id, description, outputs, scores, progress.failed_now, payload)
    finally:
        store.close()


class JsonEndpoint:
    """A JSON service to wrap as ``kind = "http"``: ``POST /answer`` echoes the body's ``input``
    as ``{"result": {"text": "echo: …"}, "usage": {...}, "cost": …}``. An input containing
    ``fail500`` gets a 500 whose body echoes the request's Authorization header back (as some
    services do), ``nooutput`` a 200 without the output field, ``notjson`` a 200 of plain text.
    Every request's headers and body are kept in ``requests``."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            return await lifespan(receive, send)
        raw = await read_body(receive)
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        body = json.loads(raw) if raw else None
        self.requests.append(
            {"path": scope["path"], "method": scope["method"], "headers": headers, "body": body}
        )
        text = json.dumps(body)
        if "fail500" in text:
            return await send_json(
                send,
                500,
                {
                    "error": "upstream broke",
                    "auth": headers.get("authorization", "").removeprefix("Bearer "),
                },
            )
        if "nooutput" in text:
            return await send_json(send, 200, {"status": "ok"})
        if "notjson" in text:
            return await send_bytes(send, 200, b"<html>oops</html>")
        value = body.get("input") if isinstance(body, dict) else body
        answer = value if not isinstance(value, str) else f"echo: {value}"
        return await send_json(
            send,
            200,
            {"result": {"text": answer}, "usage": {"in": 7, "out": 3}, "cost": 0.25},
        )


def write_module(folder: Path, name: str, source: str) -> None:
    (folder / f"{name}.py").write_text(source)
