import csv
import json
from pathlib import Path

import pytest

from evalwheel.project import Project
from evalwheel.store.datasets import DatasetRepository
from tests.helpers import benchmark_rows, cli, cli_json, write_jsonl


def _versions(project: Project):
    store = project.open_store()
    try:
        return DatasetRepository(store).list_versions()
    finally:
        store.close()


def test_import_jsonl_creates_a_version(project: Project, tmp_path: Path):
    path = write_jsonl(tmp_path / "b.jsonl", benchmark_rows(10))
    out = cli_json("dataset", "import", path, "--name", "bench", "--kind", "benchmark")
    assert out["created"] is True
    assert out["version"]["n_items"] == 10 and out["version"]["seq"] == 1
    assert out["ref"] == f"bench@{out['version']['version_id'][:12]}"


def test_same_content_same_version_changed_content_new_version(project: Project, tmp_path: Path):
    rows = benchmark_rows(10)
    first = cli_json(
        "dataset",
        "import",
        write_jsonl(tmp_path / "a.jsonl", rows),
        "-n",
        "bench",
        "-k",
        "benchmark",
    )
    again = cli_json(
        "dataset",
        "import",
        write_jsonl(tmp_path / "b.jsonl", rows[::-1]),
        "-n",
        "bench",
        "-k",
        "benchmark",
    )
    assert again["created"] is False
    assert again["version"]["version_id"] == first["version"]["version_id"]
    rows[3]["input"] = "changed"
    changed = cli_json(
        "dataset",
        "import",
        write_jsonl(tmp_path / "c.jsonl", rows),
        "-n",
        "bench",
        "-k",
        "benchmark",
    )
    assert changed["created"] is True and changed["version"]["seq"] == 2
    assert changed["version"]["version_id"] != first["version"]["version_id"]
    assert len(_versions(project)) == 2


def test_three_bad_rows_three_precise_errors_nothing_stored(project: Project, tmp_path: Path):
    path = tmp_path / "bad.jsonl"
    lines = [
        json.dumps({"id": "ok-1", "input": "fine"}),
        json.dumps({"id": "no-input"}),
        json.dumps({"id": "ok-2", "input": "fine too"}),
        '{"id": "broken", "input": "unterminated}',
        json.dumps({"id": "bad-tags", "input": "x", "tags": "not-a-list"}),
        json.dumps({"id": "ok-3", "input": "also fine"}),
    ]
    path.write_text("\n".join(lines) + "\n")
    result = cli("dataset", "import", path, "--name", "bench", "--kind", "benchmark")
    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith(str(path))]
    assert errors == [
        f"{path}:2: input: required",
        f"{path}:4: (line): invalid JSON: Unterminated string starting at (column 27)",
        f"{path}:5: tags: Input should be a valid list",
    ]
    assert "nothing was imported" in result.stderr
    assert _versions(project) == []


def test_failed_import_keeps_what_was_stored_before(project: Project, tmp_path: Path):
    good = write_jsonl(tmp_path / "good.jsonl", benchmark_rows(5))
    assert cli("dataset", "import", good, "-n", "bench", "-k", "benchmark").exit_code == 0
    bad = write_jsonl(tmp_path / "bad.jsonl", [*benchmark_rows(5), {"id": "x"}])
    assert cli("dataset", "import", bad, "-n", "bench", "-k", "benchmark").exit_code == 2
    versions = _versions(project)
    assert [v.n_items for v in versions] == [5]


def test_duplicate_ids_are_reported_with_the_first_line(sqlite_project: Project, tmp_path: Path):
    path = write_jsonl(tmp_path / "d.jsonl", [{"id": "a", "input": "x"}, {"id": "a", "input": "y"}])
    result = cli("dataset", "import", path, "-n", "d", "-k", "benchmark")
    assert result.exit_code == 2
    assert f"{path}:2: id: duplicate id 'a' (first at line 1)" in result.stderr


def test_kind_schemas_are_enforced(sqlite_project: Project, tmp_path: Path):
    path = write_jsonl(tmp_path / "g.jsonl", [{"id": "g1", "input": "x", "label": "good"}])
    result = cli("dataset", "import", path, "-n", "gold", "-k", "golden")
    assert result.exit_code == 2
    assert f"{path}:1: output: no row has this field" in result.stderr
    path = write_jsonl(tmp_path / "w.jsonl", [{"id": "w1", "reference": {"steps": []}}])
    result = cli("dataset", "import", path, "-n", "wf", "-k", "workflows")
    assert f"{path}:1: merchant: no row has this field" in result.stderr


def test_a_name_keeps_its_kind(sqlite_project: Project, tmp_path: Path):
    path = write_jsonl(tmp_path / "b.jsonl", benchmark_rows(2))
    cli("dataset", "import", path, "-n", "bench", "-k", "benchmark")
    result = cli("dataset", "import", path, "-n", "bench", "-k", "traffic")
    assert result.exit_code == 2 and "is of kind 'benchmark'" in result.stderr


