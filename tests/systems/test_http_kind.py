"""``kind = "http"`` against a JSON service on 127.0.0.1, through the real runner: body templates,
output/cost/token paths, header secrets from the environment that never show anywhere, and
failures (500, a missing output field, a body that is not JSON) as failed items."""

import pytest
from sqlalchemy import select

from evalwheel.errors import InputError
from evalwheel.project import Project
from evalwheel.store.tables import ScoreRow, TraceRow
from evalwheel.systems import build_system_app
from evalwheel.systems.paths import compile_path, normalise, pick
from tests.systems.helpers import JsonEndpoint, run_system

# Not shaped like a known key (sk-…), so only its registration as a secret can hide it.
KEY = "zq7Hw-private-991-credential"


def test_the_default_body_and_the_picked_output(sqlite_project: Project, endpoint):
    service, url = endpoint
    rows = [
        {"id": "a", "input": "ping", "reference": "echo: ping"},
        {"id": "b", "input": {"q": 1}, "reference": {"q": 1}},
    ]
    table = {
        "kind": "http",
        "url": f"{url}/answer",
        "output": "result.text",
        "cost_path": "cost",
        "tokens": {"input": "usage.in", "output": "usage.out"},
    }
    outcome = run_system(sqlite_project, "svc", table, rows)
    assert outcome.outputs["a"].artifact == "echo: ping"
    assert outcome.outputs["b"].artifact == {"q": 1}  # "{{ input }}" sends the value, not text
    sent = sorted(str(r["body"]["input"]) for r in service.requests)
    assert sent == ["ping", "{'q': 1}"]
    a = outcome.outputs["a"]
    assert (a.cost_usd, a.input_tokens, a.output_tokens) == (0.25, 7, 3)
    assert all(s.passed for s in outcome.scores.values()) and outcome.failed == 0


def test_body_templates_table_and_string(sqlite_project: Project, endpoint):
    service, url = endpoint
    rows = [{"id": "t", "input": "hi", "metadata": {"lang": "fr"}, "reference": "echo: hi"}]
    table = {
        "kind": "http",
        "url": f"{url}/answer",
        "method": "put",
        "body": {"input": "{{ input }}", "options": {"lang": "{{ metadata.lang }}", "n": 3}},
        "output": "$.result.text",
    }
    run_system(sqlite_project, "tbl", table, rows)
    assert service.requests[-1]["method"] == "PUT"
    assert service.requests[-1]["body"] == {"input": "hi", "options": {"lang": "fr", "n": 3}}
    table = {
        "kind": "http",
        "url": f"{url}/answer",
        "body": '{"input": {{ input | tojson }}, "tags": {{ tags | tojson }}}',
        "output": "result.text",
    }
    outcome = run_system(sqlite_project, "str", table, rows)
    assert service.requests[-1]["body"] == {"input": "hi", "tags": []}
    assert outcome.scores[("t", "exact_match")].passed is True


def test_failures_are_failed_items_with_clear_errors(sqlite_project: Project, endpoint):
    _, url = endpoint
    rows = [
        {"id": "ok", "input": "fine", "reference": "echo: fine"},
        {"id": "500", "input": "fail500", "reference": "x"},
        {"id": "missing", "input": "nooutput", "reference": "x"},
        {"id": "html", "input": "notjson", "reference": "x"},
    ]
    table = {"kind": "http", "url": f"{url}/answer", "output": "result.text"}
    outcome = run_system(sqlite_project, "flaky", table, rows)
    assert outcome.failed == 3
    errors = {k: o.error for k, o in outcome.outputs.items()}
    assert errors["ok"] is None
    assert "HTTP 500" in errors["500"] and "upstream broke" in errors["500"]
    assert "no value at 'result.text'" in errors["missing"] and "status" in errors["missing"]
    assert "not JSON" in errors["html"]
    assert all(
        outcome.scores[(k, "exact_match")].passed is False for k in ("500", "missing", "html")
    )


