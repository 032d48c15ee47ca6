"""From a ``[systems.NAME]`` table to an App: kinds, plugins, errors that name the field (with the
file and line of evalwheel.toml), and the App methods every kind shares."""

from pathlib import Path

import pytest

from evalwheel.apps.interface import App, AppOutput
from evalwheel.core.example import Example
from evalwheel.errors import InputError
from evalwheel.project import Project
from evalwheel.systems import SYSTEM_KINDS, build_system_app, registry

TABLES = {
    "openai": {"kind": "openai", "model": "m", "system_prompt": "Be brief."},
    "prompt": {"kind": "prompt", "model": "m", "template": "Q: {{ input }}"},
    "http": {"kind": "http", "url": "http://127.0.0.1:9/x", "output": "a"},
    "python": {"kind": "python", "function": "json:dumps"},
}


def test_the_four_kinds_are_apps_with_a_description():
    assert set(SYSTEM_KINDS) == set(TABLES)
    for kind, table in TABLES.items():
        app, description = build_system_app(f"s-{kind}", table, None)
        assert isinstance(app, App) and app.name == kind
        assert description["kind"] == kind
        assert app.example_datasets() == [] and app.field_maps() == {}


@pytest.mark.parametrize(
    ("table", "field", "says"),
    [
        ({"model": "m"}, "systems.s.kind", "required: one of http, openai, prompt, python"),
        ({"kind": "grpc"}, "systems.s.kind", "unknown kind 'grpc'; known: http, openai"),
        ({"kind": "openai", "app": "flow"}, "systems.s.app", "not both"),
        ({"kind": "openai"}, "systems.s.model", "required"),
        ({"kind": "openai", "model": "m", "temprature": 0}, "systems.s.temprature", "unknown"),
        ({"kind": "openai", "model": "m", "tools": [{"x": 1}]}, "systems.s.tools", "tool 1"),
        ({"kind": "openai", "model": "m", "tools": "none.json"}, "systems.s.tools", "no such file"),
        ({"kind": "openai", "model": "m", "params": {"n": 2}}, "systems.s.params.n", "set by"),
    ],
)
def test_bad_tables_name_the_field(table, field, says):
    with pytest.raises(InputError) as raised:
        build_system_app("s", table, None)
    assert raised.value.field == field and says in str(raised.value)


def test_errors_point_at_the_line_of_evalwheel_toml(sqlite_project: Project):
    with open(sqlite_project.config_path, "a") as f:
        f.write('\n[systems.bot]\nkind = "prompt"\nmodel = "m"\ntemplate = "{{ answer }}"\n')
    text = sqlite_project.config_path.read_text().splitlines()
    line = text.index('template = "{{ answer }}"') + 1
    table = {"kind": "prompt", "model": "m", "template": "{{ answer }}"}
    with pytest.raises(InputError) as raised:
        build_system_app("bot", table, sqlite_project.root)
    assert raised.value.file == str(sqlite_project.config_path) and raised.value.line == line
    assert str(raised.value).startswith(
        f"{sqlite_project.config_path}:{line}: systems.bot.template:"
    )


def test_several_problems_are_all_reported(sqlite_project: Project):
    with pytest.raises(InputError) as raised:
        build_system_app("h", {"kind": "http", "timeout_s": -1}, sqlite_project.root)
    message = str(raised.value)
    assert "systems.h.url" in message and "systems.h.output" in message
    assert "systems.h.timeout_s" in message


class EchoKind:
    """A plugin kind: any object with ``from_table`` returning an App."""

    name = "echo"

    def __init__(self, table):
        self.table = table

    @classmethod
    def from_table(cls, name, table, project_root):
        return cls(table)

    def describe(self):
        return {"kind": "echo", "word": self.table.get("word")}

    def example_datasets(self):
        return []

    def field_maps(self):
        return {}

    async def run(self, example, client, params):
        return AppOutput(artifact=self.table.get("word"))

    def check(self, example, output):
        return []

    def render(self, example, output):
        return ""

    def same(self, a, b):
        return True

    def ideal_trajectory(self, request, artifact):
        return []


class FakeEntryPoint:
    def __init__(self, name, target):
        self.name, self.target = name, target

    def load(self):
        return self.target


def test_kinds_from_the_entry_point_group(monkeypatch):
    points = [FakeEntryPoint("echo", EchoKind), FakeEntryPoint("openai", object())]
    monkeypatch.setattr(
        registry, "entry_points", lambda group: points if group == "evalwheel.systems" else []
    )
    app, description = build_system_app("e", {"kind": "echo", "word": "hi"}, Path("."))
    assert isinstance(app, EchoKind) and description == {"kind": "echo", "word": "hi"}
    # A plugin cannot take a built-in kind's name.
    assert build_system_app("o", TABLES["openai"], None)[1]["kind"] == "openai"
    points.append(FakeEntryPoint("bad", lambda name, table, root: object()))
    with pytest.raises(InputError, match="not an evalwheel App"):
        build_system_app("b", {"kind": "bad"}, None)


def test_render_same_and_ideal_trajectory():
    app, _ = build_system_app("o", TABLES["openai"], None)
    example = Example(id="1", input="What is 2+2?", reference="4")
    text = app.render(example, AppOutput(artifact="4"))
    assert text == "=== INPUT ===\nWhat is 2+2?\n=== OUTPUT ===\n4\n=== END ==="
    failed = app.render(example, AppOutput(error="boom"))
    assert "=== ERROR ===\nboom" in failed and "OUTPUT" not in failed
    assert app.same(AppOutput(artifact={"a": 1}), AppOutput(artifact='{"a": 1}'))
    assert app.same(AppOutput(artifact="4 "), AppOutput(artifact="4"))
    assert not app.same(AppOutput(artifact="4"), AppOutput(artifact="5"))
    assert not app.same(AppOutput(artifact="4"), AppOutput(artifact="4", error="x"))
    assert app.ideal_trajectory("What is 2+2?", "4") == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "What is 2+2?"},
        {"role": "assistant", "content": "4"},
    ]
    calls = app.ideal_trajectory("weather?", [{"name": "get_weather", "arguments": {"c": "P"}}])
    assert calls[-1]["tool_calls"][0]["function"] == {
        "name": "get_weather",
        "arguments": '{"c": "P"}',
    }
    prompt, _ = build_system_app("p", TABLES["prompt"], None)
    assert prompt.ideal_trajectory("hi", "yo") == [
        {"role": "user", "content": "Q: hi"},
        {"role": "assistant", "content": "yo"},
    ]
    http, _ = build_system_app("h", TABLES["http"], None)
    assert http.ideal_trajectory("hi", {"x": 1})[-1]["content"] == '{\n "x": 1\n}'
