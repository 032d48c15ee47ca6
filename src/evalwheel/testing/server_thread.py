"""Run an ASGI app on a free port of 127.0.0.1 in a background thread (for tests and benchmarks)."""

from __future__ import annotations

import threading
import time
from typing import Any


class ServerThread:
    """``with ServerThread(app) as base_url: ...``: uvicorn on 127.0.0.1, port chosen by the OS."""

    def __init__(self, app: Any, path: str = "/v1", **uvicorn_options: Any) -> None:
        self.app = app
        self.path = path
        self.uvicorn_options = uvicorn_options  # e.g. http_server.ListenOptions.uvicorn_options()
        self.port = 0
        self._server: Any = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    def __enter__(self) -> str:
        import uvicorn

        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=0,
            log_level="error",
            lifespan="on",
            access_log=False,
            **self.uvicorn_options,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the server did not start")
            time.sleep(0.01)
        self.port = self._server.servers[0].sockets[0].getsockname()[1]
        return self.url

    def __exit__(self, *exc: Any) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
