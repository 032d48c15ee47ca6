"""``evalwheel models …``: list, check, serve, batch."""

from __future__ import annotations

import asyncio
import json
import math
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from evalwheel.cli.output import (
    EXIT_CHECK_FAILED,
    emit_json,
    err,
    fail,
    info,
    out,
    progress_bar,
    visible,
    warn,
)
from evalwheel.errors import InputError
from evalwheel.llm.budget import Budget, estimate
from evalwheel.llm.cache import CacheMode
from evalwheel.llm.client import ModelClient
from evalwheel.llm.errors import ModelCallError, ModelConfigError
from evalwheel.llm.prices import price_for
from evalwheel.llm.project_models import project_models, project_prices
from evalwheel.llm.registry import ModelSpec, get_model
from evalwheel.llm.types import ChatRequest
from evalwheel.project import ConfigError, Project, ProjectNotFound, find_project
from evalwheel.redaction import redact_url
from evalwheel.store import Store, StoreError

app = typer.Typer(
    help="Models: the embedded default and OpenAI-compatible endpoints.", no_args_is_help=True
)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON (shape: docs/cli.md).")]


def _project() -> Project | None:
    try:
        return find_project()
    except ProjectNotFound:
        return None
    except ConfigError as exc:
        fail(str(exc))


def _spec(project: Project | None, name: str) -> ModelSpec:
    try:
        return get_model(project_models(project), name)
    except ModelConfigError as exc:
        fail(str(exc))


@app.command("list")
def list_cmd(as_json: JsonFlag = False) -> None:
    """Configured models (``local`` is the built-in embedded model)."""
    project = _project()
    try:
        models = project_models(project)
    except ModelConfigError as exc:
        fail(str(exc))
    prices = project_prices(project)
    rows = []
    for spec in models.values():
        price = price_for(spec, prices)
        rows.append(
            {
                "name": spec.name,
                "provider": spec.provider,
                "model": spec.model
                if spec.provider == "openai"
                else "SmolLM2-135M-Instruct (embedded)",
                "base_url": redact_url(str(spec.base_url)) if spec.base_url else None,
                "api_key_env": spec.api_key_env,
                "max_concurrency": spec.max_concurrency,
                "rpm": spec.rpm,
                "tpm": spec.tpm,
                "price": price.model_dump() if price else None,
            }
        )
    if as_json:
        emit_json(rows)
        return
    table = Table(
        "name", "provider", "model", "endpoint", "key from", "concurrency", "USD/Mtok in/out"
    )
    for row in rows:
        price = row["price"]
        table.add_row(
            row["name"],
            row["provider"],
            row["model"] or "",
            row["base_url"] or "in-process",
            row["api_key_env"] or "-",
            str(row["max_concurrency"]),
            f"{price['input_usd_per_mtok']:g}/{price['output_usd_per_mtok']:g}"
            if price
            else "unknown",
        )
    out.print(table)


CHECK_SCHEMA = {
    "type": "object",
    "properties": {"answer": {"type": "string"}, "confidence": {"type": "number"}},
    "required": ["answer", "confidence"],
}


