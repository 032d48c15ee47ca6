"""``kind = "python"``: a ``module:function`` written beside evalwheel.toml, sync and async, with
every return shape, run through the real runner."""

import hashlib
import sys
import uuid
from collections.abc import Iterator

import pytest

from evalwheel.errors import InputError
from evalwheel.llm.registry import ModelSpec
from evalwheel.project import Project
from evalwheel.systems import build_system_app
from evalwheel.testing.openai_stub import StubServer
from tests.systems.helpers import run_system, write_module

AGENT = '''
import asyncio
import threading

from evalwheel.apps.interface import AppOutput
from evalwheel.llm.types import ChatRequest


def shout(example, params):
    """Sync, with params: runs in a worker thread."""
    return f"{params.get('prefix', '')}{str(example.input).upper()}|{threading.current_thread().name != 'MainThread'}"


def plain(example):
    return {"answer": example.input}


async def structured(example):
    await asyncio.sleep(0)
    return {"output": f"ok {example.input}", "cost_usd": 0.5, "input_tokens": 11,
            "output_tokens": 2, "tool_calls": [{"name": "lookup", "arguments": {"q": 1}}]}


async def full(example):
    return AppOutput(outcome="answer", artifact=[1, 2], cost_usd=0.1)


async def with_client(example, client):
    response = await client.chat(
        ChatRequest(messages=[{"role": "user", "content": str(example.input)}], max_tokens=10)
    )
    return {"output": response.content, "cost_usd": response.cost_usd}


def crash(example):
    raise RuntimeError(f"agent broke on {example.id}")


def weird(example):
    return object()
'''


@pytest.fixture
def agent(sqlite_project: Project) -> Iterator[str]:
    """A fresh module name per test (imported modules are cached by name)."""
    name = f"agent_{uuid.uuid4().hex[:8]}"
    write_module(sqlite_project.root, name, AGENT)
    yield name
    sys.modules.pop(name, None)


def table(module: str, function: str, **more) -> dict:
    return {"kind": "python", "function": f"{module}:{function}", **more}


def test_a_sync_function_with_params_runs_in_a_thread(sqlite_project: Project, agent: str):
    rows = [{"id": "a", "input": "hi", "reference": ">HI|True"}]
    outcome = run_system(
        sqlite_project, "shout", table(agent, "shout", params={"prefix": ">"}), rows
    )
    assert outcome.outputs["a"].artifact == ">HI|True"
    assert outcome.scores[("a", "exact_match")].passed is True
    assert str(sqlite_project.root) not in sys.path  # only while importing


def test_return_shapes(sqlite_project: Project, agent: str):
    rows = [{"id": "a", "input": "x", "reference": {"answer": "x"}}]
    plain = run_system(sqlite_project, "plain", table(agent, "plain"), rows)
    assert plain.outputs["a"].artifact == {"answer": "x"}
    assert plain.scores[("a", "exact_match")].passed is True

    structured = run_system(sqlite_project, "structured", table(agent, "structured"), rows)
    output = structured.outputs["a"]
    assert output.artifact == "ok x" and output.cost_usd == 0.5
    assert (output.input_tokens, output.output_tokens) == (11, 2)
    assert output.tool_calls == [{"name": "lookup", "arguments": {"q": 1}}]

    full = run_system(sqlite_project, "full", table(agent, "full"), rows)
    assert full.outputs["a"].artifact == [1, 2] and full.outputs["a"].cost_usd == 0.1


def test_an_async_function_can_call_the_runners_client(
    sqlite_project: Project, agent: str, stub: StubServer, stub_model: ModelSpec
):
    rows = [{"id": "a", "input": "hello [[reply:hey]]", "reference": "hey"}]
    outcome = run_system(
        sqlite_project, "client", table(agent, "with_client"), rows, model=stub_model
    )
    assert outcome.outputs["a"].artifact == "hey" and outcome.outputs["a"].cost_usd > 0
    assert stub.state.requests == 1


def test_crashes_and_bad_return_values_are_failed_items(sqlite_project: Project, agent: str):
    rows = [{"id": "a", "input": "x", "reference": "x"}]
    crashed = run_system(sqlite_project, "crash", table(agent, "crash"), rows)
    assert crashed.outputs["a"].error == "RuntimeError: agent broke on a"
    assert crashed.scores[("a", "exact_match")].passed is False and crashed.failed == 1
    weird = run_system(sqlite_project, "weird", table(agent, "weird"), rows)
    assert "returned a object, not text" in weird.outputs["a"].error


def test_the_description_hashes_the_source(sqlite_project: Project, agent: str):
    _, description = build_system_app("d", table(agent, "plain"), sqlite_project.root)
    source = (sqlite_project.root / f"{agent}.py").read_text()
    assert description["function"] == f"{agent}:plain"
    assert description["source_sha256"] == hashlib.sha256(source.encode()).hexdigest()


@pytest.mark.parametrize(
    ("function", "says"),
    [
        ("no_such_module_xyz:run", "cannot import 'no_such_module_xyz': ModuleNotFoundError"),
        ("{agent}:missing", "has no 'missing'"),
        ("{agent}:AGENT_CONSTANT", "has no"),
        ("not a path", "String should match pattern"),
    ],
)
def test_bad_functions_name_the_field(sqlite_project: Project, agent: str, function, says):
    with pytest.raises(InputError) as raised:
        build_system_app(
            "py", {"kind": "python", "function": function.format(agent=agent)}, sqlite_project.root
        )
    assert raised.value.field == "systems.py.function" and says in str(raised.value)


def test_a_syntax_error_in_the_module_is_a_config_error(sqlite_project: Project):
    name = f"broken_{uuid.uuid4().hex[:8]}"
    write_module(sqlite_project.root, name, "def run(example:\n")
    with pytest.raises(InputError) as raised:
        build_system_app("py", table(name, "run"), sqlite_project.root)
    assert "SyntaxError" in str(raised.value) and raised.value.field == "systems.py.function"
