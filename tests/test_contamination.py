"""Contamination between two sets: planted near-duplicates and same-template items are found by
the method that should find them, unrelated items are not; the command's exit codes; the clean and
contaminated slices of a run; the gate's ``max_contamination``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import evalwheel as ew
from evalwheel.apps.interface import AppOutput, CheckResult
from evalwheel.core.example import Example
from evalwheel.datasets.contamination import (
    ContaminationSettings,
    containment,
    find_contamination,
    nearest_matches,
    ngrams,
    words,
)
from evalwheel.project import Project
from evalwheel.report.data import report_data
from evalwheel.runner.contamination_slices import CLEAN, CONTAMINATED
from evalwheel.runner.gates import GatePolicy, contamination_check
from evalwheel.runner.runner import RunPlan
from evalwheel.store.runs import RunRepository
from tests.helpers import cli, write_jsonl

LEARNT = [
    ("l1", "When an order over $300 is paid, tag the customer gold.", "paid>tag"),
    ("l2", "Email the warehouse when a product's stock drops below 5 units.", "stock<email"),
    ("l3", "Cancel orders with a high fraud risk and restock the items.", "risk=cancel"),
    ("l4", "Add the note 'gift' to orders whose note mentions a birthday.", "note~note"),
]
NEAR_COPY = ("a1", "When an order over $300 is paid, tag the customer platinum.", "paid>tag")
SAME_TEMPLATE = ("a2", "Send the stockroom a message once inventory falls under 12.", "stock<email")
UNRELATED = [
    ("a3", "Publish new products from the Acme vendor to the online store.", "product+publish"),
    ("a4", "Give customers who sign up with a company address the B2B segment.", "signup+seg"),
]


def example(item: tuple[str, str, str]) -> Example:
    key, text, shape = item
    return Example(id=key, input=text, metadata={"shape": shape})


def shape_of(item: Example) -> str | None:
    value = item.metadata.get("shape")
    return None if value is None else str(value)


def learnt() -> list[Example]:
    return [example(i) for i in LEARNT]


def candidates() -> list[Example]:
    return [example(i) for i in (NEAR_COPY, SAME_TEMPLATE, *UNRELATED)]


def test_near_copies_and_templates_are_found_and_unrelated_items_are_not():
    report = find_contamination(candidates(), learnt(), signature=shape_of, examples=4)
    by_id = {m.a_id: m for m in report.examples}
    assert set(by_id["a1"].methods) == {"ngram", "minhash", "signature"}
    assert by_id["a1"].b_id == "l1"
    # Other words, other values, same template: only the structural signature sees it.
    assert by_id["a2"].methods == ["signature"] and by_id["a2"].signature_b_id == "l2"
    assert by_id["a3"].methods == [] and by_id["a4"].methods == []
    assert report.contaminated == 2 and report.rate == 0.5
    assert report.method("ngram").contaminated == 1
    assert report.method("minhash").contaminated == 1
    assert report.method("signature").contaminated == 2
    assert (report.signatures_a, report.signatures_b, report.shared_signatures) == (4, 4, 2)
    assert [m.a_id for m in report.examples[:2]] == ["a1", "a2"]


def test_each_threshold_decides_its_method():
    strict = ContaminationSettings(containment=1.0, jaccard=1.0, signature=False)
    matches = {m.a_id: m for m in nearest_matches(candidates(), learnt(), strict, shape_of)}
    assert matches["a1"].methods == []  # one word changed: neither identical nor fully contained
    assert matches["a1"].jaccard == pytest.approx(10 / 12)
    loose = ContaminationSettings(containment=0.05, jaccard=0.05, signature=False)
    flagged = [m.a_id for m in nearest_matches(candidates(), learnt(), loose) if m.contaminated]
    assert "a1" in flagged and len(flagged) > 1


def test_containment_is_of_a_in_b_not_resemblance():
    short = Example(id="s", input="tag the customer gold")
    long = Example(id="l", input="When an order is paid, tag the customer gold and email them.")
    match = nearest_matches([short], [long], ContaminationSettings(ngram=3))[0]
    assert match.containment == 1.0 and "ngram" in match.methods
    assert match.jaccard < 0.6  # resemblance would not have called it a copy
    grams = ngrams(words("a b c d"), 3)
    assert containment(grams, ngrams(words("x a b c d y"), 3)) == 1.0


def test_verdict_against_max_rate_and_empty_sides():
    report = find_contamination(candidates(), learnt(), signature=shape_of, max_rate=0.25)
    assert report.passed is False
    assert find_contamination(candidates(), learnt(), max_rate=0.5).passed is True
    empty = find_contamination([], learnt(), max_rate=0.0)
    assert empty.n_a == 0 and empty.rate is None and empty.passed is True
    nothing_learnt = find_contamination(candidates(), [])
    assert nothing_learnt.contaminated == 0 and nothing_learnt.median_nearest_jaccard == 0.0


def test_the_median_nearest_jaccard_is_exact_for_small_sets_and_a_bound_beyond():
    unrelated = [example(i) for i in UNRELATED]
    exact = find_contamination(unrelated, learnt())
    assert exact.nearest_exact and exact.median_nearest_jaccard > 0  # shares a few words
    sampled = find_contamination(unrelated, learnt(), ContaminationSettings(exact_pairs=0))
    assert not sampled.nearest_exact
    assert sampled.median_nearest_jaccard <= exact.median_nearest_jaccard


def test_the_lsh_path_agrees_with_brute_force_on_many_items():
    texts = [
        f"when order {i % 7} arrives tag it {word} and email {i % 5} about {word}"
        for i, word in enumerate(f"w{j}" for j in range(300))
    ]
    b = [Example(id=f"b{i}", input=t) for i, t in enumerate(texts)]
    a = [Example(id=f"a{i}", input=t.replace("email", "mail")) for i, t in enumerate(texts[:100])]
    settings = ContaminationSettings(exact_pairs=0)  # candidates from LSH only
    exact_path = nearest_matches(a, b, ContaminationSettings())
    for match, item, every_pair in zip(nearest_matches(a, b, settings), a, exact_path, strict=True):
        assert match.methods == every_pair.methods
        own = set(words(str(item.input)))
        exact = max(
            len(own & set(words(str(o.input)))) / len(own | set(words(str(o.input)))) for o in b
        )
        assert match.jaccard == pytest.approx(exact)
        assert ("minhash" in match.methods) == (exact >= settings.jaccard)


def _write(path: Path, items: list[tuple[str, str, str]], key: str = "input") -> Path:
    return write_jsonl(path, ({"id": i, key: t, "metadata": {"shape": s}} for i, t, s in items))


def test_cli_exit_codes(sqlite_project: Project, tmp_path: Path):
    a = _write(tmp_path / "a.jsonl", [NEAR_COPY, SAME_TEMPLATE, *UNRELATED])
    b = _write(tmp_path / "b.jsonl", LEARNT, key="request")  # "request" stands for input
    ok = cli("dataset", "contamination", a, b, "--max-rate", "0.5")
    assert ok.exit_code == 0, ok.stderr
    assert "contaminated  1/4 = 0.250" in ok.stdout and "a1" in ok.stdout
    over = cli("dataset", "contamination", a, b, "--max-rate", "0.1")
    assert over.exit_code == 1 and "exceeds --max-rate 0.1" in over.stderr
    data = json.loads(cli("dataset", "contamination", a, b, "--json").stdout)
    assert data["n_a"] == 4 and data["n_b"] == 4 and data["contaminated"] == 1
    for bad in ("no-such-dataset", str(tmp_path / "missing.jsonl"), "system:nope"):
        result = cli("dataset", "contamination", a, bad)
        assert result.exit_code == 2
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and bad in lines[0], result.stderr
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"id": "x", "input": "fine"}\n{not json\n')
    result = cli("dataset", "contamination", a, broken)
    assert result.exit_code == 2 and f"{broken}:2" in result.stderr


def test_cli_stored_split_against_a_file(sqlite_project: Project, tmp_path: Path):
    rows = [
        {"id": f"r{i}", "input": f"Tag orders over {i} dollars as big spender"} for i in range(40)
    ]
    write_jsonl(tmp_path / "d.jsonl", rows)
    assert (
        cli("dataset", "import", tmp_path / "d.jsonl", "-n", "d", "-k", "benchmark").exit_code == 0
    )
    whole = json.loads(cli("dataset", "contamination", "d", tmp_path / "d.jsonl", "--json").stdout)
    test = json.loads(cli("dataset", "contamination", "d:test", "d", "--json").stdout)
    assert whole["n_a"] == 40 and whole["rate"] == 1.0
    assert 0 < test["n_a"] < 40 and test["a"].endswith(":test")


class LearningApp:
    """An application whose system learnt from ``LEARNT``; it answers every item correctly unless
    the item is one it learnt (then it "recalls" and passes too — a contaminated score)."""

    name = "learning"

    def example_datasets(self) -> list[Any]:
        return []

    def field_maps(self) -> dict[str, dict[str, str]]:
        return {}

    async def run(self, example: Example, client: Any, params: dict[str, Any]) -> AppOutput:
        recalled = any(example.input == item.input for item in learnt())
        return AppOutput(outcome="answer", artifact="recalled" if recalled else "guessed")

    def check(self, example: Example, output: AppOutput) -> list[CheckResult]:
        return [CheckResult(scorer="learning.pass", passed=output.artifact == "recalled")]

    def render(self, example: Example, output: AppOutput) -> str:
        return str(output.artifact)

    def same(self, a: AppOutput, b: AppOutput) -> bool:
        return a.artifact == b.artifact

    def ideal_trajectory(self, request: str, artifact: Any) -> list[dict[str, Any]]:
        return []

    def signature(self, example: Example) -> str | None:
        return shape_of(example)

    def learned_from(self, params: dict[str, Any]) -> list[Example]:
        return learnt()


def test_a_run_reports_clean_and_contaminated_slices(sqlite_project: Project):
    items = [*learnt()[:2], *candidates()]
    result = ew.evaluate(LearningApp(), items, project=sqlite_project, dataset_name="mixed")
    slices = result.summary.scorers["learning.pass"].slices
    assert slices[CONTAMINATED].n == 4  # l1, l2 themselves, a1 (near copy), a2 (same template)
    assert slices[CLEAN].n == 2
    assert slices[CONTAMINATED].estimate == 0.5 and slices[CLEAN].estimate == 0.0
    store = sqlite_project.open_store()
    try:
        data = report_data(store, result.run_id, LearningApp())
    finally:
        store.close()
    view = data.slices()
    assert view is not None
    assert [row.name for row in view.shown[:2]] == [
        CLEAN,
        CONTAMINATED,
    ]  # shown first, though small
    tags = {item.id: item.tags for item in data.items}
    assert CONTAMINATED in tags["a2"] and CLEAN in tags["a3"]
    for fmt in ("md", "html"):
        page = ew.render_report(result.run_id, fmt, project=sqlite_project)
        assert CLEAN in page and CONTAMINATED in page


def test_an_empty_contaminated_slice_is_still_reported(sqlite_project: Project):
    unrelated = [example(i) for i in UNRELATED]
    result = ew.evaluate(LearningApp(), unrelated, project=sqlite_project, dataset_name="u")
    slices = result.summary.scorers["learning.pass"].slices
    assert slices[CLEAN].n == 2 and slices[CONTAMINATED].n == 0
    for fmt in ("md", "html", "json"):
        page = ew.render_report(result.run_id, fmt, project=sqlite_project)
        assert CLEAN in page and CONTAMINATED in page


def test_no_slices_when_the_system_learnt_nothing(sqlite_project: Project):
    class Unlearned(LearningApp):
        def learned_from(self, params: dict[str, Any]) -> list[Example]:
            return []

    result = ew.evaluate(Unlearned(), candidates(), project=sqlite_project, dataset_name="c")
    slices = result.summary.scorers["learning.pass"].slices
    assert CLEAN not in slices and CONTAMINATED not in slices


def _plan(slices: dict[str, list[str]]) -> RunPlan:
    return RunPlan(dataset="d@x", version_id="x", app="learning", slices=slices)


def test_gate_contamination_check():
    policy = GatePolicy(system="s", dataset="d", max_contamination=0.25)
    over = contamination_check(
        policy, _plan({CLEAN: ["a", "b"], CONTAMINATED: ["c"]}), LearningApp()
    )
    assert over is not None and not over.passed and over.value == pytest.approx(1 / 3)
    under = contamination_check(
        policy, _plan({CLEAN: ["a", "b", "c"], CONTAMINATED: ["d"]}), LearningApp()
    )
    assert under is not None and under.passed and under.n == 4
    unknown = contamination_check(policy, _plan({}), object())
    assert unknown is not None and not unknown.passed and "learned_from" in (unknown.why or "")
    assert (
        contamination_check(GatePolicy(system="s", dataset="d", baseline="r"), _plan({}), None)
        is None
    )


def test_a_gate_over_max_contamination_fails_before_running(
    sqlite_project: Project, tmp_path: Path
):
    from evalwheel_flow.app import APP

    bank = APP.learned_from({})[:6]
    rows = [{"id": e.id, "input": e.input, "reference": e.reference} for e in bank]
    write_jsonl(tmp_path / "seen.jsonl", rows)
    assert (
        cli("dataset", "import", tmp_path / "seen.jsonl", "-n", "seen", "-k", "benchmark").exit_code
        == 0
    )
    config = sqlite_project.config_path
    config.write_text(
        config.read_text()
        + '\n[gates.commit]\nsystem = "flow-local"\ndataset = "seen"\nmax_contamination = 0.0\n'
        + 'thresholds = { "flow.pass" = 0.5 }\n'
    )
    result = cli("gate", "--tier", "commit")
    assert result.exit_code == 1, result.stderr
    assert "gate commit: FAIL (run None)" in result.stdout
    assert "FAIL contamination <= 0.0: value=1.0, n=6" in result.stdout
    store = sqlite_project.open_store()
    try:
        assert RunRepository(store).list() == []  # nothing was spent
    finally:
        store.close()


def test_flow_hooks_give_signatures_and_the_bank():
    from evalwheel_flow.app import APP

    bank = APP.learned_from({})
    assert bank and APP.learned_from({"shots": 0}) == []
    workflows = [e for e in bank if isinstance(e.reference, dict)]
    assert workflows and all(APP.signature(e) for e in workflows)
    assert APP.signature(Example(id="x", input="hi", reference={"not": "a workflow"})) is None
    assert APP.signature(Example(id="y", input="hi")) is None


def test_words_of_unspaced_scripts_and_unicode_forms():
    # Japanese has no spaces: a whole request was one "word", so a near copy scored 0.
    a = Example(id="ja", input="注文が300ドルを超えたら顧客にゴールドのタグを付ける")
    b = Example(id="jb", input="注文が500ドルを超えたら顧客にゴールドのタグを付ける")
    match = nearest_matches([a], [b])[0]
    assert {"ngram", "minhash"} <= set(match.methods) and match.b_id == "jb"
    composed = Example(id="c", input="Tag the café orders over 300")
    decomposed = Example(id="d", input="Tag the cafe\u0301 orders over ３００")
    assert nearest_matches([composed], [decomposed])[0].jaccard == 1.0


def test_chat_inputs_compare_the_conversation_not_roles_or_the_system_prompt():
    prompt = "You are a helpful assistant for a Shopify store. Answer briefly and politely."

    def chat(key: str, text: str) -> Example:
        messages = [{"role": "system", "content": prompt}, {"role": "user", "content": text}]
        return Example(id=key, input=messages)

    a = [chat("a1", "Refund order 1001"), chat("a2", "Publish the Acme products now")]
    parts = [{"type": "text", "text": "Please refund order 1001"}]
    b = [
        chat("b1", "What are your opening hours?"),
        Example(id="b2", input={"messages": [{"role": "user", "content": parts}]}),
    ]
    matches = {m.a_id: m for m in nearest_matches(a, b)}
    assert matches["a2"].methods == [] and matches["a2"].jaccard == 0.0
    assert matches["a1"].b_id == "b2" and matches["a1"].jaccard == pytest.approx(3 / 4)
    assert matches["a1"].a_text == "Refund order 1001"


def test_a_set_against_itself_compares_each_item_with_the_others():
    items = [*learnt(), Example(id="dup", input=LEARNT[0][1], metadata={"shape": "other"})]
    report = find_contamination(items, items, signature=shape_of, exclude_self=True)
    assert report.self_excluded
    flagged = {m.a_id: m for m in report.examples if m.contaminated}
    assert set(flagged) == {"l1", "dup"}  # the duplicate pair, each found via the other
    assert flagged["l1"].b_id == "dup" and flagged["dup"].b_id == "l1"
    assert report.shared_signatures == 0  # every signature is only on the item itself
    assert find_contamination(items, items).rate == 1.0  # without: each item finds itself
    # The Python API and the CLI recognise one collection, whichever way it is named.
    api = ew.contamination(items, [i.model_dump() for i in items])
    assert api.self_excluded and api.contaminated == 2


def test_a_copy_under_the_same_ids_is_still_contamination():
    copied = [e.model_copy() for e in learnt()[:2]]
    report = ew.contamination(copied, learnt())  # another collection: its items count
    assert not report.self_excluded and report.rate == 1.0


def _brute_force(a: list[Example], b: list[Example], s: ContaminationSettings, own: bool):
    for x in a:
        wa, ga = set(words(str(x.input))), ngrams(words(str(x.input)), s.ngram)
        best_j, best_c, at_j, at_c, at_s = 0.0, 0.0, None, None, None
        for y in b:
            if own and y.id == x.id:
                continue
            wb, gb = set(words(str(y.input))), ngrams(words(str(y.input)), s.ngram)
            j = len(wa & wb) / len(wa | wb) if wa | wb else 0.0
            c = len(ga & gb) / len(ga) if ga else 0.0
            if wa & wb and (at_j is None or j > best_j):
                best_j, at_j = j, y.id
            if ga & gb and (at_c is None or c > best_c):
                best_c, at_c = c, y.id
            if at_s is None and shape_of(x) == shape_of(y):
                at_s = y.id
        yield best_j, at_j, best_c, at_c, at_s


@pytest.mark.parametrize("seed", range(40))
def test_scores_equal_a_brute_force_reference_on_random_data(seed: int):
    import random

    rng = random.Random(seed)
    vocabulary = [f"w{i}" for i in range(rng.randint(2, 12))]

    def items(n: int) -> list[Example]:
        return [
            Example(
                id=f"x{i}",
                input=" ".join(rng.choice(vocabulary) for _ in range(rng.randint(0, 10))) or "-",
                metadata={"shape": str(rng.randint(0, 3))},
            )
            for i in range(n)
        ]

    b = items(rng.randint(1, 14))
    own = seed % 2 == 0
    a = [e for e in b if rng.random() < 0.6] if own else items(rng.randint(1, 14))
    s = ContaminationSettings(
        ngram=rng.randint(1, 3),
        containment=rng.choice([0.2, 0.5, 1.0]),
        jaccard=rng.choice([0.2, 0.6, 1.0]),
    )
    got = nearest_matches(a, b, s, shape_of, exclude_self=own)
    for match, (best_j, at_j, best_c, at_c, at_s) in zip(
        got, _brute_force(a, b, s, own), strict=True
    ):
        assert (match.jaccard, match.jaccard_b_id) == (pytest.approx(best_j), at_j)
        assert (match.containment, match.containment_b_id) == (pytest.approx(best_c), at_c)
        assert match.signature_b_id == at_s
        assert ("minhash" in match.methods) == (at_j is not None and best_j >= s.jaccard)
        assert ("ngram" in match.methods) == (at_c is not None and best_c >= s.containment)
    lsh = nearest_matches(a, b, s.model_copy(update={"exact_pairs": 0}), exclude_self=own)
    for match, exact in zip(lsh, got, strict=True):
        assert match.jaccard <= exact.jaccard + 1e-12  # candidates only: never more than exact
        assert match.jaccard_b_id is None or match.jaccard_b_id != (match.a_id if own else None)


def test_cli_refs_that_look_alike_and_bad_lines(sqlite_project: Project, tmp_path: Path):
    rows = [
        {"id": f"r{i}", "input": f"Tag orders over {i} dollars as big spender"} for i in range(8)
    ]
    write_jsonl(tmp_path / "d.jsonl", rows)
    imported = cli("dataset", "import", tmp_path / "d.jsonl", "-n", "d.jsonl", "-k", "benchmark")
    assert imported.exit_code == 0
    # A dataset named like a file, with no such file here: the dataset.
    named = cli("dataset", "contamination", "d.jsonl", "d.jsonl", "--json")
    assert named.exit_code == 0, named.stderr
    data = json.loads(named.stdout)
    assert data["a"].startswith("d.jsonl@") and data["self_excluded"] is True
    assert data["contaminated"] == 8  # each row is a template of the others: a real overlap
    # Both a file and a dataset: refused, with both ways out.
    write_jsonl(sqlite_project.root / "d.jsonl", rows)
    both = cli("dataset", "contamination", "d.jsonl", "d.jsonl@latest")
    lines = both.stderr.strip().splitlines()
    assert both.exit_code == 2 and len(lines) == 1
    assert "./d.jsonl" in lines[0] and "d.jsonl@latest" in lines[0]
    assert cli("dataset", "contamination", "./d.jsonl", "d.jsonl@latest:test").exit_code == 0
    wrong_split = cli("dataset", "contamination", "d.jsonl@latest:tset", "./d.jsonl")
    assert wrong_split.exit_code == 2 and "split 'tset'" in wrong_split.stderr
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "input": "fine"}\n{"id": "y", "input": null}\n')
    result = cli("dataset", "contamination", "./d.jsonl", bad)
    line = result.stderr.strip()
    assert result.exit_code == 2 and len(line.splitlines()) == 1
    assert f"{bad}:2: input:" in line and line.count(str(bad)) == 1


def test_threshold_edges_and_json_with_unicode(sqlite_project: Project, tmp_path: Path):
    a = write_jsonl(tmp_path / "a.jsonl", [{"id": "a", "input": "Étiqueter «VIP» 注文 <b>"}])
    b = write_jsonl(tmp_path / "b.jsonl", [{"id": "b", "input": "étiqueter VIP 注文 b"}])
    one = json.loads(cli("dataset", "contamination", a, b, "--threshold", "1", "--json").stdout)
    assert one["contaminated"] == 1 and one["examples"][0]["a_text"] == "Étiqueter «VIP» 注文 <b>"
    assert cli("dataset", "contamination", a, b, "--threshold", "0").exit_code == 2
    zero = cli("dataset", "contamination", a, b, "--max-rate", "0")
    assert zero.exit_code == 1
