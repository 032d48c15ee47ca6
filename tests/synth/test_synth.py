"""The synthetic-data pipeline: sampling rules, verification stages, decontamination, storage."""

from __future__ import annotations

import asyncio
import copy
import json
from typing import Any

import pytest

from evalwheel.api.datasets import import_examples
from evalwheel.apps.interface import AppOutput, CheckResult
from evalwheel.core.example import Example
from evalwheel.llm.client import ModelClient
from evalwheel.llm.registry import ModelSpec
from evalwheel.llm.types import ChatRequest, ChatResponse
from evalwheel.store.datasets import DatasetRepository
from evalwheel.synth import verify
from evalwheel.synth.pipeline import afinish_rows, write_rows
from evalwheel.synth.sampling import sample_rows
from evalwheel.synth.writer import STYLES, style_for
from evalwheel_flow import DATA_DIR
from evalwheel_flow.app import APP

WORKFLOWS = [json.loads(line) for line in (DATA_DIR / "workflows.jsonl").open()]


class ShapeApp:
    """An application whose artifact is ``{"shape": S, "ok": bool}``: it validates when ok."""

    name = "shapes"

    def check(self, example: Example, output: AppOutput) -> list[CheckResult]:
        ok = isinstance(output.artifact, dict) and bool(output.artifact.get("ok"))
        return [CheckResult(scorer="shapes.valid", passed=ok)]

    def signature(self, example: Example) -> str | None:
        ref = example.reference
        return ref.get("shape") if isinstance(ref, dict) else None


def _item(id_: str, merchant: str, shape: str | None, ok: bool = True) -> Example:
    return Example(id=id_, reference={"shape": shape, "ok": ok}, metadata={"merchant": merchant})


def test_each_sampling_rule_removes_what_it_should():
    rows = [
        _item("a1", "A", "s1"),
        _item("a2", "A", "s2"),
        _item("a3", "A", "s2"),
        _item("b1", "B", "s3"),  # B has one workflow: its shape s3 is lost
        _item("c1", "C", "s4", ok=False),  # invalid: C is left with one, s4 and s5 are lost
        _item("c2", "C", "s5"),
        _item("d1", "D", None),
        _item("d2", "D", "s1"),
    ]
    chosen, report = sample_rows(ShapeApp(), rows, per_descriptor=1, seed=3)
    assert report.rule("validates").removed == 1
    assert report.rule("validates").descriptors_lost == ["s4"]
    assert report.rule("owner_has_two").removed == 2
    assert report.rule("owner_has_two").descriptors_lost == ["s3", "s5"]
    assert report.rule("descriptor").removed == 1
    assert report.rule("per_descriptor").removed == 2  # s1 and s2 had two each
    assert sorted(d for _, d in chosen) == ["s1", "s2"]
    assert report.descriptors_available == 5
    assert report.descriptors_covered == 2
    assert report.coverage == pytest.approx(2 / 5)
    again, _ = sample_rows(ShapeApp(), rows, per_descriptor=1, seed=3)
    assert [e.id for e, _ in again] == [e.id for e, _ in chosen]


def test_the_merchant_cap_can_cost_a_descriptor_and_says_so():
    rows = [
        _item("a1", "A", "s1"),
        _item("a2", "A", "s2"),
        _item("b1", "B", "s1"),
        _item("b2", "B", "s1"),
    ]
    chosen, report = sample_rows(ShapeApp(), rows, per_descriptor=2, per_merchant=1, seed=0)
    assert len(chosen) == 2
    assert len({e.metadata["merchant"] for e, _ in chosen}) == 2
    assert report.rule("per_merchant").removed >= 1


def _flow_row(request: str, workflow: dict[str, Any], **provenance: Any) -> Example:
    return Example(
        id="syn-test",
        input=request,
        reference=workflow,
        metadata={
            "expect": "workflow",
            "trajectory": APP.ideal_trajectory(request, workflow),
            "provenance": {"source": "synth", "style": "terse", **provenance},
        },
    )


TAGGED = WORKFLOWS[0]["reference"]  # order email ends with @company.example → tag "company"
GOOD = "When an order comes in from an @company.example email, tag it company."


def test_format_passes_a_faithful_request_and_catches_a_missing_fact():
    assert verify.format_verdict(APP, _flow_row(GOOD, TAGGED)).passed is True
    missing = verify.format_verdict(APP, _flow_row("Tag company orders please.", TAGGED))
    assert missing.passed is False
    assert "@company.example" in missing.reasons[0]


def test_format_catches_an_echo_of_the_description():
    description = APP.describe_artifact(TAGGED)
    row = _flow_row(description, TAGGED, description=description)
    verdict = verify.format_verdict(APP, row)
    assert verdict.passed is False
    assert any("echoes" in r for r in verdict.reasons)


