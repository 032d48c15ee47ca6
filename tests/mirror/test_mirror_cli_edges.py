"""The ``mirror`` CLI as a demanding user meets it: exit codes, JSON, literal text, no secrets."""

from __future__ import annotations

import json

import pytest

import evalwheel as ew
from evalwheel.api import mirroring_live
from evalwheel.errors import InputError
from evalwheel.mirror.readiness import Readiness
from evalwheel.mirror.shadow_proxy import ShadowStats
from evalwheel.mirror.summary import MirrorSummary
from evalwheel.project import Project
from tests.helpers import cli

REPLAY = ("mirror", "replay", "--traffic", "traffic", "--current", "cur", "--candidate", "cand")


def serve(*args: str) -> object:
    return cli(
        "mirror", "serve", "--candidate", "http://127.0.0.1:9/v1", "--port", "0", "--no-auth", *args
    )


def test_serve_prints_its_counters_and_hides_credentials(
    sqlite_project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        mirroring_live, "serve_mirror", lambda *a, **k: ShadowStats(requests=3, sampled=1)
    )
    monkeypatch.setenv("CAND_KEY", "candidatekeyvalue123456")
    primary = "https://user:s3cretpw@llm.example/v1?api_key=querykey987"
    result = serve("--primary", primary, "--candidate-key-env", "CAND_KEY")
    assert result.exit_code == 0, result.stderr
    assert "requests 3, sampled 1" in result.stdout
    shown = result.stdout + result.stderr
    assert "shadowing https://user:***@llm.example/v1" in shown
    for secret in ("s3cretpw", "querykey987", "candidatekeyvalue123456"):
        assert secret not in shown


@pytest.mark.parametrize("primary", ["localhost:8000", "ftp://llm.example/v1", "http:///v1"])
def test_serve_refuses_a_primary_that_is_not_an_http_url(
    sqlite_project: Project, monkeypatch: pytest.MonkeyPatch, primary: str
) -> None:
    monkeypatch.setattr(mirroring_live, "serve_mirror", lambda *a, **k: ShadowStats())
    result = serve("--primary", primary)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert lines == [f"error: primary: must be an http:// or https:// base URL, not {primary!r}"]


@pytest.mark.parametrize("weight", ["vip=nan", "vip=inf", "vip=-1", "=2"])
def test_a_weight_that_would_scramble_the_queue_is_refused(
    mirror_project: Project, weight: str
) -> None:
    result = cli(*REPLAY, "--weight", weight)
    assert result.exit_code == 2
    assert "--weight" in result.stderr and "Traceback" not in result.stderr
    assert cli("mirror", "list", "--json").stdout.strip() == "[]"  # nothing ran
    from evalwheel.mirror.review import check_weights

    with pytest.raises(InputError):
        check_weights({"vip": float("nan")})


def test_json_outputs_are_the_typed_results_and_text_prints_literally(
    mirror_project: Project,
) -> None:
    rows = [
        {"id": f"m{i}", "input": f"same {i}", "tags": ["[bold]x[/bold]", "[link=http://e]y"]}
        for i in range(5)
    ]
    ew.import_examples(rows, "marked", kind="traffic", project=mirror_project.root)
    replay = cli(
        "mirror",
        "replay",
        "--traffic",
        "marked",
        "--current",
        "cur",
        "--candidate",
        "cand",
        "--json",
    )
    assert replay.exit_code == 0, replay.stderr
    mirror = json.loads(replay.stdout)["mirror"]["id"]
    shown = cli("mirror", "show", mirror, "--json")
    summary = MirrorSummary.model_validate(json.loads(shown.stdout))
    assert summary.pairs == 5 and summary.mirror == mirror
    text = cli("mirror", "show", mirror)
    assert "  [bold]x[/bold]: n=5" in text.stdout
    assert "  [link=http://e]y: n=5" in text.stdout
    status = cli("mirror", "status", mirror, "--json")
    assert status.exit_code == 1  # not ready: a failed check, and the JSON still comes
    readiness = Readiness.model_validate(json.loads(status.stdout))
    assert readiness.ready is False and readiness.mirror == mirror
