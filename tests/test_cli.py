import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from evalwheel import __version__
from evalwheel.project import Project
from evalwheel.store.migrate import HEAD_REVISION
from tests.helpers import cli, cli_json


def test_version_and_help():
    assert __version__ in cli("--version").stdout
    assert "dataset" in cli("--help").stdout


def test_init_then_store_info(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    result = cli("init", tmp_path / "p", "--name", "shop")
    assert result.exit_code == 0 and "created" in result.stdout
    monkeypatch.chdir(tmp_path / "p")
    info = cli_json("store", "info")
    assert info["dialect"] == "sqlite" and info["integrity"] == "ok"
    assert info["schema_revision"] == HEAD_REVISION
    assert "datasets" in info["tables"]


def test_store_info_on_each_backend(project: Project):
    info = cli_json("store", "info")
    assert info["project"] == str(project.root)
    assert info["dialect"] in ("sqlite", "postgresql") and info["schema_revision"] == HEAD_REVISION


def test_display_url_hides_the_password(tmp_path: Path):
    from sqlalchemy import create_engine

    from evalwheel.store import BlobStore, Store

    store = Store(
        create_engine("sqlite://"), BlobStore(tmp_path), "postgresql://u:secret@db.example:5432/ew"
    )
    assert "secret" not in store.display_url and "db.example" in store.display_url


def test_usage_errors_exit_2(sqlite_project: Project):
    assert cli("dataset", "import").exit_code == 2
    assert cli("dataset", "export", "x", "--format", "xml").exit_code == 2
    assert cli("dataset", "import", "f.jsonl", "-n", "x", "-k", "nonsense").exit_code == 2


@pytest.mark.slow
@pytest.mark.model
def test_demo_on_a_fresh_folder_imports_and_evaluates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.chdir(tmp_path)
    result = cli("demo", "d", "--items", "3", "--judge-items", "9", "--mirror-items", "2")
    assert result.exit_code == 0, result.stderr
    # The mirror step: flow-local against the candidate Flow ships, the noise floor beside it.
    assert "through flow-local and flow-local-shots6" in result.stdout
    assert "noise floor (current vs itself)" in result.stdout
    # The judge loop runs end to end on the embedded model and reports, whatever it measures.
    assert "judge flow-quality: dev kappa" in result.stdout and "human ceiling" in result.stdout
    assert "flow-benchmark" in result.stdout and "flow-traffic" in result.stdout
    assert (
        "agent on the embedded model (SmolLM2-135M, offline)" in result.stdout
        and "3 misses" in result.stdout
    )
    report = Path(result.stdout.split("Report: ")[1].split()[0])
    assert report.is_file() and "flow.pass" in report.read_text()
    monkeypatch.chdir(tmp_path / "d")
    listed = {v["name"]: v for v in cli_json("dataset", "list")}
    assert (
        listed["flow-benchmark"]["n_items"] >= 300 and listed["flow-traffic"]["kind"] == "traffic"
    )
    assert len(cli_json("runs", "list")) == 3  # the evaluation and the mirror's two runs
    monkeypatch.chdir(tmp_path)
    again = cli(
        "demo", "d", "--items", "3", "--judge-items", "9", "--mirror-items", "2"
    )  # reuses the project, versions, labels and mirror; every call is cached
    assert again.exit_code == 0 and "3 hits, 0 misses" in again.stdout
    assert "labels for flow-golden: 0 added, 792 already there" in again.stderr
    monkeypatch.chdir(tmp_path / "d")
    assert {v["seq"] for v in cli_json("dataset", "list", "--all")} == {1}


@pytest.mark.slow
def test_console_script_is_installed_and_reports_exit_codes(tmp_path: Path):
    exe = shutil.which("evalwheel") or str(Path(sys.executable).with_name("evalwheel"))
    ok = subprocess.run([exe, "init", str(tmp_path / "p")], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    missing = subprocess.run(
        [exe, "dataset", "list", "--json"], cwd=tmp_path, capture_output=True, text=True
    )
    assert missing.returncode == 2 and "not inside an evalwheel project" in missing.stderr
    listed = subprocess.run(
        [exe, "dataset", "list", "--json"], cwd=tmp_path / "p", capture_output=True, text=True
    )
    assert listed.returncode == 0 and json.loads(listed.stdout) == []
