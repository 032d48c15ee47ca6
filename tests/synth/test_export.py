"""Export of training rows: OpenAI SFT JSONL with tools, DPO pairs and a Hugging Face dataset,
checked line by line, deterministic, provenance kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import evalwheel as ew
from evalwheel.api.synthesis_data import export_training_data
from evalwheel.project import Project
from evalwheel.synth.failures import failure_rows, run_failures
from tests.synth.test_failures import TOOLS, Toy, toy_run

HAND_MADE = {
    "id": "syn-hand",
    "input": "give me the answer in capitals",
    "reference": {"answer": "X"},
    "metadata": {
        "expect": "answer",
        "trajectory": [
            {"role": "system", "content": "Use the tools."},
            {"role": "user", "content": "give me the answer in capitals"},
            {
                "role": "assistant",
                "content": None,
                # arguments as an object: the export writes them as a JSON string
                "tool_calls": [{"id": "k", "function": {"name": "answer", "arguments": {"a": 1}}}],
            },
            {"role": "tool", "tool_call_id": "k", "content": {"ok": True}},
            {"role": "assistant", "content": "Done."},
        ],
        "provenance": {"source": "synth", "style": "terse"},
    },
}


def _stored(project: Project) -> tuple[str, int, int]:
    """A synthetic dataset of failure rows (from a real run) plus a hand-made row without a
    rejected output: (ref, rows, rows with a rejected output)."""
    run_id = toy_run(project)
    store = project.open_store()
    try:
        harvest = run_failures(store, run_id)
    finally:
        store.close()
    rows = [*failure_rows(harvest.candidates, app=Toy()).rows, HAND_MADE]
    version = ew.import_examples(rows, "train", kind="synthetic", project=project.root)
    with_output = sum(1 for r in rows if not isinstance(r, dict) and r.output is not None)
    return version.ref, len(rows), with_output


def _lines(path: Path) -> list[dict]:
    text = path.read_text()
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


def _check_openai_messages(messages: list[dict]) -> None:
    open_calls: set[str] = set()
    for message in messages:
        assert message["role"] in ("system", "user", "assistant", "tool")
        assert message["content"] is None or isinstance(message["content"], str)
        for call in message.get("tool_calls", []):
            assert message["role"] == "assistant"
            assert call["type"] == "function" and call["id"]
            assert isinstance(call["function"]["arguments"], str)
            json.loads(call["function"]["arguments"])
            open_calls.add(call["id"])
        if message["role"] == "tool":
            assert message["tool_call_id"] in open_calls


def test_export_writes_valid_openai_dpo_and_hf(sqlite_project: Project, tmp_path: Path) -> None:
    ref, n_rows, with_output = _stored(sqlite_project)
    out = tmp_path / "out"
    result = export_training_data(
        ref, format="all", output=out, tools=TOOLS, project=sqlite_project.root
    )
    by_format = {o.format: o for o in result.outputs}
    assert result.rows == n_rows == 5

    sft = _lines(out / "sft.jsonl")
    assert len(sft) == by_format["openai"].rows == n_rows
    for line in sft:
        assert set(line) == {"messages", "tools"} and line["tools"] == TOOLS
        _check_openai_messages(line["messages"])
        assert line["messages"][-1]["role"] == "assistant"
    provenance = _lines(out / "sft.provenance.jsonl")
    ids = [p["id"] for p in provenance]
    assert ids == sorted(ids) and len(ids) == n_rows
    hand = sft[ids.index("syn-hand")]["messages"]
    assert json.loads(hand[2]["tool_calls"][0]["function"]["arguments"]) == {"a": 1}
    assert hand[3]["content"] == '{"ok": true}'
    assert provenance[ids.index("syn-hand")]["provenance"]["style"] == "terse"

    dpo = _lines(out / "dpo.jsonl")
    assert len(dpo) == by_format["dpo"].rows == with_output == 3  # the crash and hand row have none
    assert result.skipped == {"dpo:no_rejected": n_rows - with_output}
    for pair in dpo:
        assert set(pair) == {"prompt", "chosen", "rejected"}
        assert [m["role"] for m in pair["prompt"]] == ["user"]
        assert pair["chosen"][0]["role"] == "assistant" and pair["rejected"]
        assert pair["chosen"] != pair["rejected"]
        for part in ("prompt", "chosen", "rejected"):
            _check_openai_messages(pair[part])
    wrong = next(p for p in dpo if p["prompt"][0]["content"] == "wrong one in capitals")
    call = wrong["rejected"][0]["tool_calls"][0]["function"]["arguments"]
    assert json.loads(call) == {"answer": "nope"}

    datasets = pytest.importorskip("datasets")
    loaded = datasets.load_from_disk(str(out / "hf"))
    assert loaded.column_names == ["id", "messages", "tools", "provenance"]
    assert loaded["id"] == ids
    assert [json.loads(m) for m in loaded["messages"]] == [line["messages"] for line in sft]
    assert [json.loads(p) for p in loaded["provenance"]] == [p["provenance"] for p in provenance]

    again = export_training_data(
        ref, format="all", output=out, tools=TOOLS, project=sqlite_project.root
    )
    assert [o.sha256 for o in again.outputs] == [o.sha256 for o in result.outputs]


def test_tools_come_from_the_row_or_are_counted_missing(
    sqlite_project: Project, tmp_path: Path
) -> None:
    ew.import_examples([HAND_MADE], "one", kind="synthetic", project=sqlite_project.root)
    result = export_training_data(
        "one", format="openai", output=tmp_path, project=sqlite_project.root
    )
    assert result.without_tools == 1
    (line,) = _lines(tmp_path / "sft.jsonl")
    assert "tools" not in line


def test_a_malformed_trajectory_names_the_row_and_field(
    sqlite_project: Project, tmp_path: Path
) -> None:
    bad = json.loads(json.dumps(HAND_MADE))
    bad["metadata"]["trajectory"][1]["role"] = "merchant"
    ew.import_examples([bad], "bad", kind="synthetic", project=sqlite_project.root)
    with pytest.raises(ew.InputError) as caught:
        export_training_data("bad", format="openai", output=tmp_path, project=sqlite_project.root)
    assert "syn-hand: metadata.trajectory[1].role" in str(caught.value)
    assert str(caught.value).startswith("bad@")
    assert not (tmp_path / "sft.jsonl").exists()


def test_unknown_format_is_an_input_error(sqlite_project: Project, tmp_path: Path) -> None:
    ew.import_examples([HAND_MADE], "one", kind="synthetic", project=sqlite_project.root)
    with pytest.raises(ew.InputError, match="format"):
        export_training_data("one", format="csv", output=tmp_path, project=sqlite_project.root)


def test_cli_exports_and_refuses_bad_rows_in_one_line(
    sqlite_project: Project, tmp_path: Path
) -> None:
    from tests.helpers import cli

    ew.import_examples([HAND_MADE], "one", kind="synthetic", project=sqlite_project.root)
    done = cli("synth", "export", "one", "-o", str(tmp_path / "a"), "-f", "openai", "-f", "dpo")
    assert done.exit_code == 0, done.stderr
    assert (tmp_path / "a" / "sft.jsonl").exists() and (tmp_path / "a" / "dpo.jsonl").exists()
    assert "dpo:no_rejected" in done.stdout
    bad = json.loads(json.dumps(HAND_MADE))
    del bad["metadata"]["trajectory"][3]["tool_call_id"]
    ew.import_examples([bad], "bad", kind="synthetic", project=sqlite_project.root)
    refused = cli("synth", "export", "bad", "-o", str(tmp_path / "b"))
    assert refused.exit_code == 2
    (line,) = refused.stderr.strip().splitlines()
    assert "syn-hand: metadata.trajectory[3].tool_call_id" in line
