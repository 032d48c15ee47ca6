"""The ``evalwheel`` command: sub-apps are registered here and errors become exit codes."""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path
from typing import Annotated, Any

import click
import typer
from typer.core import TyperGroup

from evalwheel import __version__
from evalwheel.cli import (
    dataset_cmds,
    demo_cmd,
    judge_cmds,
    label_cmds,
    mirror_cmds,
    models_cmds,
    run_cmds,
    simulate_cmds,
    synth_cmds,
    traffic_cmds,
    train_cmds,
    trained_cmds,
)
from evalwheel.cli.context import project_store
from evalwheel.cli.output import (
    EXIT_INTERNAL_ERROR,
    emit_json,
    err,
    error_line,
    fail,
    out,
    warn,
)
from evalwheel.errors import EvalwheelError
from evalwheel.interrupts import Interrupted
from evalwheel.project import ConfigError, init_project
from evalwheel.redaction import redact_text
from evalwheel.store import StoreError


class _ErrorMappingGroup(TyperGroup):
    """The root command group: every ``EvalwheelError`` a command raises becomes one printed line
    and its exit code, here and only here (also under typer's test runner, which skips ``main``)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except EvalwheelError as exc:
            if os.environ.get("EVALWHEEL_DEBUG"):
                traceback.print_exc()
            error_line(redact_text(str(exc)))
            raise typer.Exit(exc.exit_code) from None


app = typer.Typer(
    cls=_ErrorMappingGroup,
    name="evalwheel",
    help="The evaluation flywheel for LLM agents. Exit codes: 0 ok, 1 check failed, 2 usage or input error.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(dataset_cmds.app, name="dataset")
app.add_typer(traffic_cmds.app, name="traffic")
app.add_typer(models_cmds.app, name="models")
store_app = typer.Typer(help="The project's store (database and blobs).", no_args_is_help=True)
app.add_typer(store_app, name="store")
app.command("demo")(demo_cmd.demo)
app.command("run")(run_cmds.run)
app.command("compare")(run_cmds.compare)
app.command("report")(run_cmds.report)
app.command("gate")(run_cmds.gate)
app.add_typer(run_cmds.runs_app, name="runs")
app.add_typer(label_cmds.app, name="labels")
app.command("agreement")(label_cmds.agreement)
app.add_typer(judge_cmds.app, name="judge")
app.command("calibrate")(judge_cmds.calibrate)
app.add_typer(mirror_cmds.app, name="mirror")
app.add_typer(synth_cmds.app, name="synth")
app.add_typer(simulate_cmds.app, name="simulate")
app.command("train")(train_cmds.train)
app.add_typer(trained_cmds.app, name="trained")


def _register_plugins() -> None:
    """Command groups of installed applications (entry point group ``evalwheel.cli``)."""
    from importlib.metadata import entry_points

    for ep in entry_points(group="evalwheel.cli"):
        try:
            app.add_typer(ep.load(), name=ep.name)
        except Exception as exc:  # a broken plugin must not take the whole CLI down
            warn(f"plugin command group {ep.name!r} failed to load: {exc}")


_register_plugins()


def _version_callback(value: bool) -> None:
    if value:
        out.print(f"evalwheel {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version_callback, is_eager=True, help="Print the version."
        ),
    ] = False,
) -> None:
    """evalwheel: calibrated judges, benchmarks, mirroring, simulation, synthetic data and gates."""


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Project folder (created if missing).")] = Path(
        "."
    ),
    name: Annotated[
        str | None, typer.Option(help="Project name (default: the folder's name).")
    ] = None,
) -> None:
    """Create evalwheel.toml and the .evalwheel/ state folder, and set up the store."""
    try:
        project, created = init_project(directory, name)
    except (ConfigError, StoreError) as exc:
        fail(str(exc))
    verb = "created" if created else "already initialised, store checked:"
    out.print(f"{verb} {project.config_path}", highlight=False)


@store_app.command("info")
def store_info(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Where the store is, its schema revision, tables and integrity."""
    from evalwheel.store.migrate import current_revision

    with project_store() as (project, store):
        info = {
            "project": str(project.root),
            "database_url": store.display_url,
            "dialect": store.dialect,
            "schema_revision": current_revision(store.engine),
            "blob_dir": str(store.blobs.root),
            "tables": store.table_names(),
            "integrity": store.integrity_check(),
        }
    if as_json:
        emit_json(info)
        return
    for key, value in info.items():
        out.print(
            f"{key:16} {', '.join(value) if isinstance(value, list) else value}", highlight=False
        )


def main() -> None:
    """Console entry point: turns unexpected exceptions into exit code 3 with a short message."""
    try:
        app(standalone_mode=True)
    except SystemExit as exc:
        if exc.code == Interrupted.exit_code:
            # Everything finished is committed; a user's sync function still running in a thread
            # must not keep the process alive (the interpreter would join it at exit).
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(Interrupted.exit_code)
        raise
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except EvalwheelError as exc:
        if os.environ.get("EVALWHEEL_DEBUG"):
            traceback.print_exc()
        error_line(redact_text(str(exc)))
        sys.exit(exc.exit_code)
    except Exception as exc:
        if os.environ.get("EVALWHEEL_DEBUG"):
            traceback.print_exc()
        else:
            error_line(
                f"internal error: {type(exc).__name__}: {redact_text(_first_line(str(exc)))} "
                "(EVALWHEEL_DEBUG=1 for the traceback)"
            )
        sys.exit(EXIT_INTERNAL_ERROR)


def _first_line(text: str, limit: int = 300) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[:limit] + "…"


if __name__ == "__main__":
    main()
