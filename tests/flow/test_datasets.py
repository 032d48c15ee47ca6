"""The shipped Flow datasets keep their promises: a shape-disjoint, written-only test split, a
traffic set that never repeats a test request, the whole catalog covered, frozen golden files, and
a builder that reproduces every file from its seeds and stored requests."""

import hashlib
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from evalwheel_flow import DATA_DIR
from evalwheel_flow.agent.bank import bank_from_file
from evalwheel_flow.catalog import load_catalog
from evalwheel_flow.signature import signature

CATALOG = load_catalog()
ROOT = Path(__file__).resolve().parents[2]
FLOW_DATA = ROOT / "scripts" / "flow_data"
# What a written request must keep of its description: quoted values, emails, URLs, amounts.
FACT = re.compile(
    r"(?:(?<=\s)|^)'([^']+)'|([\w.+-]+@[\w-]+(?:\.[\w-]+)+)|(https?://[^\s,]+[^\s,.])|\$(\d+)"
)
SHAPES = {"simple", "else", "foreach", "wait", "scheduled", "multi_condition", "multi_action"}


def rows(name: str, folder: Path = DATA_DIR) -> list[dict]:
    return [json.loads(line) for line in (folder / name).read_text().splitlines() if line.strip()]


BENCH = rows("benchmark.jsonl")


def skeletons(split: str) -> set[str]:
    return {signature(r["reference"]) for r in BENCH if r["split"] == split and r["reference"]}


def test_every_item_has_an_explicit_split_and_ids_do_not_collide():
    assert {r["split"] for r in BENCH} == {"train", "dev", "test"}
    ids = [r["id"] for r in BENCH]
    assert len(ids) == len(set(ids))
    assert all(
        i.startswith("bench-w-") for r in BENCH if "source:written" in r["tags"] for i in [r["id"]]
    )


def test_test_skeletons_appear_in_neither_train_nor_dev():
    assert skeletons("test")
    assert not skeletons("test") & (skeletons("train") | skeletons("dev"))


def test_the_few_shot_bank_holds_no_test_skeleton():
    bank = bank_from_file(DATA_DIR / "benchmark.jsonl", CATALOG)
    bank_skeletons = {signature(s.reference) for s in bank.items if s.reference}
    assert bank_skeletons and not bank_skeletons & skeletons("test")


def test_every_test_item_was_written_from_a_description():
    test = [r for r in BENCH if r["split"] == "test"]
    assert all("source:written" in r["tags"] for r in test)
    counts = Counter(r["expect"] for r in test)
    assert 100 <= counts["workflow"] <= 150 and counts["clarify"] >= 8 and counts["refuse"] >= 6


def test_every_written_request_keeps_the_facts_of_its_description():
    written = {r["id"]: r["request"].casefold() for r in rows("written_requests.jsonl", FLOW_DATA)}
    orders = rows("work_orders.jsonl", FLOW_DATA)
    assert set(written) == {o["id"] for o in orders}
    checked = 0
    for order in (o for o in orders if o["expect"] == "workflow"):
        for match in FACT.finditer(order["description"]):
            fact = next(g for g in match.groups() if g)
            assert fact.casefold() in written[order["id"]], (order["id"], fact)
            checked += 1
    assert checked > 400


def test_template_items_are_kept_for_training_with_their_ids():
    template = [r for r in BENCH if "source:template" in r["tags"]]
    assert len(template) == 321 and {r["split"] for r in template} == {"train", "dev"}
    golden_targets = {
        json.loads(line)["benchmark_id"] for line in (DATA_DIR / "golden.jsonl").open()
    }
    assert golden_targets <= {r["id"] for r in template}


def test_the_long_tail_covers_the_catalog_and_every_shape():
    written = [r for r in BENCH if "source:written" in r["tags"] and r["reference"]]
    handles = {
        s["task_id"].split("::")[-1] for r in written for s in r["reference"]["root"]["steps"]
    }
    for kind in ("TRIGGER", "ACTION"):
        assert {t.handle for t in CATALOG.by_type(kind)} <= handles, kind
    template_skeletons = {
        signature(r["reference"])
        for r in BENCH
        if "source:template" in r["tags"] and r["reference"]
    }
    new = {signature(r["reference"]) for r in written} - template_skeletons
    assert len(new) >= 80
    test_shapes = {
        t[6:] for r in BENCH if r["split"] == "test" for t in r["tags"] if t.startswith("shape:")
    }
    assert test_shapes == SHAPES


def test_traffic_never_repeats_a_test_request_and_is_wider_than_the_benchmark():
    traffic = rows("traffic.jsonl")
    assert len(traffic) >= 1200
    test_requests = {r["request"].strip().casefold() for r in BENCH if r["split"] == "test"}
    assert not {r["input"].strip().casefold() for r in traffic} & test_requests
    expects = Counter(t for r in traffic for t in r["tags"] if t.startswith("expect:"))
    assert expects["expect:clarify"] > 0 and expects["expect:refuse"] > 0
    per_intent = Counter(
        t for r in traffic for t in r["tags"] if t.startswith("intent:") and "+" not in t
    )
    top = per_intent.most_common(1)[0][1]
    assert len(per_intent) >= 100 and top >= 10 * sorted(per_intent.values())[len(per_intent) // 2]


def test_the_human_labelled_files_are_frozen():
    digests = json.loads((Path(__file__).parent / "frozen_digests.json").read_text())
    labelled = {"golden.jsonl", "golden_candidates.jsonl", "golden_labels.jsonl"}
    labelled |= {f"annotations/{p.name}" for p in (DATA_DIR / "annotations").iterdir()}
    assert set(digests) == labelled
    for name, digest in digests.items():
        assert hashlib.sha256((DATA_DIR / name).read_bytes()).hexdigest() == digest, name


@pytest.mark.slow
def test_the_builder_reproduces_the_shipped_files_and_writes_nothing_else(tmp_path):
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_flow_datasets.py"), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "benchmark.jsonl",
        "conversations.jsonl",
        "traffic.jsonl",
        "workflows.jsonl",
    ]
    for path in tmp_path.iterdir():
        assert path.read_bytes() == (DATA_DIR / path.name).read_bytes(), path.name
