"""Simulation runs end to end on a toy application and a scripted user over real HTTP: episodes
stored as runs, the never-asking candidate caught where a single-turn benchmark sees nothing, the
reviewer's flags and retries, pass^k over trials, and a resume that redoes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from evalwheel import api
from evalwheel.api.simulation import extract_essences, simulate
from evalwheel.api.simulation_report import simulation_report
from evalwheel.errors import InputError
from evalwheel.project import Project, find_project
from evalwheel.store.runs import RunRepository
from evalwheel.testing.scripted_user import ScriptedUserServer
from tests.simulate.toy import ToyApp, essence_rows

USER_MODEL = """
[models.user]
base_url = "{url}"
model = "scripted-user"
max_retries = 0
"""


def _project(project: Project, url: str) -> Project:
    config = project.config_path
    config.write_text(config.read_text() + USER_MODEL.format(url=url), encoding="utf-8")
    return find_project(project.root)


@pytest.fixture
def scripted(sqlite_project: Project) -> Iterator[Project]:
    with ScriptedUserServer() as url:
        yield _project(sqlite_project, url)


def _scores(project: Project, run_id: str, scorer: str) -> dict[str, list[bool | None]]:
    store = project.open_store()
    try:
        found: dict[str, list[bool | None]] = {}
        for example_id, passed in RunRepository(store).scorer_results(run_id, scorer):
            found.setdefault(example_id, []).append(passed)
        return found
    finally:
        store.close()


def test_simulation_catches_the_agent_that_never_asks(scripted: Project) -> None:
    api.import_examples(essence_rows(n_vague=8), "toy-essences", "essences", project=scripted)
    asking = simulate(ToyApp(asks=True), "toy-essences", user_model="user", project=scripted)
    guessing = simulate(ToyApp(asks=False), "toy-essences", user_model="user", project=scripted)
    assert asking.complete and guessing.complete
    success = _scores(scripted, asking.run_id, "sim.success")
    assert all(v == [True] for v in success.values()) and len(success) == 12
    comparison = api.compare(asking.run_id, guessing.run_id, "sim.success", project=scripted)
    clarify = comparison.slices["needs:clarify"]
    assert clarify.pass_rate_a == 1.0 and clarify.pass_rate_b == 0.0
    assert clarify.mcnemar.p_value is not None and clarify.mcnemar.p_value < 0.01
    assert comparison.slices["complete"].pass_rate_b == 1.0
    # the same candidate on single-turn requests that say everything: no difference at all
    bench = [
        {"id": f"b{i}", "input": f"tag orders over {300 + i}", "reference": {"over": 300 + i}}
        for i in range(8)
    ]
    api.import_examples(bench, "toy-bench", project=scripted)
    one = api.evaluate(ToyApp(asks=True), "toy-bench", project=scripted)
    two = api.evaluate(ToyApp(asks=False), "toy-bench", project=scripted)
    single = api.compare(one.run_id, two.run_id, "toy.pass", project=scripted)
    assert single.overall.pass_rate_a == single.overall.pass_rate_b == 1.0


def test_episode_is_stored_as_a_conversation_with_its_scores(scripted: Project) -> None:
    api.import_examples(essence_rows(n_vague=1, n_complete=0), "one", "essences", project=scripted)
    result = simulate(ToyApp(), "one", user_model="user", project=scripted)
    store = scripted.open_store()
    try:
        from evalwheel.runner.runner import load_output

        trace = next(iter(RunRepository(store).traces(result.run_id)))
        output = load_output(store, trace)
    finally:
        store.close()
    roles = [m["role"] for m in output.messages]
    assert roles == ["user", "assistant", "user", "assistant", "user"]
    assert output.messages[1]["outcome"] == "clarify"
    assert output.messages[3]["artifact"] == {"over": 200} and output.messages[3]["goal_met"]
    assert output.messages[-1]["stop"] is True
    assert output.details["simulation"]["end"] == "user_stop"
    scorers = result.summary.scorers
    assert scorers["sim.asked"].pass_rate.estimate == 1.0
    assert scorers["sim.user_ok"].pass_rate.estimate == 1.0
    turns = scorers["sim.turns"].mean
    assert turns is not None and turns.estimate == 3.0


def test_reviewer_flags_a_leaky_user_and_retries(sqlite_project: Project) -> None:
    with ScriptedUserServer(leaky=True) as url:
        project = _project(sqlite_project, url)
        api.import_examples(essence_rows(n_vague=3, n_complete=0), "e", "essences", project=project)
        result = simulate(ToyApp(), "e", user_model="user", retries=2, project=project)
        store = project.open_store()
        try:
            from evalwheel.runner.runner import load_output

            outputs = [load_output(store, t) for t in RunRepository(store).traces(result.run_id)]
        finally:
            store.close()
    ok = _scores(project, result.run_id, "sim.user_ok")
    assert all(v == [False] for v in ok.values())
    for output in outputs:
        attempts = output.details["simulation"]["attempts"]
        assert len(attempts) == 3  # the first try and two retries, all flagged
        assert attempts[0][0]["kind"] == "unasked_fact"


def test_inventive_user_is_flagged(sqlite_project: Project) -> None:
    with ScriptedUserServer(inventive=True) as url:
        project = _project(sqlite_project, url)
        api.import_examples(essence_rows(n_vague=2, n_complete=0), "e", "essences", project=project)
        result = simulate(ToyApp(), "e", user_model="user", retries=0, project=project)
    store = project.open_store()
    try:
        from evalwheel.runner.runner import load_output

        outputs = [load_output(store, t) for t in RunRepository(store).traces(result.run_id)]
    finally:
        store.close()
    kinds = {f["kind"] for o in outputs for f in o.details["simulation"]["attempts"][0]}
    assert "invented_fact" in kinds and "ignored_question" in kinds


def test_simulation_refuses_a_dataset_that_is_not_essences(
    scripted: Project, tmp_path: Path
) -> None:
    api.import_examples([{"id": "a", "input": "x"}], "bench", project=scripted)
    with pytest.raises(InputError, match="essences"):
        simulate(ToyApp(), "bench", user_model="user", project=scripted)


def _conversation(i: int) -> dict:
    amount = 250 + 10 * i
    return {
        "id": f"conv-{i}",
        "input": [
            {"role": "user", "content": "can you tag the big orders"},
            {"role": "assistant", "content": "Over what amount?", "outcome": "clarify"},
            {"role": "user", "content": f"over {amount} dollars please"},
            {
                "role": "assistant",
                "content": f"I created this: tag every order over {amount} dollars.",
                "outcome": "artifact",
                "artifact": {"over": amount},
            },
            {"role": "user", "content": "great thanks"},
        ],
        "reference": {"over": amount},
        "output": {"over": amount},
        "label": "success" if i % 4 else "failure",
        "served_by": "toy",
        "tags": ["needs:clarify"],
    }


def test_extract_then_simulate_then_report(scripted: Project) -> None:
    api.import_examples(
        [_conversation(i) for i in range(6)], "convs", "conversations", project=scripted
    )
    extraction = extract_essences("convs", name="ess", model=None, app=ToyApp(), project=scripted)
    assert extraction.n_essences == 6 and extraction.facts_per_essence == 1.0
    assert extraction.provenance["goal"] == {"reference": 6}
    store = scripted.open_store()
    try:
        from evalwheel.store.datasets import DatasetRepository

        repo = DatasetRepository(store)
        rows = list(repo.iter_examples(repo.resolve("ess").version_id))
    finally:
        store.close()
    essence = rows[0].input
    assert "250" not in essence["goal"] and essence["facts"] == [
        {"text": "over 250 dollars please", "value": "250"}
    ]
    assert essence["opening"] == "can you tag the big orders"
    result = simulate(ToyApp(), "ess", user_model="user", trials=3, project=scripted)
    report = simulation_report(result.run_id, project=scripted)
    assert report.success.estimate == 1.0 and report.success.n == 18
    assert report.pass_k is not None and [p.k for p in report.pass_k.per_k] == [1, 2, 3]
    assert report.simulator_errors.episodes == 18
    assert report.simulator_errors.first_attempt.estimate == 0.0
    control = report.control
    assert control is not None and control.n == 6 and control.same_system
    assert control.real_failure_sim_success == 2  # conv-0 and conv-4 failed for real
    assert report.realism is not None and report.realism.n_real == 6
    assert report.real_conversations is not None and report.real_conversations.startswith("convs@")


def test_replay_user_speaks_only_the_real_words(sqlite_project: Project) -> None:
    api.import_examples(
        [_conversation(i) for i in range(3)], "convs", "conversations", project=sqlite_project
    )
    extract_essences("convs", name="ess", model=None, app=ToyApp(), project=sqlite_project)
    asking = simulate(ToyApp(), "ess", user_model="replay", project=sqlite_project)
    guessing = simulate(ToyApp(asks=False), "ess", user_model="replay", project=sqlite_project)
    assert asking.summary.scorers["sim.success"].pass_rate.estimate == 1.0
    assert guessing.summary.scorers["sim.success"].pass_rate.estimate == 0.0
    store = sqlite_project.open_store()
    try:
        from evalwheel.runner.runner import load_output

        trace = RunRepository(store).traces(asking.run_id)[0]
        messages = load_output(store, trace).messages
    finally:
        store.close()
    users = [m["content"] for m in messages if m["role"] == "user"]
    assert users == [
        "can you tag the big orders",
        "over 250 dollars please",
        "Thanks, that is what I wanted.",
    ]


def test_failed_episodes_become_whole_requests(sqlite_project: Project) -> None:
    from evalwheel.synth.failures import simulation_failures, simulation_runs

    api.import_examples(
        [_conversation(i) for i in range(3)], "convs", "conversations", project=sqlite_project
    )
    extract_essences("convs", name="ess", model=None, app=ToyApp(), project=sqlite_project)
    run = simulate(ToyApp(asks=False), "ess", user_model="replay", project=sqlite_project)
    api.evaluate(
        ToyApp(),
        [{"id": "b", "input": "tag orders over 9", "reference": {"over": 9}}],
        project=sqlite_project,
    )
    store = sqlite_project.open_store()
    try:
        assert simulation_runs(store) == [run.run_id]
        harvest = simulation_failures(store, [run.run_id])
    finally:
        store.close()
    assert len(harvest.candidates) == 3
    first = harvest.candidates[0]
    assert first.source == "simulation" and first.target == {"over": 250}
    assert first.request == "can you tag the big orders over 250 dollars please"
    assert first.rejected.artifact == {"over": 100}


class StopsOnce(ToyApp):
    """A toy whose budget runs out on one essence the first time (a resumable stop)."""

    def __init__(self) -> None:
        super().__init__()
        self.stopped = False

    async def run(self, example, client, params):  # type: ignore[no-untyped-def]
        from evalwheel.llm.errors import BudgetExceeded

        if example.id == "vague-3" and not self.stopped:
            self.stopped = True
            raise BudgetExceeded("budget spent")
        return await super().run(example, client, params)


def test_a_stopped_simulation_resumes_with_its_settings_and_redoes_nothing(
    sqlite_project: Project,
) -> None:
    with ScriptedUserServer() as url:
        project = _project(sqlite_project, url)
        api.import_examples(essence_rows(n_vague=6, n_complete=0), "e", "essences", project=project)
        app = StopsOnce()
        first = simulate(app, "e", user_model="user", max_turns=3, concurrency=1, project=project)
        assert not first.complete and first.progress.done_now == 3
        second = api.resume(first.run_id, app=app, project=project)
        assert (
            second.complete and second.progress.done_before == 3 and second.progress.done_now == 3
        )
    assert second.summary.scorers["sim.success"].pass_rate.estimate == 1.0
    store = project.open_store()
    try:
        from evalwheel.runner.runner import load_plan

        _, plan = load_plan(store, first.run_id)
    finally:
        store.close()
    assert plan.simulation is not None and plan.simulation["max_turns"] == 3


def test_resume_refuses_a_changed_user_model(sqlite_project: Project) -> None:
    with ScriptedUserServer() as url:
        project = _project(sqlite_project, url)
        api.import_examples(essence_rows(n_vague=4, n_complete=0), "e", "essences", project=project)
        app = StopsOnce()
        first = simulate(app, "e", user_model="user", concurrency=1, project=project)
        assert not first.complete
    with ScriptedUserServer() as other:
        config = project.config_path
        config.write_text(config.read_text().replace(url, other), encoding="utf-8")
        moved = find_project(project.root)
        from evalwheel.errors import ConflictError

        with pytest.raises(ConflictError, match="changed since this run began"):
            api.resume(first.run_id, app=app, project=moved)


class Crashes(ToyApp):
    """A toy that raises on half the essences."""

    async def run(self, example, client, params):  # type: ignore[no-untyped-def]
        if example.id.endswith(("-0", "-2")):
            raise RuntimeError("the agent crashed")
        return await super().run(example, client, params)


def test_a_crashed_episode_is_a_failed_item_not_a_missing_one(scripted: Project) -> None:
    api.import_examples(essence_rows(n_vague=4, n_complete=0), "e", "essences", project=scripted)
    good = simulate(ToyApp(), "e", user_model="user", project=scripted)
    bad = simulate(Crashes(), "e", user_model="user", project=scripted)
    success = bad.summary.scorers["sim.success"].pass_rate
    assert success.n == 4 and success.estimate == 0.5
    comparison = api.compare(good.run_id, bad.run_id, "sim.success", project=scripted)
    assert comparison.shared_items == 4 and len(comparison.regressions) == 2


def test_a_failing_simulator_is_not_blamed_on_the_agent(sqlite_project: Project) -> None:
    config = sqlite_project.config_path
    dead = '\n[models.user]\nbase_url = "http://127.0.0.1:9/v1"\nmodel = "x"\nmax_retries = 0\n'
    config.write_text(config.read_text() + dead, encoding="utf-8")
    project = find_project(sqlite_project.root)
    api.import_examples(essence_rows(n_vague=2, n_complete=0), "e", "essences", project=project)
    result = simulate(ToyApp(), "e", user_model="user", retries=1, project=project)
    assert result.complete and result.progress.failed_now == 0
    scorers = result.summary.scorers
    assert scorers["sim.success"].pass_rate.n == 0 and scorers["sim.success"].not_scored == 2
    assert scorers["sim.user_ok"].pass_rate.estimate == 0.0
    report = simulation_report(result.run_id, project=project)
    assert report.simulator_errors.first_attempt.estimate == 1.0
    assert report.simulator_errors.by_kind == {"simulator_failed": 2}


def test_runs_with_different_simulators_do_not_compare(scripted: Project) -> None:
    api.import_examples(essence_rows(n_vague=2, n_complete=1), "e", "essences", project=scripted)
    model_user = simulate(ToyApp(), "e", user_model="user", project=scripted)
    replayed = simulate(ToyApp(), "e", user_model="replay", project=scripted)
    with pytest.raises(InputError, match="simulated their users differently"):
        api.compare(model_user.run_id, replayed.run_id, "sim.success", project=scripted)
    with pytest.raises(InputError, match="no essence"):
        simulate(ToyApp(), "e", user_model="user", tags=["needs:clarfy"], project=scripted)


def test_at_max_turns_the_user_has_the_last_word(sqlite_project: Project) -> None:
    api.import_examples([_conversation(0)], "convs", "conversations", project=sqlite_project)
    extract_essences("convs", name="ess", model=None, app=ToyApp(), project=sqlite_project)
    run = simulate(
        ToyApp(asks=False), "ess", user_model="replay", max_turns=2, project=sqlite_project
    )
    store = sqlite_project.open_store()
    try:
        from evalwheel.runner.runner import load_output

        output = load_output(store, RunRepository(store).traces(run.run_id)[0])
    finally:
        store.close()
    roles = [m["role"] for m in output.messages]
    assert roles == ["user", "assistant", "user", "assistant", "user"]
    assert output.messages[-1]["content"] == "That is not what I asked for."
    assert output.details["simulation"]["end"] == "max_turns"
    assert output.details["simulation"]["agent_turns"] == 2
