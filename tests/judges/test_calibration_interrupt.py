"""Ctrl-C during calibration: the real CLI process against a slow scripted judge server stops within
seconds with exit 130, records nothing half-done, and a re-run pays for no call answered before
the interrupt (each is in the call cache as soon as it returns)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from evalwheel.asgi import read_body
from evalwheel.project import Project
from evalwheel.store.tables import CallCacheRow
from evalwheel.testing.scripted_judge import ScriptedJudge
from evalwheel.testing.server_thread import ServerThread
from tests.helpers import cli, cli_json, cli_process
from tests.judges.golden_data import judge_config, make_golden


class SlowJudge:
    """The scripted judge behind a delay, keeping when each request was answered."""

    def __init__(self, delay_s: float) -> None:
        self.model = ScriptedJudge()
        self.delay_s = delay_s
        self.answered: list[tuple[str, float]] = []  # (request digest, monotonic time)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.model(scope, receive, send)
        body = await read_body(receive)
        await asyncio.sleep(self.delay_s)
        sent = False

        async def replay() -> dict[str, Any]:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.model(scope, replay, send)
        self.answered.append((hashlib.sha256(body).hexdigest(), time.monotonic()))


def _cached(project: Project) -> int:
    store = project.open_store()
    try:
        with store.read() as session:
            return int(session.execute(select(func.count()).select_from(CallCacheRow)).scalar_one())
    finally:
        store.close()


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_calibration_stops_in_seconds_and_repays_nothing(
    sqlite_project: Project, tmp_path: Path, sig: signal.Signals
) -> None:
    slow = SlowJudge(delay_s=0.3)
    with ServerThread(slow) as url:
        config = sqlite_project.config_path
        config.write_text(config.read_text() + judge_config(url), encoding="utf-8")
        items, labels = make_golden(tmp_path, n=120)
        assert cli("dataset", "import", items, "--name", "gold", "--kind", "golden").exit_code == 0
        assert cli("labels", "import", labels, "--dataset", "gold").exit_code == 0
        command = ("calibrate", "--judge", "scripted-quality", "--golden", "gold")
        proc = cli_process(*command, "--resamples", "300", cwd=sqlite_project.root)
        deadline = time.monotonic() + 120
        while _cached(sqlite_project) < 20:
            assert proc.poll() is None and time.monotonic() < deadline, "ended before the signal"
            time.sleep(0.02)
        sent = time.monotonic()
        proc.send_signal(sig)
        code = proc.wait(timeout=60)
        stopped_in = time.monotonic() - sent
        stderr = proc.stderr.read() if proc.stderr else ""
        assert code == 130, stderr
        assert "interrupted" in stderr
        assert stopped_in < 5, stopped_in
        assert cli_json("judge", "show", "scripted-quality")["calibrations"] == []
        before = {digest for digest, when in slow.answered if when < sent - 0.2}
        assert len(before) >= 10
        slow.delay_s = 0.0
        # Interrupted in the baseline's dev phase, so a measure-only re-run asks the same calls.
        result = cli(*command, "--resamples", "300", "--max-iterations", "0", "--json")
        assert result.exit_code == 1, result.stderr  # 36 test items: the gate needs 50
        assert (
            json.loads(result.stdout)["calibration"]["metrics"]["stop_reason"] == "max_iterations"
        )
        again = [digest for digest, when in slow.answered if when > sent]
        # Every call answered (well) before the interrupt came from the cache on the re-run.
        assert not before & set(again)
