"""Dataset kinds: the platform's own (``qa`` for configured systems among them) and those an
application registers through ``dataset_kinds()`` (Flow's ``workflows``), looked up in one
registry; stored kinds keep reading even where no installed application defines them."""

import json

import pytest

from evalwheel.core.dataset import DatasetKind, version_id_for
from evalwheel.datasets import kinds
from evalwheel.datasets.kinds import ROW_SCHEMAS, UnknownKind, dataset_kinds, kind_owner, row_schema
from evalwheel.datasets.schemas import PLATFORM_ROW_SCHEMAS, QaRow, RowBase
from evalwheel.project import Project
from evalwheel.store.datasets import DatasetRepository
from evalwheel_flow.dataset_kinds import WorkflowsRow
from tests.helpers import cli, cli_json, write_jsonl


def test_the_platform_names_no_application_kind():
    assert "workflows" not in PLATFORM_ROW_SCHEMAS
    assert "workflows" not in {k.value for k in DatasetKind}
    assert set(PLATFORM_ROW_SCHEMAS) == {
        "benchmark",
        "golden",
        "traffic",
        "synthetic",
        "qa",
        "conversations",
        "essences",
    }


def test_flow_registers_workflows_through_its_app():
    assert row_schema("workflows") is WorkflowsRow and kind_owner("workflows") == "flow"
    assert ROW_SCHEMAS["workflows"] is WorkflowsRow and "workflows" in ROW_SCHEMAS
    assert kind_owner("qa") == "evalwheel" and row_schema("qa") is QaRow
    assert list(dataset_kinds())[:7] == list(PLATFORM_ROW_SCHEMAS)


def test_unknown_kinds_are_input_errors_listing_the_known_ones():
    with pytest.raises(UnknownKind) as raised:
        row_schema("nope")
    assert str(raised.value) == (
        "kind: unknown kind 'nope'; known: benchmark, golden, traffic, synthetic, qa, "
        "conversations, essences, workflows (applications add kinds)"
    )
    assert "nope" not in ROW_SCHEMAS


def test_kind_names_are_open_but_well_formed():
    assert DatasetKind("workflows") is DatasetKind("workflows")
    assert DatasetKind("workflows").value == "workflows" and DatasetKind("workflows") == "workflows"
    with pytest.raises(ValueError):
        DatasetKind("Not A Kind")
    with pytest.raises(ValueError):
        DatasetKind("x" * 33)  # the stores' kind column holds 32


def test_version_ids_are_unchanged_by_the_move():
    # The hash of (kind, example hashes) as computed before kinds were open.
    assert version_id_for("workflows", ["h1"]) == version_id_for(DatasetKind("workflows"), ["h1"])
    assert version_id_for("benchmark", ["h1", "h2"]) == version_id_for(
        DatasetKind.BENCHMARK, ["h2", "h1"]
    )


class _Row(RowBase):
    input: str


class _App:
    name = "extra"

    def __init__(self, declared):
        self.declared = declared

    def dataset_kinds(self):
        return self.declared


@pytest.mark.parametrize(
    ("declared", "says"),
    [
        ({"benchmark": _Row}, "already evalwheel's"),
        ({"Bad Name": _Row}, "not a valid kind name"),
        ({"extra-kind": dict}, "not a RowBase model"),
    ],
)
def test_a_broken_application_kind_is_named(monkeypatch, declared, says):
    monkeypatch.setattr("evalwheel.apps.load_apps", lambda: {"extra": _App(declared)})
    kinds.application_kinds.cache_clear()
    try:
        with pytest.raises(TypeError, match=says):
            kinds.application_kinds()
    finally:
        monkeypatch.undo()
        kinds.application_kinds.cache_clear()


def test_qa_and_workflows_import_and_list(sqlite_project: Project, tmp_path):
    qa = write_jsonl(
        tmp_path / "qa.jsonl",
        [
            {"id": "1", "input": "2+2?", "reference": "4", "tags": ["math"], "metadata": {"l": 1}},
            {"id": "2", "input": [{"role": "user", "content": "hi"}]},
        ],
    )
    assert cli("dataset", "import", qa, "-n", "qa", "-k", "qa").exit_code == 0
    wf = write_jsonl(
        tmp_path / "w.jsonl", [{"id": "w1", "reference": {"root": {}}, "merchant": "m"}]
    )
    assert cli("dataset", "import", wf, "-n", "wf", "-k", "workflows").exit_code == 0
    listed = {d["name"]: d["kind"] for d in cli_json("dataset", "list")}
    assert listed == {"qa": "qa", "wf": "workflows"}
    bad = cli("dataset", "import", qa, "-n", "q2", "-k", "nope")
    assert bad.exit_code == 2 and "unknown kind 'nope'" in bad.stderr
    schema = cli("dataset", "schema", "workflows")
    assert schema.exit_code == 0 and "merchant" in schema.stdout
    listing = cli("dataset", "schema", "--list")
    assert json.loads(listing.stdout)["workflows"] == "flow"


def test_a_stored_kind_no_installed_application_defines_still_reads(sqlite_project: Project):
    store = sqlite_project.open_store()
    try:
        DatasetRepository(store).save_version("old", "retired-kind", [])
        assert DatasetRepository(store).resolve("old").kind == "retired-kind"
    finally:
        store.close()
    assert {d["name"]: d["kind"] for d in cli_json("dataset", "list")} == {"old": "retired-kind"}