def test_format_catches_tool_arguments_that_break_the_schema():
    row = _flow_row(GOOD, TAGGED)
    trajectory = copy.deepcopy(row.metadata["trajectory"])
    call = trajectory[1]["tool_calls"][0]["function"]
    call["arguments"] = json.dumps({"task_type": "TRIGGER"})  # search_tasks requires query
    broken = row.model_copy(update={"metadata": {**row.metadata, "trajectory": trajectory}})
    verdict = verify.format_verdict(APP, broken)
    assert verdict.passed is False
    assert "'query' is a required property" in " ".join(verdict.reasons)


def test_execution_catches_a_trajectory_that_builds_another_workflow():
    row = _flow_row(GOOD, TAGGED)
    assert verify.execution_verdict(APP, row).passed is True
    trajectory = copy.deepcopy(row.metadata["trajectory"])
    for message in trajectory:
        for call in message.get("tool_calls") or []:
            function = call["function"]
            if function["name"] == "create_workflow":
                function["arguments"] = function["arguments"].replace('company"]', 'other"]')
    broken = row.model_copy(update={"metadata": {**row.metadata, "trajectory": trajectory}})
    verdict = verify.execution_verdict(APP, broken)
    assert verdict.passed is False
    assert "flow.pass failed" in verdict.reasons


def test_every_shipped_skeleton_has_a_trajectory_that_replays_to_its_workflow():
    seen: dict[str, dict[str, Any]] = {}
    for row in WORKFLOWS:
        seen.setdefault(APP.signature(Example(id="x", reference=row["reference"])) or "", row)
    for row in seen.values():
        example = _flow_row("a request", row["reference"])
        assert verify.execution_verdict(APP, example).passed is True, row["id"]
        names = [
            c["function"]["name"]
            for m in example.metadata["trajectory"]
            for c in m.get("tool_calls") or []
        ]
        assert names[0] == "search_tasks" and names[-2:] == ["validate_workflow", "create_workflow"]


def test_finish_rows_stores_kept_rows_with_provenance_and_removes_a_test_split_match(
    sqlite_project,
):
    other = next(
        r
        for r in WORKFLOWS
        if APP.signature(Example(id="x", reference=r["reference"]))
        != APP.signature(Example(id="x", reference=TAGGED))
    )
    same_shape = {
        "id": "bench-1",
        "input": "tag gmail orders",
        "reference": TAGGED,
        "split": "test",
    }
    import_examples([same_shape], "bench", "benchmark", project=sqlite_project)
    kept_row = _flow_row(
        "Tag orders as " + " ".join(APP.artifact_facts(other["reference"])), other["reference"]
    ).model_copy(update={"id": "syn-kept"})
    gone_row = _flow_row(GOOD, TAGGED).model_copy(update={"id": "syn-gone"})
    result = asyncio.run(
        afinish_rows(sqlite_project, APP, [kept_row, gone_row], name="syn", against=["bench:test"])
    )
    assert result.funnel.format == 2 and result.funnel.execution == 2
    assert result.funnel.kept == 1
    assert [(r.id, r.method, r.matched) for r in result.removed] == [
        ("syn-gone", "signature", "bench:test:bench-1")
    ]
    store = sqlite_project.open_store()
    try:
        repo = DatasetRepository(store)
        version = repo.resolve("syn")
        stored = list(repo.iter_examples(version.version_id))
    finally:
        store.close()
    assert version.kind == "synthetic"
    assert [e.id for e in stored] == ["syn-kept"]
    assert stored[0].metadata["provenance"]["filters_passed"] == [
        "format",
        "execution",
        "decontamination",
    ]


class ScriptedProvider:
    """Answers every chat with a fixed request and keeps what it was asked."""

    def __init__(self, answer: str) -> None:
        self.answer, self.requests = answer, []

    async def complete(self, request: ChatRequest, timeout_s: float) -> ChatResponse:
        self.requests.append(request)
        return ChatResponse(content=self.answer, finish_reason="stop")

    async def aclose(self) -> None:
        return None


def test_the_writer_sees_the_description_and_the_style_and_rows_carry_provenance():
    provider = ScriptedProvider('Sure! "' + GOOD + '"')
    spec = ModelSpec(name="scripted", base_url="http://127.0.0.1:9/v1", model="m")
    client = ModelClient(spec, provider=provider)
    example = Example(id="wf-1", reference=TAGGED, metadata={"merchant": "m1"})
    rows, failed = asyncio.run(
        write_rows(APP, client, [(example, "sig")], source="wf@1", styles=["chatty"], seed=7)
    )
    assert failed == 0 and len(rows) == 1
    prompt = provider.requests[0].messages[-1]["content"]
    assert "@company.example" in prompt and STYLES["chatty"] in prompt
    row = rows[0]
    assert row.input == GOOD
    assert row.metadata["provenance"]["writer_model"] == "scripted"
    assert row.metadata["provenance"]["source_id"] == "wf-1"
    assert row.metadata["provenance"]["merchant"] == "m1"
    assert "style:chatty" in row.tags
    assert verify.format_verdict(APP, row).passed is True


