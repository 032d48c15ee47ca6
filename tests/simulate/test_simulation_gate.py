"""The pre-deployment tier: a gate whose run simulates users, on a user's own Python agent."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from evalwheel import api
from evalwheel.errors import InputError
from evalwheel.project import Project, find_project
from evalwheel.testing.scripted_user import ScriptedUserServer
from tests.simulate.toy import essence_rows

AGENT = """
import re


def run(example, params):
    said = [m["content"] for m in example.metadata.get("history") or [] if m["role"] == "user"]
    numbers = re.findall(r"\\d+", " ".join([*said, str(example.input)]))
    if not numbers and params.get("asks", True):
        return {"output": None, "outcome": "clarify",
                "messages": [{"role": "assistant", "content": "Over what amount?"}]}
    amount = int(numbers[-1]) if numbers else 100
    return {"output": {"over": amount}, "outcome": "artifact",
            "messages": [{"role": "assistant",
                          "content": f"I created this: tag every order over {amount} dollars."}]}
"""

CONFIG = """
[models.user]
base_url = "{url}"
model = "scripted-user"
max_retries = 0

[systems.agent]
kind = "python"
function = "{module}:run"

[systems.guesser]
kind = "python"
function = "{module}:run"
params = {{ asks = false }}

[gates.release]
system = "guesser"
dataset = "toy-essences"
scorers = ["json_match"]
thresholds = {{ "json_match" = 0.9 }}
simulate = {{ user_model = "user", max_turns = 4 }}
"""


def test_release_gate_simulates_and_refuses_the_candidate_that_never_asks(
    sqlite_project: Project,
) -> None:
    module = "sim_gate_agent"
    (sqlite_project.root / f"{module}.py").write_text(AGENT, encoding="utf-8")
    sys.modules.pop(module, None)
    with ScriptedUserServer() as url:
        config = sqlite_project.config_path
        config.write_text(
            config.read_text() + CONFIG.format(url=url, module=module), encoding="utf-8"
        )
        project = find_project(sqlite_project.root)
        api.import_examples(essence_rows(), "toy-essences", "essences", project=project)
        verdict = api.gate("release", project=project)
        assert not verdict.passed
        check = next(c for c in verdict.checks if c.check.startswith("json_match"))
        assert check.value == pytest.approx(4 / 10)  # only the complete essences pass
        good = api.simulate(
            "agent", "toy-essences", user_model="user", scorers=["json_match"], project=project
        )
        assert good.summary.scorers["json_match"].pass_rate.estimate == 1.0


def test_a_simulating_gate_needs_an_essences_dataset(sqlite_project: Path) -> None:
    config = sqlite_project.config_path
    config.write_text(
        config.read_text()
        + '\n[gates.release]\nsystem = "flow-local"\ndataset = "bench"\n'
        + 'thresholds = { "flow.pass" = 0.5 }\nsimulate = { user_model = "local" }\n',
        encoding="utf-8",
    )
    project = find_project(sqlite_project.root)
    api.import_examples([{"id": "a", "input": "x"}], "bench", project=project)
    with pytest.raises(InputError, match="essences"):
        api.gate("release", project=project)


def test_simulate_cli_prints_json_and_the_report(sqlite_project: Project) -> None:
    import json

    from tests.helpers import cli

    with ScriptedUserServer() as url:
        config = sqlite_project.config_path
        config.write_text(
            config.read_text() + f'\n[models.user]\nbase_url = "{url}"\nmodel = "u"\n',
            encoding="utf-8",
        )
        module = "sim_cli_agent"
        (sqlite_project.root / f"{module}.py").write_text(AGENT, encoding="utf-8")
        sys.modules.pop(module, None)
        config.write_text(
            config.read_text() + f'\n[systems.agent]\nkind = "python"\nfunction = "{module}:run"\n',
            encoding="utf-8",
        )
        api.import_examples(
            essence_rows(), "toy-essences", "essences", project=find_project(sqlite_project.root)
        )
        result = cli(
            "simulate",
            "run",
            "-s",
            "agent",
            "-e",
            "toy-essences",
            "--user-model",
            "user",
            "--scorer",
            "json_match",
            "--json",
        )
        assert result.exit_code == 0, result.stderr
        data = json.loads(result.stdout)
        assert data["summary"]["scorers"]["json_match"]["pass_rate"]["estimate"] == 1.0
        report = cli("simulate", "report", data["progress"]["run_id"])
    assert report.exit_code == 0, report.stderr
    assert "success (json_match) 1.000 [0.722, 1.000] n=10" in report.stdout
    assert "simulator errors" in report.stdout and "json_match" in report.stdout


def test_a_simulating_gate_estimates_every_turn_against_its_budget(sqlite_project: Project) -> None:
    config = sqlite_project.config_path
    config.write_text(
        config.read_text()
        + '\n[gates.release]\nsystem = "flow-local"\ndataset = "e"\n'
        + 'thresholds = { "flow.pass" = 0.5 }\ntokens_per_item = 1000\n'
        + "budget = { tokens = 40000 }\n"
        + 'simulate = { user_model = "replay", max_turns = 3, retries = 1 }\n',
        encoding="utf-8",
    )
    project = find_project(sqlite_project.root)
    api.import_examples(essence_rows(n_vague=4, n_complete=0), "e", "essences", project=project)
    with pytest.raises(InputError, match="estimated 48000 tokens for 4 items exceeds"):
        api.gate("release", project=project)
