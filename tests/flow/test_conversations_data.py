"""Flow's shipped conversation set keeps its promises: it imports as the platform's
``conversations`` kind, covers every scenario, every artifact is a valid workflow, the label is
what the oracle says about the last artifact, clarify openings really lack the facts the merchant
gives only when asked, and the writers' orders carried no workflow syntax."""

import itertools
import json
from collections import Counter
from pathlib import Path

import pytest

from evalwheel.datasets.importer import validate_file
from evalwheel.synth.verify import mentions
from evalwheel_flow import DATA_DIR, example_datasets
from evalwheel_flow.catalog import load_catalog
from evalwheel_flow.scoring import score
from evalwheel_flow.signature import signature
from evalwheel_flow.synth_hooks import artifact_facts
from evalwheel_flow.validator import validate
from evalwheel_flow.workflow import Workflow

CONVERSATIONS = DATA_DIR / "conversations.jsonl"
ORDERS = sorted(
    (Path(__file__).resolve().parents[2] / "scripts" / "flow_data").glob(
        "conversation_orders_*.jsonl"
    )
)
SCENARIO_MINIMUM = {
    "direct": 30,
    "clarify": 40,
    "multi_clarify": 10,
    "correction": 20,
    "change_mind": 20,
    "refuse": 15,
    "failure": 15,
}


def rows() -> list[dict]:
    return [json.loads(line) for line in CONVERSATIONS.read_text().splitlines() if line.strip()]


def tag(row: dict, prefix: str) -> str | None:
    return next((t.split(":", 1)[1] for t in row["tags"] if t.startswith(prefix + ":")), None)


def test_the_set_is_shipped_and_imports_as_conversations():
    assert ("flow-conversations", "conversations", CONVERSATIONS) in example_datasets()
    prepared = validate_file(CONVERSATIONS, "conversations")
    assert len(prepared) >= 200
    first = json.loads(prepared[0].payload)
    assert first["metadata"]["served_by"] == "flow-prod"
    assert first["metadata"]["expect"] in ("workflow", "refuse") and first["metadata"]["merchant"]
    assert first["label"] in ("success", "failure")


def test_every_scenario_is_there_and_turns_alternate_from_the_user():
    data = rows()
    counts = Counter(tag(r, "scenario") for r in data)
    for scenario, minimum in SCENARIO_MINIMUM.items():
        assert counts[scenario] >= minimum, (scenario, counts)
    for row in data:
        roles = [m["role"] for m in row["input"]]
        assert roles[0] == "user" and all(a != b for a, b in itertools.pairwise(roles))
        assert tag(row, "style") and (tag(row, "intent") or tag(row, "topic")), row["id"]


def test_artifacts_validate_and_the_output_is_the_last_one():
    catalog = load_catalog()
    for row in rows():
        artifacts = []
        for message in row["input"]:
            if message["role"] == "assistant":
                assert message["outcome"] in ("workflow", "clarify", "refuse", "answer")
                assert ("artifact" in message) == (message["outcome"] == "workflow"), row["id"]
            if "artifact" in message:
                report = validate(Workflow.from_data(message["artifact"]), catalog)
                assert report.ok, (row["id"], report.errors())
                artifacts.append(message["artifact"])
        assert row["output"] == (artifacts[-1] if artifacts else None), row["id"]
        if row["reference"] is not None:
            assert tag(row, "skeleton") == signature(row["reference"]), row["id"]


@pytest.mark.slow
def test_the_label_is_what_the_oracle_says_about_the_last_artifact():
    labels = Counter()
    for row in rows():
        if row["expect"] == "refuse":
            met = row["output"] is None and row["reference"] is None
        else:
            met = row["output"] is not None and (
                score("workflow", row["reference"], "workflow", row["output"]).passed
            )
        assert met == (row["label"] == "success"), row["id"]
        labels[row["label"]] += 1
    assert labels["success"] >= 150 and labels["failure"] >= 15


def test_clarify_openings_lack_the_facts_given_only_when_asked():
    asked = [r for r in rows() if "needs:clarify" in r["tags"]]
    assert len(asked) >= 50
    for row in asked:
        held = row["held_back"]
        assert held and set(held) <= set(artifact_facts(row["reference"])), row["id"]
        assert any(m["outcome"] == "clarify" for m in row["input"] if m["role"] == "assistant")
        users = [m["content"] for m in row["input"] if m["role"] == "user"]
        assert not any(mentions(users[0], fact) for fact in held), row["id"]
        for fact in held:
            assert any(mentions(text, fact) for text in users[1:]), (row["id"], fact)


def test_the_conversations_cover_benchmark_skeletons_of_every_split():
    bench = [json.loads(line) for line in (DATA_DIR / "benchmark.jsonl").read_text().splitlines()]
    split_of = {signature(r["reference"]): r["split"] for r in bench if r["reference"]}
    seen = Counter(split_of.get(tag(r, "skeleton"), "none") for r in rows() if r["reference"])
    assert seen["train"] >= 20 and seen["dev"] >= 10 and seen["test"] >= 20, seen


def test_writers_saw_plain_plans_only():
    assert len(ORDERS) == 4
    for path in ORDERS:
        for line in path.read_text().splitlines():
            order = json.loads(line)
            assert set(order) == {"id", "style", "style_note", "turns"}
            for turn in order["turns"]:
                assert set(turn) == {"role", "plan"}
                for leak in ("shopify::", "{{", "totalPriceSet", '"action"', "outcome"):
                    assert leak not in turn["plan"], (order["id"], leak)