def test_styles_come_from_the_seed_not_the_call_order():
    styles = list(STYLES)
    first = [style_for(1, f"wf-{i}", 0, styles) for i in range(20)]
    assert first == [style_for(1, f"wf-{i}", 0, styles) for i in range(20)]
    assert len(set(first)) > 1
    assert first != [style_for(2, f"wf-{i}", 0, styles) for i in range(20)]


def test_a_vague_row_asks_first_and_must_leave_a_value_out():
    from evalwheel.synth.writer import clarification

    description = APP.describe_artifact(TAGGED)
    trajectory = APP.ideal_trajectory("tag some orders", TAGGED, clarification(description))
    assert trajectory[1]["tool_calls"][0]["function"]["name"] == "ask_merchant"
    row = Example(
        id="v",
        input="Can you tag some of my company orders?",
        reference=TAGGED,
        metadata={
            "expect": "clarify",
            "trajectory": trajectory,
            "provenance": {"source": "synth", "style": "vague"},
        },
    )
    assert verify.format_verdict(APP, row).passed is True
    assert verify.execution_verdict(APP, row).passed is True
    precise = row.model_copy(update={"input": GOOD})
    assert verify.format_verdict(APP, precise).passed is False


@pytest.mark.model
@pytest.mark.slow
def test_the_whole_pipeline_on_three_flow_workflows_with_the_embedded_model(sqlite_project):
    from evalwheel.api.synthesis import synthesize

    picked = [r for r in WORKFLOWS if r["merchant"] == "m0001"][:3]
    import_examples(
        [{"id": r["id"], "reference": r["reference"], "merchant": "m0001"} for r in picked],
        "wf",
        "workflows",
        project=sqlite_project,
    )
    result = synthesize("wf", name="syn", per_descriptor=1, against=[], project=sqlite_project)
    funnel = result.funnel
    assert funnel.sampled == result.sampling.sampled >= 1
    assert funnel.written <= funnel.sampled
    assert funnel.kept <= funnel.semantic <= funnel.execution <= funnel.format <= funnel.written
    assert result.semantic is not None and result.semantic.asked == funnel.execution
    assert result.writer == "local" and result.prompt_version
    assert len(result.rows) == funnel.written


def test_the_judge_round_trip_counts_yes_and_no_and_filters(sqlite_project):
    provider = ScriptedProvider('{"answer": "no", "reason": "another tag"}')
    spec = ModelSpec(name="scripted-judge", base_url="http://127.0.0.1:9/v1", model="m")
    judge = ModelClient(spec, provider=provider)
    row = _flow_row(GOOD, TAGGED)
    result = asyncio.run(afinish_rows(sqlite_project, APP, [row], name="syn", judge=judge))
    assert result.semantic is not None
    assert (result.semantic.asked, result.semantic.yes) == (1, 0)
    assert result.funnel.execution == 1 and result.funnel.semantic == 0
    assert result.funnel.kept == 0 and result.dataset is None
    assert result.rows[0].failed_stage == "semantic"
    assert "@company.example" in provider.requests[0].messages[-1]["content"]


def test_a_request_stuck_in_a_loop_fails_the_format_stage() -> None:
    from evalwheel.synth.verify import repeated_sentence

    looped = "Tag big orders VIP.\nThis is an error.\nThis is an error.\nThis is an error.\nThe"
    assert repeated_sentence(looped) == "this is an error"
    assert repeated_sentence("Tag orders over $200 VIP. Tag them fast. Tag orders.") is None


def test_a_target_with_no_items_is_refused_not_passed_and_defaults_leave_it_out(sqlite_project):
    from evalwheel.errors import InputError
    from evalwheel.synth.decontaminate import default_targets

    only_test = {"id": "bench-1", "input": "tag gmail orders", "reference": TAGGED, "split": "test"}
    import_examples([only_test], "bench", "benchmark", project=sqlite_project)
    row = _flow_row(GOOD, TAGGED)
    with pytest.raises(InputError, match="bench:dev: no items"):
        asyncio.run(afinish_rows(sqlite_project, APP, [row], name="syn", against=["bench:dev"]))
    assert default_targets(sqlite_project) == ["bench:test"]
    unchecked = asyncio.run(afinish_rows(sqlite_project, APP, [row], name="syn", against=[]))
    assert unchecked.funnel.decontaminated is None and unchecked.funnel.kept == 1
