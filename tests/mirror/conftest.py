"""Fixtures of the mirror tests: two Python-function systems over stored traffic (every kind of
pair: improvements, regressions, identical, equivalent, order-biased, flaky, failing) and a
scripted pairwise judge on a real HTTP server."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

import evalwheel as ew
from evalwheel.project import Project
from tests.mirror.pairwise_server import PairwiseJudgeServer

AGENT = """
from collections import Counter

_calls = Counter()


def current(example):
    text = str(example.input)
    _calls[text] += 1
    if text.startswith("flaky"):
        return f"{text} answer v{_calls[text]}"
    if text.startswith("regress"):
        return f"GOOD ok {text}"
    return f"ok {text}"


def candidate(example):
    text = str(example.input)
    if text.startswith("improve"):
        return f"GOOD {text}"
    if text.startswith("regress"):
        return f"worse {text}"
    if text.startswith("biased"):
        return f"BIASED {text}"
    if text.startswith("spaces"):
        return f"ok   {text} "
    if text.startswith("fail"):
        raise RuntimeError("candidate broke")
    return f"ok {text}"
"""

ROWS = (
    [f"improve order {n} please" for n in range(1, 5)]
    + [f"regress {n}" for n in range(1, 3)]
    + [f"same {n}" for n in range(1, 7)]
    + [f"spaces {n}" for n in range(1, 3)]
    + ["biased 1"]
    + [f"flaky {n}" for n in range(1, 3)]
    + ["fail 1"]
)
DAYS = ["2026-11-01", "2026-11-02", "2026-11-03"]


@pytest.fixture
def judge_url() -> Iterator[PairwiseJudgeServer]:
    server = PairwiseJudgeServer()
    server.__enter__()
    yield server
    server.__exit__(None, None, None)


@pytest.fixture
def mirror_project(sqlite_project: Project, judge_url: PairwiseJudgeServer) -> Iterator[Project]:
    root = sqlite_project.root
    (root / "mirror_agent.py").write_text(AGENT)
    text = sqlite_project.config_path.read_text()
    text += f"""
[models.judge]
base_url = "{judge_url.url}"
model = "j"
max_retries = 0

[judges.pair]
model = "judge"
kind = "pairwise"
rubric = "Which answer is better?"
labels = ["A", "B", "tie"]

[systems.cur]
kind = "python"
function = "mirror_agent:current"

[systems.cand]
kind = "python"
function = "mirror_agent:candidate"
"""
    sqlite_project.config_path.write_text(text)
    rows = [
        {
            "id": f"t{i:02d}",
            "input": text,
            "tags": [f"kind:{text.split()[0]}"],
            "metadata": {"seen_at": f"{DAYS[i % 3]}T10:00:00Z"},
        }
        for i, text in enumerate(ROWS)
    ]
    ew.import_examples(rows, "traffic", kind="traffic", project=root)
    yield Project.load(root)
    sys.modules.pop("mirror_agent", None)  # each test's project writes its own module
