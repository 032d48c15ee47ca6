"""``evalwheel synth failures`` and ``evalwheel synth export``: failures as training rows, and
training rows out to files (registered on the ``synth`` group in ``synth_cmds``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from evalwheel.api.synthesis_data import FailuresResult, export_training_data, synth_failures
from evalwheel.cli.context import current_project
from evalwheel.cli.output import emit_json, out
from evalwheel.synth.export import ExportResult


def failures_cmd(
    source: Annotated[
        list[str], typer.Argument(help="mirror:ID, run:ID or simulations (one or more).")
    ],
    name: Annotated[str, typer.Option("--name", "-n", help="The synthetic dataset to store.")],
    scorer: Annotated[
        str | None,
        typer.Option(help="The check that fails a trace (default: the application's *.pass)."),
    ] = None,
    judge: Annotated[
        str | None, typer.Option(help="Model for the semantic round trip (default: none).")
    ] = None,
    against: Annotated[
        list[str] | None,
        typer.Option(
            "--against",
            help="DATASET[:split] to decontaminate against (repeatable; default: every test "
            "split, golden set and benchmark dev split; 'none' for nothing).",
        ),
    ] = None,
    app_name: Annotated[str | None, typer.Option("--app", help="The application.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Failures (mirror losers, failed traces, human verdicts) as verified training rows.

    The target is the item's reference, else the winning answer; rows go through the same
    verification and decontamination as generated ones."""
    result = synth_failures(
        source,
        name=name,
        scorer=scorer,
        judge=judge,
        against=None if against is None else [t for t in against if t != "none"],
        app=app_name,
        project=current_project(),
    )
    if as_json:
        emit_json(result)
        return
    print_failures(result)


def print_failures(result: FailuresResult) -> None:
    skipped = ", ".join(f"{k} {v}" for k, v in sorted(result.skipped.items())) or "none"
    out.print(
        f"considered {result.considered}, failures with a target {result.candidates}, "
        f"skipped: {skipped}"
    )
    out.print(f"rows {result.rows} ({result.without_trajectory} without an ideal trajectory)")
    if result.finished is None:
        out.print("stored: nothing (no failure with a usable target)")
        return
    from evalwheel.cli.synth_cmds import print_result

    print_result(result.finished)


def export_cmd(
    dataset: Annotated[str, typer.Argument(help="NAME[@VERSION] of rows with input+reference.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder to write into.")],
    fmt: Annotated[
        list[str] | None,
        typer.Option("--format", "-f", help="openai, hf, dpo or all (repeatable; default all)."),
    ] = None,
    app_name: Annotated[
        str | None, typer.Option("--app", help="The application whose tool specs to include.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Write training rows as OpenAI SFT JSONL, a Hugging Face dataset and DPO pairs.

    Files: sft.jsonl, hf/ and dpo.jsonl, each JSONL with a .provenance.jsonl beside it."""
    result = export_training_data(
        dataset, format=fmt or "all", output=output, app=app_name, project=current_project()
    )
    if as_json:
        emit_json(result)
        return
    print_export(result)


def print_export(result: ExportResult) -> None:
    out.print(f"{result.dataset}: {result.rows} rows")
    for item in result.outputs:
        out.print(f"  {item.format:<7} {item.rows:>6} rows  {item.path}  sha256 {item.sha256[:16]}")
    for reason, count in sorted(result.skipped.items()):
        out.print(f"  left out ({reason}): {count}")
    if result.without_tools:
        out.print(f"  {result.without_tools} rows call tools but no tool specs were known (--app)")
