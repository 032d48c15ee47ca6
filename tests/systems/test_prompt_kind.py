"""``kind = "prompt"``: a sandboxed, strict Jinja2 template over the example plus a named model,
through the real runner against the stub. The reference never reaches the prompt."""

import pytest

from evalwheel.errors import InputError
from evalwheel.llm.registry import ModelSpec
from evalwheel.project import Project
from evalwheel.systems import build_system_app
from evalwheel.testing.openai_stub import StubServer
from tests.systems.helpers import run_system

SECRET_ANSWER = "ZEBRA-ANSWER-4217"


def test_the_template_sees_input_and_metadata_and_the_reply_is_the_output(
    sqlite_project: Project, stub_model: ModelSpec
):
    rows = [
        {
            "id": "geo",
            "input": "What is the capital of France?",
            "metadata": {"topic": "geography"},
            "reference": "echo: [geography] What is the capital of France?",
        }
    ]
    table = {
        "kind": "prompt",
        "model": "stub",
        "template": "[{{ metadata.topic }}] {{ input }}",
        "system_prompt": "You answer {{ metadata.topic }} questions.",
        "params": {"temperature": 0, "max_tokens": 50},
    }
    outcome = run_system(sqlite_project, "qa", table, rows, model=stub_model)
    output = outcome.outputs["geo"]
    assert output.messages[0] == {"role": "system", "content": "You answer geography questions."}
    assert output.messages[1]["content"] == "[geography] What is the capital of France?"
    assert output.artifact == "echo: [geography] What is the capital of France?"
    assert outcome.scores[("geo", "exact_match")].passed is True
    assert outcome.description["template"] == "[{{ metadata.topic }}] {{ input }}"
    assert output.cost_usd > 0


def test_the_reference_never_reaches_the_model(
    sqlite_project: Project, stub: StubServer, stub_model: ModelSpec
):
    rows = [{"id": "x", "input": "say something", "reference": SECRET_ANSWER, "tags": ["t"]}]
    table = {"kind": "prompt", "model": "stub", "template": "{{ input }} {{ tags | join(',') }}"}
    outcome = run_system(sqlite_project, "blind", table, rows, model=stub_model)
    output = outcome.outputs["x"]
    assert SECRET_ANSWER not in str(output.messages) and SECRET_ANSWER not in str(output.artifact)
    assert stub.state.requests == 1
    for name in ("reference", "output", "label"):
        with pytest.raises(InputError) as raised:
            build_system_app(
                "leaky",
                {"kind": "prompt", "model": "stub", "template": f"{{{{ {name} }}}}"},
                sqlite_project.root,
            )
        assert raised.value.field == "systems.leaky.template"
        assert "never sees" in str(raised.value)


@pytest.mark.parametrize(
    ("table", "field", "says"),
    [
        ({"template": "{{ input "}, "systems.p.template", "syntax error"),
        ({"template": "{{ question }}"}, "systems.p.template", "unknown variable(s) question"),
        ({"template": "x", "system_prompt": "{% if %}"}, "systems.p.system_prompt", "syntax"),
        ({}, "systems.p", "exactly one of template or template_file"),
        ({"template": "x", "template_file": "t.j2"}, "systems.p", "exactly one"),
        ({"template_file": "missing.j2"}, "systems.p.template_file", "cannot read"),
        ({"template": "x", "params": {"max_tokens": 0}}, "systems.p.params.max_tokens", "greater"),
        ({"template": "x", "params": {"messages": []}}, "systems.p.params.messages", "set by"),
    ],
)
def test_configuration_problems_name_the_field(sqlite_project: Project, table, field, says):
    with pytest.raises(InputError) as raised:
        build_system_app("p", {"kind": "prompt", "model": "stub", **table}, sqlite_project.root)
    assert raised.value.field == field and says in str(raised.value)


def test_a_template_in_a_file_and_per_item_errors_are_failed_items(
    sqlite_project: Project, stub_model: ModelSpec
):
    (sqlite_project.root / "prompts").mkdir()
    (sqlite_project.root / "prompts" / "ask.j2").write_text("Q ({{ metadata.level }}): {{ input }}")
    rows = [
        {
            "id": "ok",
            "input": "why?",
            "metadata": {"level": "easy"},
            "reference": "echo: Q (easy): why?",
        },
        {"id": "no-level", "input": "how?", "reference": "x"},
        {"id": "escape", "input": "x", "metadata": {"level": "hard"}, "reference": "x"},
    ]
    table = {"kind": "prompt", "model": "stub", "template_file": "prompts/ask.j2"}
    outcome = run_system(sqlite_project, "filed", table, rows, model=stub_model)
    assert outcome.outputs["ok"].artifact == "echo: Q (easy): why?"
    missing = outcome.outputs["no-level"]
    assert "systems.filed.template_file" in missing.error and "level" in missing.error
    assert outcome.scores[("no-level", "exact_match")].passed is False
    assert outcome.failed == 1
    assert outcome.description["template"] == "Q ({{ metadata.level }}): {{ input }}"


def test_the_sandbox_refuses_python_internals(sqlite_project: Project, stub_model: ModelSpec):
    rows = [{"id": "s", "input": "x", "reference": "x"}]
    table = {"kind": "prompt", "model": "stub", "template": "{{ input.__class__.__mro__ }}"}
    outcome = run_system(sqlite_project, "sandboxed", table, rows, model=stub_model)
    error = outcome.outputs["s"].error
    assert error is not None and "systems.sandboxed.template" in error


def test_the_version_changes_with_the_template():
    def describe(template: str) -> dict:
        return build_system_app("v", {"kind": "prompt", "model": "m", "template": template}, None)[
            1
        ]

    assert describe("{{ input }}") != describe("Q: {{ input }}")
    assert describe("{{ input }}") == describe("{{ input }}")
