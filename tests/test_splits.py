import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import evalwheel as ew
from evalwheel.apps.interface import AppOutput, CheckResult
from evalwheel.core.example import Example
from evalwheel.datasets.splits import SplitPolicy, assign_split, group_of, split_report
from evalwheel.project import Project
from evalwheel.store.runs import RunRepository
from tests.helpers import cli, cli_json, write_jsonl

ids = st.lists(st.text(min_size=1, max_size=20), min_size=1, max_size=60, unique=True)


@settings(max_examples=50, deadline=None)
@given(ids, ids, st.integers(0, 10))
def test_an_items_split_never_moves_when_others_are_added(first, more, seed):
    policy = SplitPolicy(seed=seed)
    before = {i: assign_split(Example(id=i, input="x"), policy) for i in first}
    after = {i: assign_split(Example(id=i, input="x"), policy) for i in [*first, *more]}
    assert all(after[i] == before[i] for i in first)


def test_proportions_hold_within_every_stratum():
    policy = SplitPolicy(seed=7, train=0.6, dev=0.2, test=0.2, stratify_by="tags")
    examples = [
        Example(id=f"{t}-{i}", input="x", tags=(t,)) for t in ("a", "b") for i in range(3000)
    ]
    report = split_report(examples, policy).strata
    for stratum in ("a", "b"):
        counts = report[stratum]
        assert abs(counts["train"] / 3000 - 0.6) < 0.04
        assert abs(counts["dev"] / 3000 - 0.2) < 0.04
        assert abs(counts["test"] / 3000 - 0.2) < 0.04
    assert sum(report["*"].values()) == 6000


def test_seed_changes_the_assignment_and_explicit_split_wins():
    examples = [Example(id=str(i), input="x") for i in range(200)]
    a = [assign_split(e, SplitPolicy(seed=1)) for e in examples]
    b = [assign_split(e, SplitPolicy(seed=2)) for e in examples]
    assert a != b
    pinned = Example(id="p", input="x", split="test")
    assert all(assign_split(pinned, SplitPolicy(seed=s)) == "test" for s in range(20))


def test_stratum_by_label_and_metadata():
    policy = SplitPolicy(stratify_by="label")
    report = split_report(
        [Example(id=str(i), input="x", label="good" if i % 2 else "bad") for i in range(10)], policy
    ).strata
    assert set(report) == {"*", "good", "bad"}
    policy = SplitPolicy(stratify_by="merchant")
    report = split_report(
        [Example(id=str(i), input="x", metadata={"merchant": f"m{i % 3}"}) for i in range(9)],
        policy,
    ).strata
    assert set(report) == {"*", "m0", "m1", "m2"}


def _grouped(n_groups: int, per_group: int, start: int = 0) -> list[Example]:
    return [
        Example(id=f"g{g}-{k}", input="x", tags=(f"t{k % 2}",), metadata={"template": f"T{g}"})
        for g in range(start, start + n_groups)
        for k in range(per_group)
    ]


def _splits_of_groups(examples: list[Example], policy: SplitPolicy) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for e in examples:
        found.setdefault(str(e.metadata["template"]), set()).add(assign_split(e, policy))
    return found


def test_every_item_of_a_group_lands_in_the_same_split():
    examples = _grouped(300, 5)
    by_row = _splits_of_groups(examples, SplitPolicy(seed=3))
    assert any(len(s) > 1 for s in by_row.values())  # a row split breaks templates apart
    grouped = _splits_of_groups(examples, SplitPolicy(seed=3, group_by="template"))
    assert all(len(s) == 1 for s in grouped.values())
    counts = {s: sum(1 for v in grouped.values() if v == {s}) for s in ("train", "dev", "test")}
    assert all(
        abs(counts[s] / 300 - f) < 0.08 for s, f in (("train", 0.6), ("dev", 0.2), ("test", 0.2))
    )


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 40), st.integers(0, 40), st.integers(1, 4), st.integers(0, 10))
def test_group_splits_never_move_when_items_or_groups_are_added(first, more, extra, seed):
    policy = SplitPolicy(seed=seed, group_by="template")
    before = _grouped(first, 2)
    grown = [*before, *_grouped(first, extra + 2)[2 * first :], *_grouped(more, 3, start=first)]
    # New members of old groups, and new groups.
    grown += [
        Example(id=f"late-{g}", input="y", metadata={"template": f"T{g}"}) for g in range(first)
    ]
    assert {e.id: assign_split(e, policy) for e in before} == {
        e.id: assign_split(e, policy) for e in grown if e.id in {b.id for b in before}
    }
    assert all(len(s) == 1 for s in _splits_of_groups(grown, policy).values())


def test_group_keys_from_tags_a_signature_or_nothing():
    tagged = [
        Example(id=f"{g}-{k}", input="x", tags=(f"skeleton:{g}", f"style:{k}"))
        for g in range(50)
        for k in range(4)
    ]
    policy = SplitPolicy(group_by="tags:skeleton:")
    per_group: dict[str, set[str]] = {}
    for e in tagged:
        per_group.setdefault(e.id.split("-")[0], set()).add(assign_split(e, policy))
    assert all(len(s) == 1 for s in per_group.values())

    def signature(e: Example) -> str | None:
        return None if e.input == "loner" else str(e.input)[:3]

    shaped = [Example(id=str(i), input=f"ab{i % 3}-{i}") for i in range(60)]
    sig_policy = SplitPolicy(group_by="signature")
    by_sig: dict[str, set[str]] = {}
    for e in shaped:
        by_sig.setdefault(str(e.input)[:3], set()).add(assign_split(e, sig_policy, signature))
    assert all(len(s) == 1 for s in by_sig.values())
    # No key: the item is drawn by its id, exactly as a row split would.
    loners = [Example(id=f"l{i}", input="loner") for i in range(30)]
    assert [assign_split(e, sig_policy, signature) for e in loners] == [
        assign_split(e, SplitPolicy()) for e in loners
    ]
    with pytest.raises(ValueError, match="signature"):
        assign_split(shaped[0], sig_policy)  # no application to ask
    with pytest.raises(ValueError, match="prefix"):
        SplitPolicy(group_by="tags:")