async def _check(client: ModelClient) -> dict[str, Any]:
    result: dict[str, Any] = {
        "model": client.spec.name,
        "ok": False,
        "latency_s": None,
        "json_schema": False,
        "tools": False,
        "errors": {},
    }
    plain = ChatRequest(
        messages=[{"role": "user", "content": "Reply with the single word OK."}],
        max_tokens=8,
        temperature=0,
    )
    try:
        started = time.perf_counter()
        response = await client.chat(plain)
        result["latency_s"] = round(time.perf_counter() - started, 3)
        result["ok"] = True
        result["reply"] = response.content
    except ModelCallError as exc:
        result["errors"]["plain"] = exc.record().model_dump()
        return result
    structured = plain.model_copy(
        update={
            "messages": [
                {"role": "user", "content": "What is the capital of France? Answer with JSON."}
            ],
            "max_tokens": 64,
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "check", "schema": CHECK_SCHEMA, "strict": True},
            },
        }
    )
    try:
        response = await client.chat(structured)
        value = json.loads(response.content or "")
        result["json_schema"] = isinstance(value, dict) and {"answer", "confidence"} <= set(value)
    except (ModelCallError, ValueError) as exc:
        result["errors"]["json_schema"] = str(exc)
    tool = {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Weather for a city",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
    tooled = plain.model_copy(
        update={
            "messages": [{"role": "user", "content": "What is the weather in Paris?"}],
            "max_tokens": 64,
            "tools": [tool],
            "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
        }
    )
    try:
        response = await client.chat(tooled)
        call = response.tool_calls[0] if response.tool_calls else None
        result["tools"] = bool(
            call and call.name == "get_weather" and isinstance(json.loads(call.arguments), dict)
        )
    except (ModelCallError, ValueError) as exc:
        result["errors"]["tools"] = str(exc)
    return result


@app.command("check")
def check_cmd(
    name: Annotated[str, typer.Argument(help="Model name.")] = "local", as_json: JsonFlag = False
) -> None:
    """Make real calls: latency, and whether JSON-schema output and tool calls work."""
    project = _project()
    spec = _spec(project, name)

    async def go() -> dict[str, Any]:
        try:
            client = ModelClient(spec, cache_mode=CacheMode.OFF)
        except ModelConfigError as exc:
            fail(str(exc))
        async with client:
            return await _check(client)

    result = asyncio.run(go())
    if as_json:
        emit_json(result)
    else:
        status = ("ok", "green") if result["ok"] else ("failed", "red")
        out.print(
            Text.assemble(
                f"{visible(name)}: ",
                status,
                f"  latency {result['latency_s']} s  json_schema {result['json_schema']}"
                f"  tools {result['tools']}",
            )
        )
        for what, problem in result["errors"].items():
            err.print(f"  {what}: {problem}", highlight=False)
    if not result["ok"]:
        raise typer.Exit(EXIT_CHECK_FAILED)


@app.command("serve")
def serve_cmd(
    name: Annotated[str, typer.Argument(help="Model to serve.")] = "local",
    port: Annotated[int, typer.Option(help="Port to listen on (0: any free port).")] = 8080,
    host: Annotated[
        str, typer.Option(help="Address to bind (default loopback only; others need the token).")
    ] = "127.0.0.1",
    no_auth: Annotated[
        bool, typer.Option("--no-auth", help="No bearer token (loopback addresses only).")
    ] = False,
    allow_host: Annotated[
        list[str] | None,
        typer.Option(help="Another name clients may use in the Host header (repeatable)."),
    ] = None,
    allow_origin: Annotated[
        list[str] | None,
        typer.Option(help="A browser origin allowed to call, e.g. http://localhost:3000."),
    ] = None,
    max_body_mb: Annotated[float, typer.Option(help="Largest request body, in MiB.")] = 4.0,
    body_timeout_s: Annotated[float, typer.Option(help="Time to send a request body.")] = 30.0,
    header_timeout_s: Annotated[float, typer.Option(help="Time to send request headers.")] = 10.0,
    keep_alive_s: Annotated[float, typer.Option(help="Idle keep-alive connection timeout.")] = 5.0,
    max_in_flight: Annotated[int, typer.Option(help="Requests handled at once.")] = 8,
    max_queued: Annotated[int, typer.Option(help="Requests waiting beyond those (then 429).")] = 32,
    max_connections: Annotated[int, typer.Option(help="Open connections (then 503).")] = 256,
) -> None:
    """Serve a model as an OpenAI-compatible endpoint (chat completions, response_format, tools).

    Requires a bearer token: EVALWHEEL_SERVE_TOKEN, or one generated and printed at start.
    """
    from evalwheel import http_server
    from evalwheel.http_guard import GuardConfig, allowed_host_names
    from evalwheel.llm.client import make_provider
    from evalwheel.llm.serve import serve

    try:
        listen = http_server.ListenOptions(
            host=host,
            port=port,
            keep_alive_s=keep_alive_s,
            header_timeout_s=header_timeout_s,
            max_connections=max_connections,
        )
        token, generated = http_server.resolve_token(no_auth)
        exposure = http_server.check_exposure(host, token)
        if not (max_body_mb > 0 and math.isfinite(max_body_mb)):
            raise InputError(f"must be a positive number, not {max_body_mb}", field="max_body_mb")
        guard = GuardConfig(
            token=token,
            allowed_hosts=allowed_host_names(host, allow_host or []),
            allowed_origins=frozenset(allow_origin or []),
            max_body_bytes=int(max_body_mb * 1024 * 1024),
            body_timeout_s=body_timeout_s,
            max_in_flight=max_in_flight,
            max_queued=max_queued,
        )
        sock = http_server.bind(listen)
    except InputError as exc:
        fail(f"{_serve_flag(exc.field)}: {exc.detail}" if exc.field else str(exc))
    try:
        provider = make_provider(_spec(_project(), name))
    except ModelConfigError as exc:
        fail(str(exc))
    url = listen.base_url(port=sock.getsockname()[1])
    if exposure:
        names = ", ".join(sorted(guard.allowed_hosts))
        warn(f"{exposure}; Host names accepted: {names} (add others with --allow-host)")
    if token is None:
        warn("no authentication: any process on this machine can use this model")
    info(f"serving {name} at {url} (Ctrl-C to stop)")
    if generated:
        info(f"bearer token (new each start; set {http_server.TOKEN_ENV} to choose one): {token}")
    if token is not None:
        shown = token if generated else f"${http_server.TOKEN_ENV}"
        info(f"  use: OPENAI_BASE_URL={url} OPENAI_API_KEY={shown} your-openai-client")
        info(f'   or: curl -H "Authorization: Bearer {shown}" {url}/models')
    serve(provider, name, guard, listen, sock)


def _serve_flag(field: str) -> str:
    """The option a validation error is about, as the user typed it."""
    special = {
        "allowed host": "--allow-host",
        "allowed origin": "--allow-origin",
        "max_body_bytes": "--max-body-mb",
        "token": "EVALWHEEL_SERVE_TOKEN",
    }
    return special.get(field, "--" + field.replace("_", "-"))


@app.command("batch")
def batch_cmd(
    model: Annotated[str, typer.Option("--model", "-m", help="Model name.")],
    input_path: Annotated[Path, typer.Option("--input", "-i", help="JSONL of {id, messages, …}.")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="JSONL results (resumed if present).")
    ],
    concurrency: Annotated[
        int | None, typer.Option(help="Calls in flight (default: the model's max_concurrency).")
    ] = None,
    budget_usd: Annotated[
        float | None, typer.Option("--budget-usd", help="Stop before spending more.")
    ] = None,
    budget_tokens: Annotated[
        int | None, typer.Option("--budget-tokens", help="Stop before using more tokens.")
    ] = None,
    budget_seconds: Annotated[
        float | None, typer.Option("--budget-seconds", help="Start no call after this.")
    ] = None,
    deadline_s: Annotated[
        float | None, typer.Option("--deadline-s", help="Hard wall-clock limit for the run.")
    ] = None,
    schema: Annotated[
        Path | None, typer.Option("--schema", help="JSON Schema every response must match.")
    ] = None,
    cache: Annotated[str, typer.Option(help="use|record|refresh|off|replay")] = "use",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Estimate tokens, cost and time; make no call.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Run a file of chat requests: resumable, cached, within budget. Exit 1 if any id failed or remains."""
    from evalwheel.inputfiles import load_json_file
    from evalwheel.llm.batch import BatchInputError, read_requests, read_results, run_batch

    project = _project()
    spec = _spec(project, model)
    try:
        mode = CacheMode.parse(cache)
    except ValueError:
        fail(f"--cache must be use, record, refresh, off or replay, not {cache!r}")
    schema_value = None
    if schema is not None:
        try:
            schema_value = load_json_file(schema)
        except InputError as exc:
            fail(str(exc))
    if not input_path.is_file():
        fail(f"{input_path}: no such file")
    try:
        items = read_requests(input_path, schema_value)
    except BatchInputError as exc:
        for line in exc.lines:
            err.print(line, highlight=False, markup=False)
        fail(f"{input_path}: {len(exc.lines)} bad line(s); nothing was run")
    prices = project_prices(project)
    if dry_run:
        done = {i for i, r in read_results(output).items() if "response" in r}
        todo = [item.request for item in items if item.id not in done]
        est = estimate(todo, price_for(spec, prices), spec.expected_output_tokens, spec.rpm)
        result = {"model": model, "already_done": len(items) - len(todo), **est.model_dump()}
        if as_json:
            emit_json(result)
        else:
            usd = "unknown price" if est.usd is None else f"≈ ${est.usd:.4f}"
            out.print(
                f"{est.requests} requests to send ({result['already_done']} already done): "
                f"≈ {est.input_tokens} input + ≤ {est.output_tokens} output tokens, {usd}",
                highlight=False,
            )
        return
    store: Store | None = None
    if mode != CacheMode.OFF:
        if project is None:
            if mode == CacheMode.REPLAY:
                fail("--cache replay needs a project (the cache lives in its store)")
            info("not inside a project: running without the call cache")
            mode = CacheMode.OFF
        else:
            try:
                store = project.open_store()
            except StoreError as exc:
                fail(str(exc))
    budget = Budget(usd=budget_usd, tokens=budget_tokens, seconds=budget_seconds)

    async def go():  # -> BatchSummary
        try:
            client = ModelClient(
                spec,
                store=store,
                cache_mode=mode,
                budget=budget,
                prices=prices,
                deadline_s=deadline_s,
            )
        except ModelConfigError as exc:
            fail(str(exc))
        async with client:
            with progress_bar() as bar:
                task = bar.add_task(f"{model}", total=len(items))
                bar.update(task, completed=len(read_results(output)))
                return await run_batch(
                    client,
                    items,
                    output,
                    concurrency=concurrency or spec.max_concurrency,
                    schema=schema_value,
                    on_done=lambda: bar.advance(task),
                )

    try:
        summary = asyncio.run(go())
    finally:
        if store is not None:
            store.close()
    if as_json:
        emit_json(summary)
    else:
        s = summary.stats
        out.print(
            f"{summary.total} ids: {summary.already_done} already done, {summary.succeeded} succeeded, "
            f"{summary.failed} failed, {summary.remaining} remaining → {summary.output}\n"
            f"calls {s.calls} (cache hits {s.cache_hits}, misses {s.cache_misses}), retries {s.retries}, "
            f"tokens {s.input_tokens}+{s.output_tokens}, cost ${s.cost_usd:.6f}"
            + (f", {s.unpriced_calls} calls with unknown price" if s.unpriced_calls else ""),
            highlight=False,
        )
        if s.errors:
            out.print(
                "errors: " + ", ".join(f"{k} {v}" for k, v in sorted(s.errors.items())),
                highlight=False,
            )
        if summary.stopped:
            info(f"stopped early: {summary.stopped}; re-run with a larger budget to continue")
    if summary.failed or summary.remaining:
        raise typer.Exit(EXIT_CHECK_FAILED)
