"""``evalwheel models …``: list, check, serve, batch."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from evalwheel.api import models as models_api
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
from evalwheel.llm.batch import BatchSummary
from evalwheel.llm.budget import Budget, Estimate
from evalwheel.llm.cache import CacheMode
from evalwheel.llm.errors import ModelConfigError
from evalwheel.llm.prices import price_for
from evalwheel.llm.project_models import project_models, project_prices
from evalwheel.llm.registry import ModelSpec, get_model
from evalwheel.project import ConfigError, Project, ProjectNotFound, find_project
from evalwheel.redaction import redact_url

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


@app.command("check")
def check_cmd(
    name: Annotated[str, typer.Argument(help="Model name.")] = "local", as_json: JsonFlag = False
) -> None:
    """Make real calls: latency, and whether JSON-schema output and tool calls work."""
    result = models_api.check(name, project=models_api.project_or_none())
    if as_json:
        emit_json(result)
    else:
        status = ("ok", "green") if result.ok else ("failed", "red")
        out.print(
            Text.assemble(
                f"{visible(name)}: ",
                status,
                f"  latency {result.latency_s} s  json_schema {result.json_schema}"
                f"  tools {result.tools}",
            )
        )
        for what, problem in result.errors.items():
            err.print(f"  {what}: {problem}")
    if not result.ok:
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
    from evalwheel.llm.batch import BatchInputError

    project = models_api.project_or_none()
    try:
        mode = CacheMode.parse(cache)
    except ValueError:
        fail(f"--cache must be use, record, refresh, off or replay, not {cache!r}")
    schema_value = load_json_file(schema) if schema is not None else None
    try:
        if dry_run:
            done, est = models_api.batch_estimate(model, input_path, output, project=project)
            _print_estimate(model, done, est, as_json)
            return
        if project is None and mode not in (CacheMode.OFF, CacheMode.REPLAY):
            info("not inside a project: running without the call cache")
        with progress_bar() as bar:
            task = bar.add_task(model, total=None)
            summary = models_api.batch(
                model,
                input_path,
                output,
                project=project,
                concurrency=concurrency,
                budget=Budget(usd=budget_usd, tokens=budget_tokens, seconds=budget_seconds),
                deadline_s=deadline_s,
                schema=schema_value,
                cache=mode,
                on_done=lambda: bar.advance(task),
                on_start=lambda total, done: bar.update(task, total=total, completed=done),
            )
    except BatchInputError as exc:
        for line in exc.lines:
            err.print(line)
        fail(f"{input_path}: {len(exc.lines)} bad line(s); nothing was run")
    if as_json:
        emit_json(summary)
    else:
        _print_batch(summary)
    if summary.failed or summary.remaining:
        raise typer.Exit(EXIT_CHECK_FAILED)


def _print_estimate(model: str, done: int, est: Estimate, as_json: bool) -> None:
    if as_json:
        emit_json({"model": model, "already_done": done, **est.model_dump()})
        return
    usd = "unknown price" if est.usd is None else f"≈ ${est.usd:.4f}"
    out.print(
        f"{est.requests} requests to send ({done} already done): "
        f"≈ {est.input_tokens} input + ≤ {est.output_tokens} output tokens, {usd}"
    )


def _print_batch(summary: BatchSummary) -> None:
    s = summary.stats
    out.print(
        f"{summary.total} ids: {summary.already_done} already done, {summary.succeeded} succeeded, "
        f"{summary.failed} failed, {summary.remaining} remaining → {summary.output}\n"
        f"calls {s.calls} (cache hits {s.cache_hits}, misses {s.cache_misses}), retries {s.retries}, "
        f"tokens {s.input_tokens}+{s.output_tokens}, cost ${s.cost_usd:.6f}"
        + (f", {s.unpriced_calls} calls with unknown price" if s.unpriced_calls else "")
    )
    if s.errors:
        out.print("errors: " + ", ".join(f"{k} {v}" for k, v in sorted(s.errors.items())))
    if summary.stopped:
        info(f"stopped early: {summary.stopped}; re-run with a larger budget to continue")
