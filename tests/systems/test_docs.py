"""docs/systems.md stays true: every ``[systems.*]`` table in it builds, with the files it shows
(tools.json, agent.py) written beside it."""

import re
import sys
import tomllib
from pathlib import Path

import pytest

from evalwheel.systems import build_system_app

DOC = Path(__file__).resolve().parents[2] / "docs" / "systems.md"


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC.read_text(), re.S)


def test_every_example_system_in_the_guide_builds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    tools = next(b for b in blocks("json") if '"type": "function"' in b)
    (tmp_path / "tools.json").write_text(tools)
    (tmp_path / "agent.py").write_text(next(b for b in blocks("python") if "def answer" in b))
    monkeypatch.setenv("SEARCH_API_KEY", "doc-example-key-123")
    built = {}
    try:
        for block in blocks("toml"):
            for name, table in tomllib.loads(block).get("systems", {}).items():
                built[name] = build_system_app(name, table, tmp_path)
    finally:
        sys.modules.pop("agent", None)
    kinds = {app.name for app, _ in built.values()}
    assert kinds == {"prompt", "openai", "http", "python"}
    assert built["support"][1]["tools"][0]["function"]["name"] == "lookup_order"
    assert "doc-example-key-123" not in str(built["search"][1])