def test_a_connection_refused_is_a_failed_item(sqlite_project: Project):
    rows = [{"id": "x", "input": "hi", "reference": "x"}]
    table = {"kind": "http", "url": "http://127.0.0.1:9/nothing", "output": "a", "timeout_s": 5}
    outcome = run_system(sqlite_project, "down", table, rows)
    assert "cannot reach http://127.0.0.1:9/nothing" in outcome.outputs["x"].error


def test_header_secrets_never_appear(sqlite_project: Project, endpoint, monkeypatch):
    service, url = endpoint
    monkeypatch.setenv("SVC_KEY", KEY)
    rows = [
        {"id": "ok", "input": "fine", "reference": "echo: fine"},
        {"id": "500", "input": "fail500", "reference": "x"},
    ]
    table = {
        "kind": "http",
        "url": f"{url}/answer",
        "headers": {"Authorization": "Bearer ${SVC_KEY}", "X-Team": "evals"},
        "output": "result.text",
    }
    outcome = run_system(sqlite_project, "keyed", table, rows)
    assert service.requests[0]["headers"]["authorization"] == f"Bearer {KEY}"
    assert service.requests[0]["headers"]["x-team"] == "evals"
    # The service echoed the key back in its 500 body; the recorded error hides it.
    assert "upstream broke" in outcome.outputs["500"].error
    assert KEY not in outcome.outputs["500"].error
    assert KEY not in str(outcome.description) and "SVC_KEY" in str(outcome.description)
    assert KEY not in str(outcome.payload)
    store = sqlite_project.open_store()
    with store.read() as session:
        traces = session.execute(select(TraceRow)).scalars().all()
        scores = session.execute(select(ScoreRow)).scalars().all()
        stored = [(t.payload, t.error) for t in traces] + [(s.details, s.error) for s in scores]
    store.close()
    assert stored and KEY not in str(stored)


@pytest.mark.parametrize(
    ("table", "field", "says"),
    [
        ({"output": "a"}, "systems.h.url", "required"),
        ({"url": "ftp://x", "output": "a"}, "systems.h.url", "http:// or https://"),
        ({"url": "http://x"}, "systems.h.output", "required"),
        (
            {
                "url": "http://x",
                "output": "a[",
            },
            "systems.h.output",
            "not a valid path",
        ),
        ({"url": "http://x", "output": "a", "method": "DELETE"}, "systems.h.method", "POST"),
        (
            {"url": "http://x", "output": "a", "body": "{{ reference }}"},
            "systems.h.body",
            "never sees",
        ),
        ({"url": "http://x", "output": "a", "method": "GET", "body": {}}, "systems.h.body", "GET"),
        ({"url": "http://x", "output": "a", "timeout_s": 0}, "systems.h.timeout_s", "greater"),
        (
            {"url": "http://x", "output": "a", "headers": {"Authorization": "${NOPE_UNSET_VAR}"}},
            "systems.h.headers.Authorization",
            "NOPE_UNSET_VAR is not set",
        ),
        ({"url": "http://x", "output": "a", "header": {}}, "systems.h.header", "unknown setting"),
    ],
)
def test_configuration_problems_name_the_field(table, field, says):
    with pytest.raises(InputError) as raised:
        build_system_app("h", {"kind": "http", **table}, None)
    assert raised.value.field == field and says in str(raised.value)


def test_paths_accept_jmespath_and_jsonpath_habits():
    data = {"choices": [{"message": {"content": "hi"}}], "output": {"text": "t"}}
    for path in (
        "choices[0].message.content",
        "choices.0.message.content",
        "$.choices[0].message.content",
    ):
        assert pick(compile_path(path), path, data) == "hi"
    assert pick(compile_path("$.output.text"), "$.output.text", data) == "t"
    assert normalise("$") == "@" and normalise("0.a") == "[0].a"
    assert pick(compile_path("choices[*].message.content"), "x", data) == ["hi"]


def test_json_endpoint_helper_is_real(endpoint):
    service, url = endpoint
    assert isinstance(service, JsonEndpoint) and url.startswith("http://127.0.0.1:")
