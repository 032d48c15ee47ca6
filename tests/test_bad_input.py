"""Bad input through the real CLI: each problem is ``FILE:LINE: field: message`` with exit code 2,
never an internal error, and a dataset stored before the bad file is still there, unchanged.

Covers what used to escape that contract: JSON nested too deep (for the parser or for what comes
after it), numbers Python or JSON cannot hold, NUL characters (PostgreSQL refuses them), UTF-16
and UTF-32 files, unreadable or mistyped Parquet, ``--field`` naming a missing column, lines over
the size limit, invalid names and positions in ``evalwheel.toml``, and JSON documents.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from evalwheel.project import Project
from evalwheel.store.datasets import DatasetRepository
from tests.helpers import benchmark_rows, cli, cli_json, write_jsonl

DEEP = "[" * 100_000 + "]" * 100_000  # beyond the JSON parser's own recursion limit
MIDDLE = "[" * 500 + "]" * 500  # parses, but blows up or bloats whatever recurses later


def _error_lines(result, path: Path) -> list[str]:
    return [
        line.removeprefix("error: ")
        for line in result.stderr.splitlines()
        if line.removeprefix("error: ").startswith(str(path))
    ]


def assert_refused(result, path: Path, line: int | None, field: str, words: str = "") -> str:
    """Exit 2 and one ``FILE:LINE: field: message`` line for ``path``; returns that line."""
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    lines = _error_lines(result, path)
    where = f"{path}:{line}" if line is not None else str(path)
    matching = [x for x in lines if x.startswith(f"{where}: {field}: ")]
    assert len(matching) == 1, (where, field, result.stderr)
    assert words in matching[0], (words, matching[0])
    return matching[0]


@pytest.fixture
def kept(project: Project, tmp_path: Path) -> dict:
    """A dataset stored before any bad import; ``assert_kept`` checks it is still intact."""
    path = write_jsonl(tmp_path / "keep.jsonl", benchmark_rows(5))
    return cli_json("dataset", "import", path, "-n", "keep", "-k", "benchmark")["version"]


def assert_kept(project: Project, kept: dict) -> None:
    store = project.open_store()
    try:
        repo = DatasetRepository(store)
        versions = repo.list_versions()
        assert [(v.name, v.version_id) for v in versions] == [("keep", kept["version_id"])]
        assert len(list(repo.iter_examples(kept["version_id"]))) == 5
    finally:
        store.close()


def _import(path: Path, *extra: str):
    return cli("dataset", "import", path, "-n", "bad", "-k", "benchmark", *extra)


# --- nesting -------------------------------------------------------------------------------------


def test_json_nested_too_deep_for_the_parser(project: Project, kept: dict, tmp_path: Path):
    path = tmp_path / "deep.jsonl"
    path.write_text(
        '{"id": "a", "input": "ok"}\n{"id": "b", "input": "x", "reference": ' + DEEP + "}\n"
    )
    assert_refused(_import(path), path, 2, "(line)", "nested deeper than 64 levels")
    assert_kept(project, kept)


def test_json_that_parses_but_is_nested_too_deep_names_its_field(
    project: Project, kept: dict, tmp_path: Path
):
    path = tmp_path / "middle.jsonl"
    path.write_text('{"id": "b", "input": "x", "metadata": {"trace": ' + MIDDLE + "}}\n")
    assert_refused(_import(path), path, 1, "metadata", "nested deeper than 64 levels")
    csv = tmp_path / "middle.csv"
    csv.write_text('id,input,reference\nc,x,"' + MIDDLE + '"\n')
    assert_refused(_import(csv), csv, 2, "reference", "nested deeper than 64 levels")
    assert_kept(project, kept)
    ok = tmp_path / "ok.jsonl"  # nesting within the limit still imports
    ok.write_text('{"id": "a", "input": "x", "reference": ' + "[" * 60 + "]" * 60 + "}\n")
    assert _import(ok).exit_code == 0


# --- numbers -------------------------------------------------------------------------------------


def test_integer_beyond_pythons_conversion_limit(project: Project, kept: dict, tmp_path: Path):
    path = tmp_path / "big.jsonl"
    path.write_text('{"id": "a", "input": "x", "reference": 1' + "0" * 5000 + "}\n")
    assert_refused(_import(path), path, 1, "(line)", "number too large (5,001 digits")
    assert_kept(project, kept)


def test_integer_id_too_large_for_the_id_column(project: Project, kept: dict, tmp_path: Path):
    path = tmp_path / "bigid.jsonl"
    path.write_text('{"id": ' + "9" * 300 + ', "input": "x"}\n')
    assert_refused(_import(path), path, 1, "id", "64-bit range")
    assert_kept(project, kept)


def test_number_json_cannot_spell_names_its_field(project: Project, kept: dict, tmp_path: Path):
    path = tmp_path / "inf.jsonl"
    path.write_text(
        '{"id": "a", "input": "x", "reference": {"n": 1e400}}\n{"id": "b", "input": NaN}\n'
    )
    result = _import(path)
    assert_refused(result, path, 1, "reference[n]", "out of range")
    assert_refused(result, path, 2, "(line)", "NaN is not a JSON number")
    assert_kept(project, kept)


# --- NUL characters ------------------------------------------------------------------------------


def test_nul_in_ids_and_text_is_refused_on_every_backend(
    project: Project, kept: dict, tmp_path: Path
):
    path = tmp_path / "nul.jsonl"
    path.write_text(
        '{"id": "a\\u0000b", "input": "x"}\n'
        '{"id": "c", "input": "x\\u0000y"}\n'
        '{"id": "d", "input": "x", "metadata": {"note": "\\u0000"}}\n'
    )
    result = _import(path)
    assert_refused(result, path, 1, "id", "NUL character")
    assert_refused(result, path, 2, "input", "NUL character")
    assert_refused(result, path, 3, "metadata[note]", "NUL character")
    csv = tmp_path / "nul.csv"
    csv.write_bytes(b"id,input\ne\x00f,x\n")
    assert_refused(_import(csv), csv, 2, "id", "NUL character")
    assert_kept(project, kept)


# --- encodings -----------------------------------------------------------------------------------


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-32"])
def test_files_with_a_byte_order_mark_are_decoded(project: Project, tmp_path: Path, codec: str):
    rows = [{"id": "u1", "input": "héllo – ✓", "tags": ["ü"]}]
    reference = cli_json(
        "dataset", "import", write_jsonl(tmp_path / "r.jsonl", rows), "-n", "r", "-k", "benchmark"
    )
    jsonl = tmp_path / "u.jsonl"
    text = json.dumps(rows[0], ensure_ascii=False) + "\n"
    bom = "\ufeff" if codec in ("utf-16-be",) else ""  # the -be codec writes no BOM by itself
    jsonl.write_bytes((bom + text).encode(codec))
    out = cli_json("dataset", "import", jsonl, "-n", "j", "-k", "benchmark")
    assert out["version"]["version_id"] == reference["version"]["version_id"]
    csv = tmp_path / "u.csv"
    csv.write_bytes((bom + "id,input,tags\r\nu1,héllo – ✓,ü\r\n").encode(codec))
    out = cli_json("dataset", "import", csv, "-n", "c", "-k", "benchmark")
    assert out["version"]["version_id"] == reference["version"]["version_id"]
    # Without a BOM UTF-16 cannot be told from UTF-8 reliably: refused by line, not guessed.
    nobom = tmp_path / "nobom.jsonl"
    nobom.write_bytes(text.encode("utf-16-le") + b"\xff\xfe\xff\n")
    result = _import(nobom)
    assert result.exit_code == 2
    assert any(" (line): not valid UTF-8" in line for line in _error_lines(result, nobom))


# --- Parquet -------------------------------------------------------------------------------------


@pytest.mark.parametrize("content", [b"", b"PAR1 not really", "truncated"])
def test_unreadable_parquet_is_one_file_error(
    project: Project, kept: dict, tmp_path: Path, content
):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "bad.parquet"
    if content == "truncated":
        pq.write_table(pa.table({"id": ["a"] * 1000, "input": ["x"] * 1000}), path)
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    else:
        path.write_bytes(content)
    assert_refused(_import(path), path, None, "(file)", "not a readable Parquet file")
    assert_kept(project, kept)


def test_parquet_with_wrong_column_types(project: Project, kept: dict, tmp_path: Path):
    import datetime

    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "types.parquet"
    pq.write_table(pa.table({"id": ["a"], "input": [5], "tags": ["x"]}), path)
    result = _import(path)
    assert_refused(
        result, path, 1, "input", "expected text, a JSON object or an array, got a number"
    )
    assert_refused(result, path, 1, "tags", "valid list")
    stamps = tmp_path / "stamps.parquet"
    when = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    pq.write_table(pa.table({"id": ["a"], "input": ["x"], "created": [when]}), stamps)
    assert_refused(_import(stamps), stamps, 1, "created", "not JSON-compatible")
    assert_kept(project, kept)


# --- --field mappings ----------------------------------------------------------------------------


def test_field_mapping_to_a_missing_column(project: Project, kept: dict, tmp_path: Path):
    csv = tmp_path / "m.csv"
    csv.write_text("id,request,tags\nm1,hello,x\nm2,bye,y\n")
    line = assert_refused(_import(csv, "--field", "input=nosuchcol"), csv, 1, "(header)")
    assert "'nosuchcol'" in line and "id, request, tags" in line
    jsonl = write_jsonl(tmp_path / "m.jsonl", [{"id": "m1", "request": "hello"}])
    line = assert_refused(_import(jsonl, "--field", "input=nosuchcol"), jsonl, 1, "(header)")
    assert "'nosuchcol'" in line and "id, request" in line
    assert_kept(project, kept)
    # A mapping to a column that is there still imports.
    out = cli_json(
        "dataset", "import", csv, "-n", "ok", "-k", "benchmark", "--field", "input=request"
    )
    assert out["version"]["n_items"] == 2


# --- size ----------------------------------------------------------------------------------------


def test_line_over_the_size_limit(
    project: Project, kept: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("EVALWHEEL_MAX_LINE_BYTES", "1000")
    path = tmp_path / "long.jsonl"
    path.write_text(
        '{"id": "a", "input": "x"}\n'
        + '{"id": "b", "input": "'
        + "x" * 5000
        + '"}\n'
        + '{"id": "c", "input": "'
        + "y" * 5000  # no newline at the end either
    )
    result = _import(path)
    assert_refused(result, path, 2, "(line)", "line longer than 1,000 bytes")
    assert_refused(result, path, 3, "(line)", "EVALWHEEL_MAX_LINE_BYTES")
    monkeypatch.setenv("EVALWHEEL_MAX_LINE_BYTES", "lots")
    result = _import(path)
    assert result.exit_code == 2 and "EVALWHEEL_MAX_LINE_BYTES" in result.stderr
    assert_kept(project, kept)


# --- labels --------------------------------------------------------------------------------------


def _labels(path: Path, *extra: str):
    return cli("labels", "import", path, "--dataset", "keep", *extra)


def test_label_file_nested_too_deep(project: Project, kept: dict, tmp_path: Path):
    path = tmp_path / "deep.jsonl"
    path.write_text('{"item": "a", "annotator": "x", "label": ' + DEEP + "}\n")
    assert_refused(_labels(path), path, 1, "(line)", "nested deeper")
    path.write_text('{"item": "a", "annotator": "x", "label": {"a": 1}}\n')
    assert_refused(_labels(path), path, 1, "label", "expected text, got dict")
    assert_kept(project, kept)


def test_label_values_the_store_cannot_hold(project: Project, kept: dict, tmp_path: Path):
    path = tmp_path / "l.jsonl"
    path.write_text(
        '{"item": "a", "annotator": "x\\u0000y", "label": "good"}\n'
        + json.dumps({"item": "b", "annotator": "x", "label": "g" * 200})
        + "\n"
    )
    result = _labels(path)
    assert_refused(result, path, 1, "annotator", "NUL character")
    assert_refused(result, path, 2, "label", "longer than 128 characters")
    assert not cli_json("labels", "list")  # nothing stored from the file
    assert_kept(project, kept)


def test_label_mapping_to_a_missing_column_and_utf16(project: Project, tmp_path: Path):
    path = tmp_path / "l.csv"
    path.write_bytes("item,rater,verdict\nü,ann,good\n".encode("utf-16"))
    line = assert_refused(_labels(path, "--field", "label=grade"), path, 1, "(header)")
    assert "'grade'" in line and "item, rater, verdict" in line
    out = cli_json("labels", "import", path, "--dataset", "keep", "--field", "label=verdict")
    assert out["added"] == 1 and out["items"] == 1


# --- batch requests and JSON documents -----------------------------------------------------------


def test_batch_requests_nested_too_deep_and_utf16(project: Project, tmp_path: Path):
    path = tmp_path / "in.jsonl"
    path.write_text('{"id": "a", "messages": ' + DEEP + "}\n")
    out = tmp_path / "out.jsonl"
    result = cli("models", "batch", "-m", "local", "-i", path, "-o", out, "--dry-run")
    assert_refused(result, path, 1, "(line)", "nested deeper")
    request = {"id": "a", "messages": [{"role": "user", "content": "grüß"}]}
    path.write_bytes((json.dumps(request, ensure_ascii=False) + "\n").encode("utf-16"))
    result = cli("models", "batch", "-m", "local", "-i", path, "-o", out, "--dry-run", "--json")
    assert result.exit_code in (0, 1), result.stderr
    assert json.loads(result.stdout)["requests"] == 1


def test_json_schema_file_nested_too_deep(project: Project, tmp_path: Path):
    schema = tmp_path / "s.json"
    schema.write_text('{"type": "object", "properties": ' + DEEP + "}")
    path = write_jsonl(
        tmp_path / "in.jsonl", [{"id": "a", "messages": [{"role": "user", "content": "x"}]}]
    )
    result = cli(
        "models", "batch", "-m", "local", "-i", path, "-o", tmp_path / "o.jsonl", "--schema", schema
    )
    assert_refused(result, schema, None, "(file)", "nested deeper")
    schema.write_text('{"type": "object",\n "bad": }')
    result = cli(
        "models", "batch", "-m", "local", "-i", path, "-o", tmp_path / "o.jsonl", "--schema", schema
    )
    assert_refused(result, schema, 2, "(file)", "invalid JSON")


def test_flow_workflow_file_nested_too_deep(tmp_path: Path):
    path = tmp_path / "w.json"
    path.write_text('{"root": ' + DEEP + "}")
    result = cli("flow", "validate", path)
    assert_refused(result, path, None, "(file)", "nested deeper")


# --- evalwheel.toml ------------------------------------------------------------------------------


def test_init_writes_any_printable_name_as_valid_toml(tmp_path: Path):
    for i, name in enumerate(['a"b', "a'\"b", "back\\slash", "naïve – ✓"]):
        result = cli("init", tmp_path / f"p{i}", "--name", name)
        assert result.exit_code == 0, result.stderr
        data = tomllib.loads((tmp_path / f"p{i}" / "evalwheel.toml").read_text(encoding="utf-8"))
        assert data["project"]["name"] == name


@pytest.mark.parametrize("name", ["two\nlines", "tab\there", "bell\x07"])
def test_init_refuses_a_name_with_control_characters(tmp_path: Path, name: str):
    result = cli("init", tmp_path / "p", "--name", name)
    assert result.exit_code == 2
    assert "project.name: must not contain newlines or control characters" in result.stderr
    assert not (tmp_path / "p" / "evalwheel.toml").exists()


def _config(project: Project, extra: str) -> Path:
    path = project.config_path
    path.write_text(path.read_text(encoding="utf-8") + "\n" + extra, encoding="utf-8")
    return path


def _line_of(path: Path, text: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, start=1) if line.startswith(text))


def test_model_errors_name_their_line(sqlite_project: Project):
    path = _config(
        sqlite_project,
        '[models.gpt]\nbase_url = "http://127.0.0.1:9/v1"\nmodel = "m"\nmax_concurrency = 0\n\n'
        '[models."no.endpoint"]\nmodel = "m"\n',
    )
    result = cli("models", "list")
    assert_refused(
        result,
        path,
        _line_of(path, "max_concurrency"),
        "models.gpt.max_concurrency",
        "greater than",
    )
    path.write_text(path.read_text().replace("max_concurrency = 0", "max_concurrency = 2"))
    result = cli("models", "list")
    assert_refused(
        result, path, _line_of(path, '[models."no.endpoint"]'), "models.no.endpoint", "base_url"
    )


def test_judge_errors_name_their_line_with_quoted_names(sqlite_project: Project):
    path = _config(
        sqlite_project,
        '[judges."strict.v2"]\nmodel = "local"\napp = "flow"\nrubric = "r"\n'
        'labels = ["good", "bad"]\npass_labels = ["great"]\n',
    )
    result = cli("judge", "show", "strict.v2")
    assert_refused(
        result, path, _line_of(path, "pass_labels"), "judges.strict.v2.pass_labels", "great"
    )


def test_gate_errors_name_their_line(sqlite_project: Project):
    path = _config(
        sqlite_project,
        '[gates.commit]\nsystem = "flow-local"\ndataset = "bench"\nbogus = 1\n',
    )
    done = subprocess.run(
        [sys.executable, "-m", "evalwheel.cli.app", "gate", "--tier", "commit"],
        cwd=sqlite_project.root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    lines = [line.removeprefix("error: ") for line in done.stderr.splitlines()]
    assert (
        f"{path}:{_line_of(path, 'bogus')}: gates.commit.bogus: Extra inputs are not permitted"
        in lines
    )


def test_config_numbers_and_nul(sqlite_project: Project):
    path = sqlite_project.config_path
    base = path.read_text(encoding="utf-8")
    path.write_text(base.replace("seed = 0", "seed = 1" + "0" * 30))
    assert_refused(
        cli("dataset", "list"), path, _line_of(path, "seed"), "datasets.splits.seed", "64-bit"
    )
    path.write_text(base.replace("seed = 0", "seed = 1" + "0" * 5000))
    assert_refused(
        cli("dataset", "list"), path, _line_of(path, "seed"), "(file)", "number too large"
    )
    path.write_text(base.replace('name = "test"', 'name = "a\\u0000b"'))
    assert_refused(cli("dataset", "list"), path, _line_of(path, "name"), "project.name", "NUL")
    path.write_text(base + "\n[systems.x\n")
    assert_refused(
        cli("dataset", "list"), path, _line_of(path, "[systems.x"), "(file)", "invalid TOML"
    )


@pytest.mark.parametrize("codec", ["utf-16", "utf-32", "utf-8-sig"])
def test_config_with_a_byte_order_mark_is_decoded(sqlite_project: Project, codec: str):
    path = sqlite_project.config_path
    text = path.read_text(encoding="utf-8").replace('name = "test"', 'name = "tést"')
    path.write_bytes(text.encode(codec))
    result = cli("dataset", "list", "--json")
    assert result.exit_code == 0, result.stderr
    path.write_bytes(b"\xff\xfe" + "[project]\n".encode("utf-16-le") + b"\x00\xd8\n\x00")
    result = cli("dataset", "list")
    assert result.exit_code == 2 and f"{path}:" in result.stderr and "UTF-16" in result.stderr
