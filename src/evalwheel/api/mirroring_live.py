"""The live shadow through the API: build the proxy (for tests and embedding) or serve it.

``shadow_target`` turns ``--candidate``/``--secondary`` into something to call: a value starting
with ``http://`` or ``https://`` is an OpenAI-compatible endpoint, anything else is the name of a
model configured in the project (``[models.NAME]``, or the built-in ``local``).
"""

from __future__ import annotations

import os
import socket
from typing import Any

from pydantic import ValidationError

from evalwheel import http_server
from evalwheel.errors import InputError
from evalwheel.http_guard import GuardConfig
from evalwheel.llm.errors import ModelConfigError
from evalwheel.llm.project_models import project_models, project_prices
from evalwheel.llm.registry import get_model
from evalwheel.mirror.shadow_proxy import (
    Redactor,
    ShadowConfig,
    ShadowProxy,
    ShadowStats,
)
from evalwheel.mirror.shadow_targets import EndpointTarget, ModelTarget, ShadowTarget
from evalwheel.project import Project
from evalwheel.redaction import register_secret
from evalwheel.store.db import Store
from evalwheel.store.mirrors import MirrorPairRepository


def shadow_config(**fields: Any) -> ShadowConfig:
    """A ``ShadowConfig``, with a bad value reported as an ``InputError`` naming its field."""
    try:
        return ShadowConfig(**fields)
    except ValidationError as exc:
        problem = exc.errors()[0]
        name = ".".join(str(part) for part in problem["loc"])
        raise InputError(problem["msg"].removeprefix("Value error, "), field=name) from None


def _is_url(value: str) -> bool:
    return value.startswith(("http://", "https://"))


def shadow_target(
    value: str,
    project: Project | None,
    *,
    model: str | None = None,
    api_key_env: str | None = None,
    timeout_s: float = 60.0,
    field: str = "candidate",
) -> ShadowTarget:
    """An endpoint URL or a configured model; ``InputError`` naming ``field`` otherwise.

    ``model`` replaces the request's ``model`` for an endpoint; ``api_key_env`` names the variable
    holding that endpoint's key (the primary's client credentials are never sent to it)."""
    if _is_url(value):
        key = None
        if api_key_env:
            key = os.environ.get(api_key_env)
            if not key:
                raise InputError(f"the environment variable {api_key_env} is empty", field=field)
            register_secret(key)
        return EndpointTarget(
            value, api_key=key, model=model, prices=project_prices(project), timeout_s=timeout_s
        )
    if model or api_key_env:
        raise InputError(
            f"{value!r} is a configured model: its model id and key come from evalwheel.toml",
            field=field,
        )
    try:
        spec = get_model(project_models(project), value)
    except ModelConfigError as exc:
        raise InputError(str(exc), field=field) from None
    return ModelTarget(spec, prices=project_prices(project))


def shadow_proxy(
    config: ShadowConfig,
    candidate: ShadowTarget,
    store: Store,
    guard: GuardConfig,
    *,
    secondary: ShadowTarget | None = None,
    redact: Redactor | None = None,
    project: Project | None = None,
) -> ShadowProxy:
    """The ASGI app of ``mirror serve``, ready for any ASGI server (uvicorn runs it here).

    ``guard`` is required: ``GuardConfig(token=None)`` is the explicit way to run without a token.
    """
    if not _is_url(config.primary):
        raise InputError(f"not an http(s) URL: {config.primary!r}", field="primary")
    return ShadowProxy(
        config,
        candidate,
        MirrorPairRepository(store),
        guard,
        secondary=secondary,
        redact=redact,
        prices=project_prices(project),
    )


def serve_mirror(
    config: ShadowConfig,
    candidate: ShadowTarget,
    store: Store,
    guard: GuardConfig,
    listen: http_server.ListenOptions,
    *,
    secondary: ShadowTarget | None = None,
    redact: Redactor | None = None,
    project: Project | None = None,
    sock: socket.socket | None = None,
) -> ShadowStats:
    """Serve until interrupted, then return the final counters; the pairs completed before the
    interrupt are stored on the way out. Refuses (``InputError``) a non-loopback bind without a
    token; ``sock`` is a socket already bound with ``http_server.bind``."""
    http_server.check_exposure(listen.host, guard.token)
    proxy = shadow_proxy(
        config, candidate, store, guard, secondary=secondary, redact=redact, project=project
    )
    sock = sock if sock is not None else http_server.bind(listen)
    run_proxy(proxy, sock, listen)
    return proxy.stats()


def run_proxy(proxy: ShadowProxy, sock: socket.socket, listen: http_server.ListenOptions) -> None:
    """``http_server.run`` with uvicorn's own ``Server`` and ``Date`` headers off: the client sees
    the primary's headers, not the proxy's added to them."""
    import uvicorn

    config = uvicorn.Config(
        proxy,
        host=listen.host,
        port=listen.port,
        log_level="warning",
        access_log=False,
        lifespan="on",
        server_header=False,
        date_header=False,
        **listen.uvicorn_options(),
    )
    uvicorn.Server(config).run(sockets=[sock])
