"""Bad conversations and essences are refused with one line naming the file, line and field, and
nothing already stored is lost."""

from __future__ import annotations

import json
from pathlib import Path

from evalwheel.project import Project
from tests.helpers import cli


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


GOOD = {"id": "c1", "input": [{"role": "user", "content": "tag big orders"}], "label": "success"}


def test_a_bad_message_names_its_line_and_place(sqlite_project: Project, tmp_path: Path) -> None:
    path = _write(
        tmp_path / "conv.jsonl",
        [
            GOOD,
            {
                "id": "c2",
                "input": [{"role": "user", "content": "x"}, {"role": "robot", "content": "y"}],
            },
        ],
    )
    result = cli("dataset", "import", path, "--name", "convs", "--kind", "conversations")
    assert result.exit_code == 2
    assert f"{path}:2: input: " in result.stderr and "message 1: role" in result.stderr


def test_a_conversation_must_start_with_the_user(sqlite_project: Project, tmp_path: Path) -> None:
    path = _write(
        tmp_path / "c.jsonl", [{"id": "c", "input": [{"role": "assistant", "content": "hi"}]}]
    )
    result = cli("dataset", "import", path, "--name", "convs", "--kind", "conversations")
    assert result.exit_code == 2 and "starts with the user's message" in result.stderr


def test_a_bad_label_and_a_bad_essence_are_refused_and_the_stored_version_stays(
    sqlite_project: Project, tmp_path: Path
) -> None:
    good = _write(tmp_path / "ok.jsonl", [GOOD])
    assert (
        cli("dataset", "import", good, "--name", "convs", "--kind", "conversations").exit_code == 0
    )
    bad = _write(tmp_path / "bad.jsonl", [{**GOOD, "label": "meh"}])
    result = cli("dataset", "import", bad, "--name", "convs", "--kind", "conversations")
    assert result.exit_code == 2 and f"{bad}:1: label" in result.stderr
    essence = _write(tmp_path / "e.jsonl", [{"id": "e", "input": {"goal": "", "facts": []}}])
    result = cli("dataset", "import", essence, "--name", "ess", "--kind", "essences")
    assert result.exit_code == 2 and f"{essence}:1: input" in result.stderr
    listed = cli("dataset", "list")
    assert "convs" in listed.stdout and "ess" not in listed.stdout.split()
