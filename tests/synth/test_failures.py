"""Failures become training rows: a mirror's losing answers (decided by a human, the judge or an
error), a run's failed traces (the app's check, an error, a human's review verdict), with the
target chosen right and rows without a usable target skipped and counted."""

from __future__ import annotations

import json
from typing import Any

import pytest

import evalwheel as ew
from evalwheel.api import mirroring
from evalwheel.apps.interface import AppOutput, CheckResult
from evalwheel.labels import api as labels_api
from evalwheel.labels.review_queue import enqueue
from evalwheel.project import Project
from evalwheel.store.datasets import DatasetRepository
from evalwheel.synth.failures import (
    failure_id,
    failure_rows,
    mirror_failures,
    run_failures,
)
from tests.mirror.conftest import judge_url, mirror_project  # noqa: F401 (fixtures)
from tests.mirror.pairwise_server import PairwiseJudgeServer

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "answer",
            "description": "Give the answer.",
            "parameters": {"type": "object", "properties": {"answer": {"type": "string"}}},
        },
    }
]


class Toy:
    """An application with a deterministic check, tool specs, an ideal trajectory and the tools
    to run one (the pipeline's execution stage)."""

    name = "toy"
    artifact_outcome = "answer"

    def example_datasets(self) -> list:
        return []

    def field_maps(self) -> dict:
        return {}

    async def run(self, example: Any, client: Any, params: dict) -> AppOutput:
        text = str(example.input)
        if text.startswith("crash"):
            return AppOutput(error="RuntimeError: boom")
        answer = "nope" if text.startswith("wrong") else text.upper()
        return AppOutput(
            outcome="answer",
            artifact={"answer": answer},
            messages=[
                {"role": "system", "content": "Answer in capitals."},
                {"role": "user", "content": text},
                {"role": "assistant", "content": answer},
            ],
        )

    def check(self, example: Any, output: AppOutput) -> list[CheckResult]:
        ref = example.reference
        got = output.artifact
        ok = (
            isinstance(ref, dict)
            and isinstance(got, dict)
            and str(ref["answer"]).casefold() == str(got["answer"]).casefold()
        )
        return [CheckResult(scorer="toy.pass", passed=ok)]

    def render(self, example: Any, output: AppOutput) -> str:
        return str(output.artifact)

    def same(self, a: AppOutput, b: AppOutput) -> bool:
        return a.artifact == b.artifact

    def ideal_trajectory(self, request: str, artifact: Any) -> list[dict[str, Any]]:
        if not isinstance(artifact, dict) or "answer" not in artifact:
            raise ValueError("not an answer")
        return [
            {"role": "user", "content": request},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "c1",
                        "type": "function",
                        "function": {"name": "answer", "arguments": json.dumps(artifact)},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": "ok"},
            {"role": "assistant", "content": "Done."},
        ]

    def tool_specs(self) -> list[dict[str, Any]]:
        return TOOLS

    def execute_trajectory(self, messages: list[dict[str, Any]]) -> Any:
        for message in messages:
            for call in message.get("tool_calls") or []:
                if call["function"]["name"] == "answer":
                    return json.loads(call["function"]["arguments"])
        return None


TOY_ROWS = [
    {"id": "a", "input": "alpha in capitals", "reference": {"answer": "ALPHA IN CAPITALS"}},
    # passes the check; a human fails it on review
    {"id": "b", "input": "beta in capitals", "reference": {"answer": "Beta in capitals"}},
    {"id": "c", "input": "crash right now", "reference": {"answer": "CRASH RIGHT NOW"}},
    {
        "id": "w1",
        "input": "wrong one in capitals",
        "reference": {"answer": "WRONG ONE IN CAPITALS"},
        "metadata": {"expect": "answer", "merchant": "m1"},
    },  # the check fails
    {"id": "w2", "input": "wrong two in capitals"},  # the check fails; no target
    {"id": "w3", "input": "wrong", "reference": {"answer": "WRONG"}},  # too short to train on
]


