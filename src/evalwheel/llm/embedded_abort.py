"""Stopping an embedded-model call that is running in a worker thread.

Why: the event loop cannot close while its worker threads run, so a cancelled call used to keep
Ctrl-C waiting for the call generating and every call queued behind it (about 30 s at concurrency
4 on two cores). Queued calls give up when they get the model's lock (see ``embedded``); the one
running is stopped with llama.cpp's abort callback, which ``llama_decode`` checks at every graph
node, during the prompt's evaluation as well as between generated tokens.

How, cheaply: a callback written in Python would need the GIL at every node, thousands of times a
token. So the callback is libc's ``atoi`` reading a two-byte flag, ``"0"`` or ``"1"``: native code,
no GIL, nothing measurable per node. (``atoi`` returns an int where the callback type returns a
bool; every mainstream ABI returns both in the same register, and 0/1 fit either.) Where libc
cannot be found, a Python callback is installed only when a call is cancelled; it then takes
effect at the next ``llama_decode``, so a prompt being read finishes its batch first.

(Neither of llama-cpp-python's own hooks can stop a call: its chat handlers drop
``stopping_criteria``, and exceptions raised in logits processors are swallowed by ctypes.)
"""

from __future__ import annotations

import ctypes
import threading
from typing import Any

_registry_lock = threading.Lock()
_aborts: dict[int, Abort] = {}


def _native_flag_reader() -> Any | None:
    """``atoi`` as a ``ggml_abort_callback``, or None where libc's symbols are not reachable."""
    from llama_cpp import ggml_abort_callback

    try:
        return ctypes.cast(ctypes.CDLL(None).atoi, ggml_abort_callback)
    except (OSError, AttributeError, TypeError):
        return None


class Abort:
    """One model's abort switch: ``begin``/``end`` bracket each call under the model's lock;
    ``request`` (from any thread) stops the running call if it is the cancelled one's."""

    def __init__(self, llm: Any) -> None:
        from llama_cpp import ggml_abort_callback

        self._ctx = llm._ctx.ctx
        self._state = threading.Lock()  # request never sets the flag for the next call
        self._current: threading.Event | None = None
        self._flag = ctypes.create_string_buffer(b"0", 2)
        self._python = ggml_abort_callback(lambda _data: self._flag.value == b"1")
        self._none = ggml_abort_callback(0)
        self._native = _native_flag_reader()  # kept referenced while llama.cpp holds it
        if self._native is not None:
            self._install(self._native, ctypes.cast(self._flag, ctypes.c_void_p))

    def _install(self, callback: Any, data: Any = None) -> None:
        from llama_cpp import llama_set_abort_callback

        llama_set_abort_callback(self._ctx, callback, data)

    def begin(self, cancelled: threading.Event) -> None:
        with self._state:
            self._current = cancelled
            self._flag.value = b"0"
            if self._native is None:
                self._install(self._none)

    def end(self) -> None:
        with self._state:
            self._current = None
            self._flag.value = b"0"

    def request(self, cancelled: threading.Event) -> None:
        with self._state:
            if self._current is not cancelled:
                return
            self._flag.value = b"1"
            if self._native is None:
                self._install(self._python)


def abort_for(llm: Any) -> Abort:
    """The switch of a loaded model (made on first use)."""
    with _registry_lock:
        found = _aborts.get(id(llm))
        if found is None:
            found = _aborts[id(llm)] = Abort(llm)
        return found


def request_abort(cancelled: threading.Event) -> None:
    """Stop the call ``cancelled`` belongs to, on whichever model it is running (if any)."""
    with _registry_lock:
        switches = list(_aborts.values())
    for switch in switches:
        switch.request(cancelled)


def forget(llm: Any) -> None:
    """Drop a model's switch (before the model is freed)."""
    with _registry_lock:
        _aborts.pop(id(llm), None)