def test_explicit_splits_win_and_a_group_they_break_apart_is_reported():
    policy = SplitPolicy(group_by="template")
    group = [Example(id=f"g-{k}", input="x", metadata={"template": "T"}) for k in range(4)]
    drawn = assign_split(group[0], policy)
    other = "train" if drawn != "train" else "test"
    pinned = Example(id="g-pinned", input="x", metadata={"template": "T"}, split=other)
    assert assign_split(pinned, policy) == other
    report = split_report([*group, pinned, *_grouped(3, 2)], policy)
    assert [g.key for g in report.split_groups] == ["T"]
    assert report.split_groups[0].splits == {drawn: 4, other: 1}
    assert (report.groups, report.grouped_items, report.ungrouped_items) == (4, 11, 0)
    assert split_report(group, policy).split_groups == []


class _Answer:
    """An application that answers every item at once (the run's items are what is tested)."""

    name = "answer"

    def example_datasets(self):
        return []

    def field_maps(self):
        return {}

    async def run(self, example, client, params):
        return AppOutput(outcome="answer", artifact="ok")

    def check(self, example, output):
        return [CheckResult(scorer="answer.pass", passed=True)]

    def render(self, example, output):
        return "ok"

    def same(self, a, b):
        return True

    def ideal_trajectory(self, request, artifact):
        return []


def _grouped_project(project: Project, tmp_path: Path) -> list[dict]:
    text = project.config_path.read_text()
    project.config_path.write_text(
        text.replace('stratify_by = "tags"', 'stratify_by = "tags"\ngroup_by = "template"')
    )
    rows = [
        {"id": f"g{g}-{k}", "input": f"request {g} {k}", "metadata": {"template": f"T{g}"}}
        for g in range(40)
        for k in range(3)
    ]
    write_jsonl(tmp_path / "g.jsonl", rows)
    assert (
        cli("dataset", "import", tmp_path / "g.jsonl", "-n", "g", "-k", "benchmark").exit_code == 0
    )
    return rows


def test_config_cli_export_and_runs_use_the_same_grouped_split(
    sqlite_project: Project, tmp_path: Path
):
    rows = _grouped_project(sqlite_project, tmp_path)
    policy = SplitPolicy(group_by="template")
    expected = {
        r["id"]
        for r in rows
        if assign_split(Example(id=r["id"], input=r["input"], metadata=r["metadata"]), policy)
        == "test"
    }
    report = cli_json("dataset", "split", "g")
    assert report["group_by"] == "template" and report["groups"] == 40
    assert report["strata"]["*"]["test"] == len(expected) and report["split_groups"] == []
    by_row = cli_json("dataset", "split", "g", "--group-by", "")
    assert by_row["group_by"] is None and by_row["groups"] == 0
    exported = cli("dataset", "export", "g", "--split", "test")
    assert {json.loads(line)["id"] for line in exported.stdout.splitlines()} == expected
    result = ew.evaluate(_Answer(), "g", project=sqlite_project.root, split="test")
    assert result.summary.planned == len(expected)
    store = sqlite_project.open_store()
    try:
        traces = {t.example_id for t in RunRepository(store).traces(result.run_id)}
    finally:
        store.close()
    assert traces == expected
    assert {i.split("-")[0] for i in traces}.isdisjoint(
        {r["id"].split("-")[0] for r in rows if r["id"] not in expected}
    )


def test_cli_groups_by_the_flow_signature(sqlite_project: Project, tmp_path: Path):
    from evalwheel_flow.app import APP

    bank = [e for e in APP.learned_from({}) if isinstance(e.reference, dict)][:30]
    rows = [{"id": e.id, "input": e.input, "reference": e.reference} for e in bank]
    write_jsonl(tmp_path / "w.jsonl", rows)
    assert (
        cli("dataset", "import", tmp_path / "w.jsonl", "-n", "w", "-k", "benchmark").exit_code == 0
    )
    report = cli_json("dataset", "split", "w", "--group-by", "signature")
    assert report["groups"] == len({APP.signature(e) for e in bank})
    assert report["grouped_items"] == 30 and report["ungrouped_items"] == 0
    assert cli("dataset", "split", "w", "--group-by", "tags:").exit_code == 2


def test_a_bad_group_by_in_the_config_names_its_line(sqlite_project: Project):
    text = sqlite_project.config_path.read_text()
    sqlite_project.config_path.write_text(
        text.replace('stratify_by = "tags"', 'stratify_by = "tags"\ngroup_by = "tags:"')
    )
    result = cli("dataset", "list")
    assert result.exit_code == 2
    assert "datasets.splits.group_by" in result.stderr and "prefix" in result.stderr


def test_a_blank_group_key_is_no_group():
    # One "" group would put every item without a real key into a single split, all together.
    blank = [
        Example(id=f"b{i}", input="x", metadata={"template": " " if i % 2 else ""})
        for i in range(60)
    ]
    policy = SplitPolicy(seed=1, group_by="template")
    assert all(group_of(e, policy.group_by) is None for e in blank)
    assert len({assign_split(e, policy) for e in blank}) == 3
    report = split_report(blank, policy)
    assert report.groups == 0 and report.ungrouped_items == 60
    assert group_of(Example(id="s", input="x"), "signature", lambda e: "") is None