def toy_run(project: Project) -> str:
    """A real run of the toy app, with a human failing item b on review."""
    result = ew.evaluate(Toy(), TOY_ROWS, dataset_name="toyset", project=project.root)
    store = project.open_store()
    try:
        enqueue(
            store,
            f"trace:{result.run_id}/b",
            {
                "score": {
                    "run_id": result.run_id,
                    "example_id": "b",
                    "repetition": 0,
                    "scorer": "toy.pass",
                },
                "labels": ["good", "bad"],
                "pass_labels": ["good"],
            },
        )
    finally:
        store.close()
    (item,) = labels_api.review_queue(project=project.root)
    labels_api.resolve_review(item.id, "bad", "ann", project=project.root)
    return result.run_id


def test_run_failures_pick_target_and_rejected(sqlite_project: Project) -> None:
    run_id = toy_run(sqlite_project)
    store = sqlite_project.open_store()
    try:
        harvest = run_failures(store, run_id)
    finally:
        store.close()
    assert harvest.considered == 6
    assert harvest.skipped == {"passed": 1, "no_target": 1}
    found = {c.example_id: c for c in harvest.candidates}
    assert set(found) == {"b", "c", "w1", "w3"}
    assert (found["b"].source, found["b"].decided_by) == ("review", "human")
    assert (found["c"].source, found["c"].decided_by) == ("run", "error")
    assert (found["w1"].source, found["w1"].decided_by) == ("run", "check")
    assert found["w1"].target == {"answer": "WRONG ONE IN CAPITALS"}
    assert found["w1"].rejected.artifact == {"answer": "nope"}
    assert found["c"].rejected.error == "RuntimeError: boom"

    built = failure_rows(harvest.candidates, app=Toy())
    rows = {r.metadata["provenance"]["example_id"]: r for r in built.rows}  # type: ignore[index]
    w1 = rows["w1"]
    assert w1.id == failure_id(found["w1"]) and w1.id.startswith("fail-") and len(w1.id) == 17
    assert w1.input == "wrong one in capitals" and w1.reference == {
        "answer": "WRONG ONE IN CAPITALS"
    }
    assert w1.output == {"answer": "nope"}
    assert w1.metadata["expect"] == "answer"
    assert w1.metadata["rejected"]["artifact"] == {"answer": "nope"}  # type: ignore[index]
    call = w1.metadata["trajectory"][1]["tool_calls"][0]  # type: ignore[index]
    assert json.loads(call["function"]["arguments"]) == w1.reference  # type: ignore[index]
    rejected_call = w1.metadata["rejected_trajectory"][1]["tool_calls"][0]  # type: ignore[index]
    assert json.loads(rejected_call["function"]["arguments"]) == {"answer": "nope"}  # type: ignore[index]
    prov = w1.metadata["provenance"]
    assert prov == {
        "source": "run",
        "source_dataset": prov["source_dataset"],  # type: ignore[index]
        "source_id": run_id,
        "item_id": "w1#0",
        "example_id": "w1",
        "decided_by": "check",
        "target_from": "reference",
        "rejected_system": prov["rejected_system"],  # type: ignore[index]
        "app": "toy",
        "merchant": "m1",
    }
    assert str(prov["source_dataset"]).startswith("toyset@")  # type: ignore[index]
    assert {"source:run", "decided_by:check"} <= set(w1.tags)
    # The crashed item has no artifact: its row has no rejected output and no rejected trajectory.
    assert rows["c"].output is None and "rejected_trajectory" not in rows["c"].metadata
    assert "source:review" in rows["b"].tags
    # The same failures give the same ids: a second harvest is the same dataset.
    again = failure_rows(harvest.candidates, app=Toy())
    assert [r.id for r in again.rows] == [r.id for r in built.rows]


