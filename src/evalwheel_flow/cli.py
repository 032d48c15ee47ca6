"""``evalwheel flow …``: the Flow application's commands, plugged into the evalwheel CLI through
the ``evalwheel.cli`` entry point (the platform never imports this module by name)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

app = typer.Typer(
    help="The Flow reference application: catalog, validation, simulation, equivalence.",
    no_args_is_help=True,
)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _emit(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def _load(path: Path):  # -> Workflow
    from evalwheel_flow.workflow import Workflow, WorkflowFormatError

    if not path.is_file():
        _fail(f"{path}: no such file")
    try:
        return Workflow.load(path)
    except WorkflowFormatError as exc:
        _fail(str(exc))


@app.command("catalog")
def catalog_cmd(
    task_type: Annotated[
        str | None, typer.Option("--type", help="TRIGGER, ACTION, CONDITION, FOREACH or WAIT.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """The task catalog (version, triggers, actions, control steps)."""
    from evalwheel_flow.catalog import load_catalog

    catalog = load_catalog()
    tasks = [
        t for t in catalog.tasks.values() if task_type is None or t.task_type == task_type.upper()
    ]
    if as_json:
        _emit({"version": catalog.version, "tasks": [t.model_dump(mode="json") for t in tasks]})
        return
    typer.echo(f"catalog {catalog.version}: {len(tasks)} tasks")
    for task in sorted(tasks, key=lambda t: (t.task_type, t.task_id)):
        typer.echo(f"  {task.task_type:9} {task.task_id:60} {task.name}")


@app.command("validate")
def validate_cmd(
    file: Annotated[Path, typer.Argument(help="A workflow document (JSON).")],
    as_json: JsonFlag = False,
) -> None:
    """Validate a workflow; errors in Flow's four buckets. Exit 1 when it has errors."""
    from evalwheel_flow.validator import as_dict, report_lines, validate

    report = validate(_load(file))
    if as_json:
        _emit(as_dict(report))
    else:
        for line in report_lines(report):
            typer.echo(f"{file}: {line}")
        if report.ok:
            typer.echo(f"{file}: valid")
    if not report.ok:
        raise typer.Exit(1)


@app.command("run")
def run_cmd(
    file: Annotated[Path, typer.Argument(help="A workflow document (JSON).")],
    event: Annotated[Path, typer.Option("--event", help='{"trigger": task id, "payload": {...}}')],
) -> None:
    """Run a workflow on one event in the simulated shop; print the effects and the end state."""
    from evalwheel.errors import InputError
    from evalwheel.inputfiles import load_json_file
    from evalwheel_flow.shop.events import Event
    from evalwheel_flow.shop.executor import execute

    workflow = _load(file)
    try:
        data = load_json_file(event)
    except InputError as exc:
        _fail(str(exc))
    if not isinstance(data, dict) or not {"trigger", "payload"} <= data.keys():
        _fail(f'{event}: (file): not an event: expected {{"trigger": ..., "payload": {{...}}}}')
    try:
        ev = Event(trigger=data["trigger"], payload=data["payload"], stock=data.get("stock") or {})
    except (TypeError, ValueError) as exc:
        _fail(f"{event}: (file): not an event: {exc}")
    result = execute(workflow, ev)
    _emit(
        {
            "fired": result.fired,
            "effects": result.effects,
            "error": result.error,
            "state": result.snapshot,
        }
    )


@app.command("equiv")
def equiv_cmd(
    a: Annotated[Path, typer.Argument(help="First workflow.")],
    b: Annotated[Path, typer.Argument(help="Second workflow.")],
    seed: Annotated[int, typer.Option(help="Seed of the event suite.")] = 0,
    as_json: JsonFlag = False,
) -> None:
    """Do two workflows behave the same on a suite of simulated events? Exit 1 when they differ."""
    from evalwheel_flow.equivalence import check_equivalence

    result = check_equivalence(_load(a), _load(b), seed=seed)
    if as_json:
        _emit(result.model_dump(mode="json"))
    elif result.equivalent:
        typer.echo(f"equivalent on {result.events_checked} events")
    else:
        typer.echo(f"NOT equivalent: event {result.events_checked} tells them apart")
        typer.echo(json.dumps(result.counterexample, indent=2))
    if not result.equivalent:
        raise typer.Exit(1)