def test_csv_import_with_json_cells_tags_and_line_numbers(sqlite_project: Project, tmp_path: Path):
    path = tmp_path / "b.csv"
    path.write_text(
        "id,input,reference,tags,extra\n"
        'a,"tag VIP","{""threshold"": 200}","tagging,order",x1\n'
        'b,"multi\nline request","{""threshold"": 5}",,x2\n'
        'c,,"{broken",,x3\n'
    )
    result = cli("dataset", "import", path, "-n", "c", "-k", "benchmark")
    assert result.exit_code == 2
    assert f"{path}:5: reference: invalid JSON" in result.stderr
    assert (
        f"{path}:5: input: required" not in result.stderr
    )  # the JSON error is reported for the row
    path.write_text(path.read_text().replace('c,,"{broken",,x3\n', ""))
    out = cli_json("dataset", "import", path, "-n", "c", "-k", "benchmark")
    assert out["version"]["n_items"] == 2
    exported = cli("dataset", "export", "c")
    rows = [json.loads(line) for line in exported.stdout.splitlines()]
    assert rows[0] == {
        "id": "a",
        "input": "tag VIP",
        "reference": {"threshold": 200},
        "tags": ["tagging", "order"],
        "metadata": {"extra": "x1"},
    }
    assert rows[1]["input"] == "multi\nline request"


def test_parquet_import(sqlite_project: Project, tmp_path: Path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    table = pa.table({"id": ["p1", "p2"], "input": ["a", None]})
    pq.write_table(table, tmp_path / "b.parquet")
    result = cli("dataset", "import", tmp_path / "b.parquet", "-n", "p", "-k", "benchmark")
    assert result.exit_code == 2 and f"{tmp_path / 'b.parquet'}:2: input: required" in result.stderr
    pq.write_table(pa.table({"id": ["p1", "p2"], "input": ["a", "b"]}), tmp_path / "b.parquet")
    assert (
        cli_json("dataset", "import", tmp_path / "b.parquet", "-n", "p", "-k", "benchmark")[
            "version"
        ]["n_items"]
        == 2
    )


def test_rows_without_ids_get_content_ids(sqlite_project: Project, tmp_path: Path):
    path = write_jsonl(tmp_path / "n.jsonl", [{"input": "x"}, {"input": "y"}, {"input": "x"}])
    result = cli("dataset", "import", path, "-n", "n", "-k", "benchmark")
    assert result.exit_code == 2 and ":3: id: duplicate id" in result.stderr


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_export_reimports_to_the_same_version(project: Project, tmp_path: Path, fmt: str):
    rows = benchmark_rows(20)
    rows[0]["metadata"] = {"merchant": "m1"}
    rows[1]["label"] = "good"
    first = cli_json(
        "dataset", "import", write_jsonl(tmp_path / "a.jsonl", rows), "-n", "b", "-k", "benchmark"
    )
    out = tmp_path / f"out.{fmt}"
    assert cli("dataset", "export", "b", "-o", out, "--format", fmt).exit_code == 0
    again = cli_json("dataset", "import", out, "-n", "b", "-k", "benchmark")
    assert again["version"]["version_id"] == first["version"]["version_id"]
    assert again["created"] is False


def test_version_references(sqlite_project: Project, tmp_path: Path):
    v1 = cli_json(
        "dataset",
        "import",
        write_jsonl(tmp_path / "a.jsonl", benchmark_rows(3)),
        "-n",
        "b",
        "-k",
        "benchmark",
    )
    v2 = cli_json(
        "dataset",
        "import",
        write_jsonl(tmp_path / "b.jsonl", benchmark_rows(4)),
        "-n",
        "b",
        "-k",
        "benchmark",
    )
    id1, id2 = v1["version"]["version_id"], v2["version"]["version_id"]
    assert cli_json("dataset", "show", "b")["version"]["version_id"] == id2
    assert cli_json("dataset", "show", "b@latest")["version"]["version_id"] == id2
    assert cli_json("dataset", "show", "b@v1")["version"]["version_id"] == id1
    assert cli_json("dataset", "show", f"b@{id1[:8]}")["version"]["version_id"] == id1
    missing = cli("dataset", "show", "b@v9")
    assert missing.exit_code == 2 and "no version v9" in missing.stderr
    assert cli("dataset", "show", "nope").exit_code == 2
    listed = cli_json("dataset", "list", "--all")
    assert [v["seq"] for v in listed] == [1, 2]
    assert [v["seq"] for v in cli_json("dataset", "list")] == [2]


def test_diff_reports_added_removed_changed(sqlite_project: Project, tmp_path: Path):
    rows = benchmark_rows(5)
    cli("dataset", "import", write_jsonl(tmp_path / "a.jsonl", rows), "-n", "b", "-k", "benchmark")
    rows2 = [*rows[1:], *benchmark_rows(1, start=100)]
    rows2[0] = {**rows2[0], "input": "edited"}
    cli("dataset", "import", write_jsonl(tmp_path / "b.jsonl", rows2), "-n", "b", "-k", "benchmark")
    diff = cli_json("dataset", "diff", "b@v1", "b@v2")
    assert diff == {
        "a": diff["a"],
        "b": diff["b"],
        "added": ["item-100"],
        "removed": ["item-0"],
        "changed": ["item-1"],
        "unchanged": 3,
    }
    assert cli("dataset", "diff", "b@v1", "b@v2", "--exit-code").exit_code == 1
    assert cli("dataset", "diff", "b@v1", "b@v1", "--exit-code").exit_code == 0


def test_export_one_split(sqlite_project: Project, tmp_path: Path):
    cli(
        "dataset",
        "import",
        write_jsonl(tmp_path / "a.jsonl", benchmark_rows(200)),
        "-n",
        "b",
        "-k",
        "benchmark",
    )
    counts = {}
    for split in ("train", "dev", "test"):
        result = cli("dataset", "export", "b", "--split", split)
        counts[split] = len(result.stdout.splitlines())
    assert sum(counts.values()) == 200
    assert counts == cli_json("dataset", "show", "b")["splits"]


def test_csv_header_problems(sqlite_project: Project, tmp_path: Path):
    path = tmp_path / "h.csv"
    path.write_text("id,input,input\n1,a,b\n")
    result = cli("dataset", "import", path, "-n", "h", "-k", "benchmark")
    assert (
        result.exit_code == 2 and f"{path}:1: (header): duplicate column(s): input" in result.stderr
    )
    path.write_text("id,input\n1,a,extra\n")
    result = cli("dataset", "import", path, "-n", "h", "-k", "benchmark")
    assert f"{path}:2: (line): expected 2 columns, got 3" in result.stderr


def test_not_utf8_and_not_an_object(sqlite_project: Project, tmp_path: Path):
    path = tmp_path / "x.jsonl"
    path.write_bytes(b'{"id": "a", "input": "ok"}\n\xff\xfe\n[1, 2]\n')
    result = cli("dataset", "import", path, "-n", "x", "-k", "benchmark")
    assert f"{path}:2: (line): not valid UTF-8" in result.stderr
    assert f"{path}:3: (line): expected a JSON object, got list" in result.stderr


def test_missing_file_and_outside_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sqlite_project: Project
):
    result = cli("dataset", "import", tmp_path / "nope.jsonl", "-n", "x", "-k", "benchmark")
    assert result.exit_code == 2 and "no such file" in result.stderr
    monkeypatch.chdir(tmp_path)
    result = cli("dataset", "list")
    assert result.exit_code == 2 and "evalwheel init" in result.stderr