def test_mirror_failures_by_human_judge_and_error(
    mirror_project: Project,  # noqa: F811
    judge_url: PairwiseJudgeServer,  # noqa: F811
) -> None:
    result = mirroring.mirror_replay(
        "traffic",
        "cur",
        "cand",
        judge="pair",
        allow_untrusted_judge=True,
        project=mirror_project.root,
    )
    queue = labels_api.review_queue(project=mirror_project.root)
    improve = next(i for i in queue if "improve" in str(i.details["request"]))
    regress = next(i for i in queue if "regress" in str(i.details["request"]))
    # A human overrules the judge on the improve group, and finds both regress answers bad:
    # with no reference in the traffic, those have no target.
    labels_api.resolve_review(improve.id, "current", "ann", project=mirror_project.root)
    labels_api.resolve_review(regress.id, "both_bad", "ann", project=mirror_project.root)
    store = mirror_project.open_store()
    try:
        harvest = mirror_failures(store, result.mirror.id, runs=result.mirror.runs)
    finally:
        store.close()
    assert harvest.considered == 18
    assert harvest.skipped == {"undecided": 11, "no_target": 4}
    by_item = {c.example_id: c for c in harvest.candidates}
    assert len(harvest.candidates) == 5
    human = [c for c in harvest.candidates if c.decided_by == "human"]
    assert len(human) == 4
    first = by_item["t00"]
    assert first.target == "ok improve order 1 please" and first.target_from == "winner"
    assert first.rejected.artifact == "GOOD improve order 1 please"
    assert first.system is not None and first.system.startswith("cand@")
    failed = by_item["t17"]
    assert failed.decided_by == "error" and failed.target == "ok fail 1"
    assert failed.rejected.error is not None and "candidate broke" in failed.rejected.error


def test_mirror_failures_prefer_the_reference_and_the_apps_check(
    mirror_project: Project,  # noqa: F811
    judge_url: PairwiseJudgeServer,  # noqa: F811
) -> None:
    """With references in the traffic, the target is the reference, never the winner's answer."""
    result = mirroring.mirror_replay(
        "traffic",
        "cur",
        "cand",
        judge="pair",
        allow_untrusted_judge=True,
        project=mirror_project.root,
    )
    from evalwheel.core.example import Example

    examples = {
        "t00": Example(id="t00", input="improve order 1 please", reference="THE ANSWER"),
    }
    store = mirror_project.open_store()
    try:
        harvest = mirror_failures(
            store, result.mirror.id, runs=result.mirror.runs, examples=examples
        )
    finally:
        store.close()
    by_item = {c.example_id: c for c in harvest.candidates}
    assert by_item["t00"].target == "THE ANSWER" and by_item["t00"].target_from == "reference"
    # The judge preferred the candidate (GOOD): the current answer is the one rejected.
    assert by_item["t00"].decided_by == "judge"
    assert by_item["t00"].rejected.artifact == "ok improve order 1 please"
    assert by_item["t01"].target == "GOOD improve order 2 please"


def test_synth_failures_verifies_and_stores(sqlite_project: Project) -> None:
    """Through the API: the same verification as generated rows (the too-short request fails the
    format stage), then a stored synthetic version whose rows say which filters they passed."""
    from evalwheel.api.synthesis_data import synth_failures

    run_id = toy_run(sqlite_project)
    result = synth_failures(
        f"run:{run_id}", name="fails", app=Toy(), against=[], project=sqlite_project.root
    )
    assert (result.considered, result.candidates, result.rows) == (6, 4, 4)
    assert result.skipped == {"passed": 1, "no_target": 1}
    assert result.finished is not None and result.dataset is not None
    funnel = result.finished.funnel
    assert (funnel.format, funnel.execution, funnel.kept) == (3, 3, 3)
    store = sqlite_project.open_store()
    try:
        repo = DatasetRepository(store)
        version = repo.resolve(result.dataset)
        rows = list(repo.iter_examples(version.version_id))
    finally:
        store.close()
    assert version.kind.value == "synthetic"
    assert sorted(r.metadata["provenance"]["example_id"] for r in rows) == ["b", "c", "w1"]  # type: ignore[index]
    for row in rows:
        assert row.metadata["provenance"]["filters_passed"] == ["format", "execution"]  # type: ignore[index]


@pytest.mark.parametrize("source", ["nothing", "mirror:", "run"])
def test_a_bad_source_is_an_input_error(sqlite_project: Project, source: str) -> None:
    from evalwheel.api.synthesis_data import synth_failures

    with pytest.raises(ew.InputError, match="source"):
        synth_failures(source, name="f", project=sqlite_project.root)