@app.command("datasets")
def datasets_cmd(as_json: JsonFlag = False) -> None:
    """The datasets this application ships: name, kind, path, count."""
    from evalwheel_flow import example_datasets

    rows = []
    for name, kind, path in example_datasets():
        with open(path, encoding="utf-8") as f:
            count = sum(1 for line in f if line.strip())
        rows.append({"name": name, "kind": kind, "path": str(path), "count": count})
    if as_json:
        _emit(rows)
        return
    for row in rows:
        typer.echo(f"{row['name']:20} {row['kind']:10} {row['count']:6}  {row['path']}")


@app.command("agent")
def agent_cmd(
    request: Annotated[str, typer.Argument(help="What the merchant wants automated.")],
    model: Annotated[
        str, typer.Option("--model", "-m", help="Model name (evalwheel models list).")
    ] = "local",
    mode: Annotated[
        str, typer.Option(help="compact (tiny models) or tools (tool-calling models).")
    ] = "compact",
    interactive: Annotated[
        bool, typer.Option(help="Answer the agent's questions in the terminal.")
    ] = True,
    as_json: JsonFlag = False,
) -> None:
    """Run the Flow agent on a request; prints the workflow (validated) or the agent's question."""
    import asyncio

    from evalwheel.llm.client import ModelClient
    from evalwheel.llm.errors import ModelConfigError
    from evalwheel.llm.project_models import project_models
    from evalwheel.llm.registry import get_model
    from evalwheel.project import ConfigError, ProjectNotFound, find_project
    from evalwheel_flow import DATA_DIR
    from evalwheel_flow.agent.agent import FlowAgent
    from evalwheel_flow.agent.bank import bank_from_file
    from evalwheel_flow.validator import report_lines, validate
    from evalwheel_flow.workflow import Workflow

    if mode not in ("compact", "tools"):
        _fail(f"--mode must be compact or tools, not {mode!r}")
    try:
        project = find_project()
    except ProjectNotFound:
        project = None
    except ConfigError as exc:
        _fail(str(exc))
    try:
        spec = get_model(project_models(project), model)
    except ModelConfigError as exc:
        _fail(str(exc))

    async def go():  # -> AgentResult
        async with ModelClient(spec) as client:
            agent = FlowAgent(client, mode=mode, bank=bank_from_file(DATA_DIR / "benchmark.jsonl"))  # type: ignore[arg-type]
            history: list[dict] = []
            result = await agent.run(request)
            while (
                result.outcome == "clarify" and interactive and not as_json and sys.stdin.isatty()
            ):
                answer = typer.prompt(f"agent asks: {result.question}")
                history += [
                    {"role": "user", "content": request},
                    {"role": "assistant", "content": result.question},
                ]
                result = await agent.run(answer, history)
            return result, agent.system()

    result, system = asyncio.run(go())
    if as_json:
        _emit({"system": {"name": system.name, "version": system.version}, **result.to_data()})
    elif result.outcome == "workflow" and result.workflow is not None:
        workflow = Workflow.from_data(result.workflow)
        typer.echo(workflow.canonical())
        for line in report_lines(validate(workflow)) or ["valid"]:
            typer.echo(f"validation: {line}", err=True)
    elif result.outcome == "clarify":
        typer.echo(f"question: {result.question}")
    elif result.outcome == "refuse":
        typer.echo(f"refused: {result.message}")
    else:
        typer.echo(f"error: {result.error}", err=True)
    if result.outcome == "error":
        raise typer.Exit(1)
