"""What a reviewer broke and the fixes hold: resume never mixes two systems, secrets never reach
the store, a failed cache write never fails a paid item, gates never pass on nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

import evalwheel as ew
from evalwheel.errors import ConflictError, InputError
from evalwheel.project import Project
from evalwheel.redaction import redact_text
from evalwheel.store.tables import SystemRow, TraceRow
from evalwheel.testing.openai_stub import StubServer
from tests.helpers import cli, write_jsonl

ROWS = [{"id": f"q{i}", "input": f"item {i}", "reference": "ok"} for i in range(6)]


def _project(project: Project, tmp_path: Path, extra: str) -> None:
    with open(project.config_path, "a", encoding="utf-8") as f:
        f.write(extra)
    ew.import_dataset(write_jsonl(tmp_path / "q.jsonl", ROWS), "q", "qa", project=project.root)


def test_resume_refuses_a_python_system_whose_code_changed(sqlite_project: Project, tmp_path):
    agent = sqlite_project.root / "resume_agent.py"
    agent.write_text("def answer(example):\n    return 'ok'\n")
    _project(
        sqlite_project,
        tmp_path,
        '\n[systems.fn]\nkind = "python"\nfunction = "resume_agent:answer"\n',
    )
    first = ew.evaluate(
        "fn", "q", project=sqlite_project.root, scorers=["exact_match"], budget_usd=0
    )
    assert first.complete
    agent.write_text("def answer(example):\n    return 'edited'\n")
    with pytest.raises(ConflictError, match="no longer what this run ran: source_sha256"):
        ew.resume(first.run_id, project=sqlite_project.root)
    # A new run runs the code on disk, even in the process that imported the old one.
    second = ew.evaluate("fn", "q", project=sqlite_project.root, scorers=["exact_match"])
    assert second.pass_rate("exact_match").estimate == 0.0
    assert second.summary.system.version != first.summary.system.version


def test_secrets_written_in_the_config_are_never_stored(sqlite_project: Project, tmp_path: Path):
    stub = StubServer()
    with stub:
        url = stub.url.replace("http://", "http://alice:pgPassw0rd@")
        _project(
            sqlite_project,
            tmp_path,
            f'\n[models.remote]\nbase_url = "{url}"\nmodel = "m"\nmax_retries = 0\n'
            '\n[systems.p]\nkind = "prompt"\nmodel = "remote"\ntemplate = "{{ input }}"\n',
        )
        result = ew.evaluate("p", "q", project=sqlite_project.root, limit=2)
        assert result.complete and result.summary.errors == 0
        store = sqlite_project.open_store()
        with store.read() as session:
            payloads = json.dumps([r.payload for r in session.execute(select(SystemRow)).scalars()])
        store.close()
        assert "pgPassw0rd" not in payloads and "alice:***@" in payloads
        # The run can still resume: today's config, hidden the same way, fills the secrets in.
        assert ew.resume(result.run_id, project=sqlite_project.root).complete


def test_item_errors_are_redacted_before_they_are_stored(sqlite_project: Project, tmp_path):
    (sqlite_project.root / "leaky.py").write_text(
        "def answer(example):\n"
        "    raise ConnectionError('POST https://admin:hunter2secret@x.example/v1"
        "?api_token=tok_live_123 with Authorization: Basic YWRtaW46cGFzcw==')\n"
    )
    _project(
        sqlite_project, tmp_path, '\n[systems.leak]\nkind = "python"\nfunction = "leaky:answer"\n'
    )
    result = ew.evaluate("leak", "q", project=sqlite_project.root)
    assert result.summary.errors == 6
    store = sqlite_project.open_store()
    with store.read() as session:
        errors = " ".join(session.execute(select(TraceRow.error)).scalars())
    store.close()
    for secret in ("hunter2secret", "tok_live_123", "YWRtaW46cGFzcw=="):
        assert secret not in errors


def test_a_failed_cache_write_never_fails_a_paid_item(
    sqlite_project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from evalwheel.llm.cache import CallCache
    from evalwheel.store.db import StoreError

    def broken(self, rows):
        raise StoreError("store …: the database is locked")

    monkeypatch.setattr(CallCache, "_write", broken)
    stub = StubServer()
    with stub:
        _project(
            sqlite_project,
            tmp_path,
            f'\n[models.stub]\nbase_url = "{stub.url}"\nmodel = "m"\nmax_retries = 0\n'
            '\n[systems.p]\nkind = "prompt"\nmodel = "stub"\ntemplate = "[[reply:ok]] {{ input }}"\n',
        )
        result = ew.evaluate("p", "q", project=sqlite_project.root, scorers=["exact_match"])
    assert result.summary.errors == 0 and result.pass_rate("exact_match").estimate == 1.0
    assert result.calls is not None and result.calls.cache_write_errors == 6


def test_a_gate_that_checks_nothing_is_refused(sqlite_project: Project, tmp_path: Path):
    _project(
        sqlite_project,
        tmp_path,
        '\n[systems.fn]\nkind = "python"\nfunction = "json:dumps"\n'
        '\n[gates.empty]\nsystem = "fn"\ndataset = "q"\n',
    )
    result = cli("gate", "--tier", "empty")
    assert result.exit_code == 2 and "a gate needs thresholds or a baseline" in result.stderr


def test_api_arguments_are_checked_before_anything_is_stored(sqlite_project: Project):
    for kwargs in ({"budget_usd": float("nan")}, {"budget_usd": -1}, {"concurrency": 2.5}):
        with pytest.raises(InputError):
            ew.evaluate(
                "flow-local", [{"id": "a", "input": "x"}], project=sqlite_project.root, **kwargs
            )
    with pytest.raises(InputError, match="no_such_scorer"):
        ew.evaluate(
            "flow-local",
            [{"id": "a", "input": "x"}],
            project=sqlite_project.root,
            dataset_name="leftover",
            scorers=["no_such_scorer"],
        )
    assert json.loads(cli("dataset", "list", "--json").stdout) == []
    assert json.loads(cli("runs", "list", "--json").stdout) == []


def test_resume_with_another_application_is_refused(sqlite_project: Project):
    class Named:
        def __init__(self, name: str) -> None:
            self.name = name

        def example_datasets(self):
            return []

        def field_maps(self):
            return {}

        async def run(self, example, client, params):
            return ew.AppOutput(artifact="x")

        def check(self, example, output):
            return []

        def render(self, example, output):
            return ""

        def same(self, a, b):
            return True

        def ideal_trajectory(self, request, artifact):
            return []

    first = ew.evaluate(Named("agent"), [{"id": "a", "input": "x"}], project=sqlite_project.root)
    with pytest.raises(ConflictError, match="mix two systems"):
        ew.resume(first.run_id, project=sqlite_project.root, app=Named("something-else"))


@pytest.mark.parametrize(
    "text, hidden",
    [
        ("https://x.io/a?api_token=tok_live_123&x=1", "tok_live_123"),
        ("https://s3/o?X-Amz-Signature=abc123def&X-Amz-Credential=AKX", "abc123def"),
        ("Authorization: Basic YWRtaW46cGFzc3dvcmQ=", "YWRtaW46cGFzc3dvcmQ="),
        ("token ghp_0123456789abcdefghij0123456789ab", "ghp_0123456789"),
        ("AKIAABCDEFGHIJKLMNOP", "AKIAABCDEFGHIJKLMNOP"),
        ("host=db password=pgsecret user=me", "pgsecret"),
        ("https://a/cb#access_token=abcd1234&state=x", "abcd1234"),
    ],
)
def test_redaction_knows_common_secret_shapes(text: str, hidden: str):
    assert hidden not in redact_text(text)


@pytest.mark.parametrize(
    "text", ["Install sk-learn-compatible-plugin", "see https://x/?q=a+b&page=2", "max_tokens=20"]
)
def test_redaction_leaves_ordinary_text_alone(text: str):
    assert redact_text(text) == text


def test_report_into_a_missing_folder_is_an_input_error(sqlite_project: Project, tmp_path):
    _project(sqlite_project, tmp_path, '\n[systems.fn]\nkind = "python"\nfunction = "json:dumps"\n')
    run = ew.evaluate("fn", "q", project=sqlite_project.root)
    result = cli("report", run.run_id, "-o", "/nonexistent-dir/x.html")
    assert result.exit_code == 2 and "cannot write the report" in result.stderr


def test_compare_across_dataset_versions_pairs_only_unchanged_items(
    sqlite_project: Project, tmp_path: Path
):
    _project(sqlite_project, tmp_path, '\n[systems.fn]\nkind = "python"\nfunction = "json:dumps"\n')
    first = ew.evaluate("fn", "q", project=sqlite_project.root, scorers=["exact_match"])
    edited = [dict(r, input=f"changed {r['id']}") if r["id"] < "q3" else r for r in ROWS]
    ew.import_dataset(
        write_jsonl(tmp_path / "q2.jsonl", edited), "q", "qa", project=sqlite_project.root
    )
    second = ew.evaluate("fn", "q", project=sqlite_project.root, scorers=["exact_match"])
    result = ew.compare(first.run_id, second.run_id, "exact_match", project=sqlite_project.root)
    assert result.changed_items == 3 and result.shared_items == 3
