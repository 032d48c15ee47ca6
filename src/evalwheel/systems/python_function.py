"""``kind = "python"``: a function of the user's, ``module:function``, sync or async.

The function is imported with the project folder on ``sys.path`` (so ``agent.py`` beside
evalwheel.toml just works) and called with the Example; it also gets ``params`` when it takes a
second argument, and the run's ``ModelClient`` when it has a parameter named ``client`` (so its
own model calls are cached and budgeted). A synchronous function runs in a worker thread so it
does not block the other items. It returns the output itself (text or any JSON value), or a dict
of ``output`` with optional ``cost_usd``, ``input_tokens``, ``output_tokens``, ``tool_calls``,
``messages`` and ``outcome``, or an ``AppOutput``.

The system's version covers the function's path and a hash of its module's source, so editing
the agent's code makes a new version.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import hashlib
import importlib
import inspect
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, JsonValue, TypeAdapter, ValidationError

from evalwheel.apps.interface import AppOutput
from evalwheel.core.example import Example
from evalwheel.systems.base import ConfiguredSystem, KindConfig, SystemCallError, field_error

_STRUCTURED_KEYS = frozenset(
    {"output", "cost_usd", "input_tokens", "output_tokens", "tool_calls", "messages", "outcome"}
)
_JSON = TypeAdapter(JsonValue)


class PythonConfig(KindConfig):
    kind: Literal["python"]
    function: str = Field(
        pattern=r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$", description="module:function"
    )
    model: str | None = Field(
        default=None, description="The model behind the client the function may take."
    )
    params: dict[str, JsonValue] = Field(default_factory=dict)


@contextmanager
def project_on_path(root: Path | None) -> Iterator[None]:
    """The project folder first on ``sys.path`` while importing, and only then."""
    entry = str(root) if root is not None else None
    added = entry is not None and entry not in sys.path
    if added:
        sys.path.insert(0, str(entry))
    try:
        yield
    finally:
        if added:
            sys.path.remove(str(entry))


def import_function(spec: str, root: Path | None) -> Callable[..., Any]:
    """The callable named ``module:attr.path``; ``ValueError`` saying what is missing."""
    module_name, _, attr_path = spec.partition(":")
    with project_on_path(root):
        try:
            target: Any = importlib.import_module(module_name)
            if _file_hash(target) != getattr(target, _LOADED_HASH, None):
                # Edited since this process imported it (a notebook, a long-lived service): run
                # the code on disk, the code whose hash the system's version records.
                if hasattr(target, _LOADED_HASH):
                    target = importlib.reload(target)
                setattr(target, _LOADED_HASH, _file_hash(target))
        except Exception as exc:  # user code: a syntax error is as much a config problem
            raise ValueError(
                f"cannot import {module_name!r}: {type(exc).__name__}: {exc}"
            ) from None
    for part in attr_path.split("."):
        if not hasattr(target, part):
            raise ValueError(f"{module_name!r} has no {attr_path!r}")
        target = getattr(target, part)
    if not callable(target):
        raise ValueError(f"{spec!r} is a {type(target).__name__}, not a function")
    return target  # type: ignore[no-any-return]


_LOADED_HASH = "__evalwheel_source_sha256__"
_POOL: concurrent.futures.ThreadPoolExecutor | None = None


def _sync_pool() -> concurrent.futures.ThreadPoolExecutor:
    """Threads for sync functions, apart from asyncio's default executor: an interrupted run does
    not wait for a user's function that never returns (closing a loop waits for its default
    executor), and the CLI then leaves without joining them."""
    global _POOL
    if _POOL is None:
        _POOL = concurrent.futures.ThreadPoolExecutor(32, thread_name_prefix="evalwheel-python")
    return _POOL


def _file_hash(module: Any) -> str | None:
    path = getattr(module, "__file__", None)
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest() if path else None
    except OSError:
        return None


def source_hash(function: Callable[..., Any]) -> str | None:
    """SHA-256 of the source of the function's module (helpers included), or of the function
    alone, or None when Python cannot see any source (a C extension, a REPL definition)."""
    module = inspect.getmodule(function)
    loaded = getattr(module, _LOADED_HASH, None)
    if loaded is not None:
        return str(loaded)
    for target in (module, function):
        if target is None:
            continue
        try:
            return hashlib.sha256(inspect.getsource(target).encode()).hexdigest()
        except (OSError, TypeError):
            continue
    return None


def call_shape(function: Callable[..., Any]) -> tuple[bool, bool]:
    """(takes params, takes client): params as a second positional argument, client by name."""
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return False, False
    kinds = [p.kind for p in signature.parameters.values()]
    positional = sum(
        k in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        for k in kinds
    )
    varargs = inspect.Parameter.VAR_POSITIONAL in kinds
    client = "client" in signature.parameters or inspect.Parameter.VAR_KEYWORD in kinds
    takes_params = positional >= 2 and list(signature.parameters)[1] != "client"
    return takes_params or varargs, client


def to_output(value: Any) -> AppOutput:
    """What the function returned, as a trace; ``SystemCallError`` for a value that is not one."""
    if isinstance(value, AppOutput):
        return value
    if isinstance(value, dict) and "output" in value and set(value) <= _STRUCTURED_KEYS:
        try:
            return AppOutput(
                outcome=value.get("outcome") or "answer",
                artifact=value["output"],
                cost_usd=value.get("cost_usd") or 0.0,
                input_tokens=value.get("input_tokens") or 0,
                output_tokens=value.get("output_tokens") or 0,
                tool_calls=value.get("tool_calls") or [],
                messages=value.get("messages") or [],
            )
        except ValidationError as exc:
            error = exc.errors()[0]
            field = ".".join(str(p) for p in error["loc"])
            raise SystemCallError(
                f"the function returned a bad {field!r}: {error['msg']}"
            ) from None
    try:
        artifact = _JSON.validate_python(value)
    except ValidationError:
        raise SystemCallError(
            f"the function returned a {type(value).__name__}, not text, a JSON value, a dict "
            "with 'output' or an AppOutput"
        ) from None
    return AppOutput(outcome="answer", artifact=artifact)


class PythonSystem(ConfiguredSystem):
    kind = "python"
    config_model = PythonConfig
    config: PythonConfig

    def __init__(self, system_name: str, config: Any, project_root: Path | None) -> None:
        super().__init__(system_name, config, project_root)
        try:
            self.function = import_function(self.config.function, project_root)
        except ValueError as exc:
            raise field_error(system_name, "function", str(exc), project_root) from None
        self.is_async = inspect.iscoroutinefunction(self.function) or inspect.iscoroutinefunction(
            getattr(self.function, "__call__", None)  # noqa: B004 - an async callable object
        )
        self.takes_params, self.takes_client = call_shape(self.function)
        self.source_sha256 = source_hash(self.function)

    def describe(self, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "function": self.config.function,
            "source_sha256": self.source_sha256,
            "model": self.config.model,
            "params": self.config.params,
        }

    async def run(self, example: Example, client: Any, params: dict[str, Any]) -> AppOutput:
        merged = {**self.config.params, **params}
        args: list[Any] = [example, merged] if self.takes_params else [example]
        kwargs: dict[str, Any] = {"client": client} if self.takes_client else {}
        if self.is_async:
            value = await self.function(*args, **kwargs)
        else:
            call = functools.partial(self.function, *args, **kwargs)
            value = await asyncio.get_running_loop().run_in_executor(_sync_pool(), call)
            if inspect.isawaitable(value):  # a sync wrapper that hands back a coroutine
                value = await value
        return to_output(value)
