from pathlib import Path

import pytest

from evalwheel.project import ConfigError, ProjectNotFound, find_project, init_project, load_config
from evalwheel.project.discovery import ENV_BLOB_DIR, ENV_DATABASE_URL, ENV_PROJECT


def test_init_creates_config_state_and_store(tmp_path: Path):
    project, created = init_project(tmp_path / "p", "demo")
    assert created
    assert project.config.project.name == "demo"
    assert (tmp_path / "p" / "evalwheel.toml").is_file()
    assert (tmp_path / "p" / ".evalwheel" / "store.db").is_file()
    assert (tmp_path / "p" / ".evalwheel" / ".gitignore").read_text().strip().endswith("*")
    again, created_again = init_project(tmp_path / "p")
    assert not created_again and again.config.project.name == "demo"


def test_commands_find_the_project_by_walking_up(tmp_path: Path):
    init_project(tmp_path / "p")
    deep = tmp_path / "p" / "a" / "b"
    deep.mkdir(parents=True)
    assert find_project(deep).root == (tmp_path / "p").resolve()


def test_outside_a_project_the_error_says_what_to_do(tmp_path: Path):
    with pytest.raises(ProjectNotFound, match="evalwheel init"):
        find_project(tmp_path)


def test_environment_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    init_project(tmp_path / "p")
    monkeypatch.setenv(ENV_PROJECT, str(tmp_path / "p"))
    project = find_project(tmp_path)  # not inside, but named by the environment
    monkeypatch.setenv(ENV_DATABASE_URL, "sqlite:////elsewhere/db.sqlite")
    monkeypatch.setenv(ENV_BLOB_DIR, "blobs2")
    assert project.database_url == "sqlite:////elsewhere/db.sqlite"
    assert project.blob_dir == project.root / "blobs2"


def test_config_error_names_file_line_and_field(tmp_path: Path):
    path = tmp_path / "evalwheel.toml"
    path.write_text('[project]\nname = "x"\n\n[datasets.splits]\nseed = "abc"\ntrain = 0.5\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert f"{path}:5: datasets.splits.seed:" in message
    path.write_text('[project]\nname = "x"\n\n[datasets.splits]\ntrain = 0.5\n')
    with pytest.raises(ConfigError, match=r":4: datasets.splits: .*train \+ dev \+ test must be 1"):
        load_config(path)


def test_unknown_section_is_rejected_not_ignored(tmp_path: Path):
    path = tmp_path / "evalwheel.toml"
    path.write_text('[project]\nname = "x"\n\n[stroe]\ndatabase_url = "sqlite://"\n')
    with pytest.raises(ConfigError, match=r":4: stroe: Extra inputs are not permitted"):
        load_config(path)


def test_toml_syntax_error_names_the_file(tmp_path: Path):
    path = tmp_path / "evalwheel.toml"
    path.write_text("[project\nname = 1\n")
    with pytest.raises(ConfigError, match=str(path)):
        load_config(path)


def test_locate_reads_quoted_dotted_keys_and_skips_multiline_strings():
    from evalwheel.project.config import locate

    text = (
        '[project]\nname = "x"\n\n[judges."a.b"]\nrubric = """\nmodel = "not a key"\n"""\n'
        'model = "local"\n\n[models]\ngpt = { model = "m" }\n'
    )
    assert locate(text, ("judges", "a.b", "model")) == 8
    assert locate(text, ("judges", "a.b", "labels")) == 4  # absent: the table's header
    assert locate(text, ("models", "gpt", "base_url")) == 11  # inside an inline table
    assert locate(text, ("gates", "commit")) is None
