"""``evalwheel mirror serve``: the live shadow proxy (parse options, call the API, print)."""

from __future__ import annotations

import math
from typing import Annotated

import typer

from evalwheel import http_server
from evalwheel.cli.context import project_store
from evalwheel.cli.output import info, out, warn
from evalwheel.errors import InputError
from evalwheel.http_guard import GuardConfig, allowed_host_names
from evalwheel.redaction import redact_url


def serve(
    primary: Annotated[
        str, typer.Option(help="The current system's base URL; the client's path is appended.")
    ],
    candidate: Annotated[
        str, typer.Option(help="An OpenAI-compatible URL, or a model configured in the project.")
    ],
    sample: Annotated[
        float, typer.Option(help="Share of chat requests also sent to the candidate (0-1).")
    ] = 0.1,
    secondary: Annotated[
        str | None,
        typer.Option(help="A second copy of the current system, asked too (the noise floor)."),
    ] = None,
    mirror: Annotated[str, typer.Option(help="Name of the mirror the pairs are stored under.")] = (
        "live"
    ),
    max_spend: Annotated[
        float | None, typer.Option(help="Stop candidate calls once they cost this many USD.")
    ] = None,
    candidate_model: Annotated[
        str | None, typer.Option(help="Model id to ask the candidate URL for instead.")
    ] = None,
    candidate_key_env: Annotated[
        str | None, typer.Option(help="Variable holding the candidate URL's API key.")
    ] = None,
    secondary_key_env: Annotated[
        str | None, typer.Option(help="Variable holding the secondary URL's API key.")
    ] = None,
    candidate_timeout_s: Annotated[float, typer.Option(help="Time a candidate call may take.")] = (
        60.0
    ),
    queue_size: Annotated[int, typer.Option(help="Samples waiting (then dropped).")] = 1000,
    workers: Annotated[int, typer.Option(help="Candidate calls in flight at once.")] = 4,
    port: Annotated[int, typer.Option(help="Port to listen on (0: any free port).")] = 8787,
    host: Annotated[
        str, typer.Option(help="Address to bind (default loopback only; others need the token).")
    ] = "127.0.0.1",
    no_auth: Annotated[
        bool, typer.Option("--no-auth", help="No proxy token (loopback addresses only).")
    ] = False,
    allow_host: Annotated[
        list[str] | None,
        typer.Option(help="Another name clients may use in the Host header (repeatable)."),
    ] = None,
    max_body_mb: Annotated[float, typer.Option(help="Largest request body, in MiB.")] = 16.0,
    max_in_flight: Annotated[int, typer.Option(help="Requests forwarded at once.")] = 256,
    max_queued: Annotated[int, typer.Option(help="Requests waiting beyond those (then 429).")] = (
        1024
    ),
    max_connections: Annotated[int, typer.Option(help="Open connections (then 503).")] = 2048,
) -> None:
    """Shadow live traffic: the primary answers every request unchanged; a sampled share of chat
    completions is also sent to the candidate in the background and stored as mirror pairs.

    The proxy's token goes in the X-Evalwheel-Token header (EVALWHEEL_SERVE_TOKEN, or generated
    and printed at start); the client's Authorization header is forwarded to the primary.
    """
    # aiohttp and the proxy load only for this command: the rest of the CLI starts without them.
    from evalwheel.api.mirroring_live import serve_mirror, shadow_config, shadow_target
    from evalwheel.mirror.shadow_proxy import TOKEN_HEADER

    if not (max_body_mb > 0 and math.isfinite(max_body_mb)):
        raise InputError(f"must be a positive number, not {max_body_mb}", field="max_body_mb")
    listen = http_server.ListenOptions(host=host, port=port, max_connections=max_connections)
    token, generated = http_server.resolve_token(no_auth)
    exposure = http_server.check_exposure(host, token)
    guard = GuardConfig(
        token=token,
        allowed_hosts=allowed_host_names(host, allow_host or []),
        max_body_bytes=int(max_body_mb * 1024 * 1024),
        max_in_flight=max_in_flight,
        max_queued=max_queued,
    )
    config = shadow_config(
        primary=primary,
        mirror=mirror,
        sample=sample,
        queue_size=queue_size,
        workers=workers,
        max_spend_usd=max_spend,
        candidate_timeout_s=candidate_timeout_s,
    )
    with project_store() as (project, store):
        target = shadow_target(
            candidate,
            project,
            model=candidate_model,
            api_key_env=candidate_key_env,
            timeout_s=candidate_timeout_s,
        )
        again = None
        if secondary is not None:
            again = shadow_target(
                secondary,
                project,
                api_key_env=secondary_key_env,
                timeout_s=candidate_timeout_s,
                field="secondary",
            )
        sock = http_server.bind(listen)
        url = listen.base_url(port=sock.getsockname()[1], path="")
        if exposure:
            warn(exposure)
        if token is None:
            warn("no authentication: any process on this machine can use this proxy")
        info(
            f"shadowing {redact_url(primary)} at {url} "
            f"(candidate {target.name}, sample {sample:g}; Ctrl-C)"
        )
        if generated:
            info(
                f"proxy token (new each start; set {http_server.TOKEN_ENV} to choose one): {token}"
            )
        if token is not None:
            info(f"  send it as: {TOKEN_HEADER.decode()}: <token>  (Authorization goes upstream)")
        stats = serve_mirror(
            config, target, store, guard, listen, secondary=again, project=project, sock=sock
        )
    out.print(
        f"requests {stats.requests}, sampled {stats.sampled}, dropped {stats.dropped}, "
        f"sent {stats.sent}, candidate errors {stats.candidate_errors}, capped {stats.capped}, "
        f"recorded {stats.recorded}, spend ${stats.spend_usd:.4f}"
    )