def test_schema_command_prints_json_schema(sqlite_project: Project):
    schema = json.loads(cli("dataset", "schema", "golden").stdout)
    assert set(schema["required"]) == {"input", "output", "label"}


def test_csv_export_is_readable_by_csv_module(sqlite_project: Project, tmp_path: Path):
    cli(
        "dataset",
        "import",
        write_jsonl(tmp_path / "a.jsonl", benchmark_rows(3)),
        "-n",
        "b",
        "-k",
        "benchmark",
    )
    cli("dataset", "export", "b", "--format", "csv", "-o", tmp_path / "o.csv")
    with open(tmp_path / "o.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["id"] for r in rows] == ["item-0", "item-1", "item-2"]


def test_prepared_rows_hash_exactly_like_examples():
    from evalwheel.core.example import Example
    from evalwheel.datasets.importer import row_to_example
    from evalwheel.datasets.readers import RawRow
    from evalwheel.datasets.schemas import GoldenRow

    row = RawRow(
        1,
        {
            "id": 7,
            "input": {"q": "é"},
            "output": [1, 2.5],
            "label": "good",
            "tags": ["a"],
            "who": "ann",
        },
    )
    prepared, errors = row_to_example(row, GoldenRow)
    assert errors == [] and prepared is not None
    example = Example.model_validate(json.loads(prepared.payload))
    assert example.id == "7" and example.metadata == {"who": "ann"}
    assert example.hash == prepared.hash


def test_values_that_are_not_json_are_row_errors():
    from evalwheel.datasets.importer import row_to_example
    from evalwheel.datasets.readers import RawRow
    from evalwheel.datasets.schemas import BenchmarkRow

    _, errors = row_to_example(
        RawRow(3, {"input": "x", "reference": {"b": b"bytes"}}), BenchmarkRow
    )
    assert errors and errors[0].line == 3 and "not JSON-compatible" in errors[0].message


def test_the_shipped_flow_benchmark_says_which_field_mapping_it_needs(sqlite_project) -> None:
    from evalwheel_flow import DATA_DIR

    path = DATA_DIR / "benchmark.jsonl"
    refused = cli("dataset", "import", path, "-n", "bench", "-k", "benchmark")
    assert refused.exit_code == 2
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 2, refused.stderr  # one cause, one line (not one "required" per row)
    assert "input: no row has this field" in lines[0] and "--field input=request" in lines[0]
    imported = cli(
        "dataset", "import", path, "-n", "bench", "-k", "benchmark", "--field", "input=request"
    )
    assert imported.exit_code == 0, imported.stderr
