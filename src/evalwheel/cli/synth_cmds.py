"""``evalwheel synth …``: synthetic training data from production artifacts."""

from __future__ import annotations

from typing import Annotated

import typer

from evalwheel.api.synthesis import synthesize
from evalwheel.cli.context import current_project
from evalwheel.cli.output import emit_json, info, out, progress_bar
from evalwheel.synth.models import SynthResult
from evalwheel.synth.writer import STYLES

app = typer.Typer(
    help="Synthetic training data: sample artifacts, write requests, verify, decontaminate.",
    no_args_is_help=True,
)


@app.command("run")
def run_cmd(
    source: Annotated[str, typer.Argument(help="NAME[@VERSION] of a dataset of artifacts.")],
    name: Annotated[str, typer.Option("--name", "-n", help="The synthetic dataset to store.")],
    writer: Annotated[str, typer.Option(help="Model that writes the requests.")] = "local",
    judge: Annotated[str, typer.Option(help="Model for the semantic round trip.")] = "local",
    no_semantic: Annotated[
        bool, typer.Option("--no-semantic", help="Skip the judge's round trip.")
    ] = False,
    style: Annotated[
        list[str] | None,
        typer.Option("--style", help=f"Styles to draw from (repeatable): {', '.join(STYLES)}."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Decides the sample and the styles.")] = 0,
    per_descriptor: Annotated[
        int, typer.Option(help="At most this many artifacts per descriptor (at least one each).")
    ] = 1,
    per_merchant: Annotated[
        int | None, typer.Option(help="At most this many artifacts per merchant.")
    ] = None,
    requests: Annotated[int, typer.Option(help="Requests written per artifact.")] = 1,
    against: Annotated[
        list[str] | None,
        typer.Option(
            "--against",
            help="DATASET[:split] to decontaminate against (repeatable; default: every test "
            "split, golden set and benchmark dev split; 'none' for nothing).",
        ),
    ] = None,
    app_name: Annotated[str | None, typer.Option("--app", help="The application.")] = None,
    writer_examples: Annotated[
        str | None,
        typer.Option(
            "--writer-examples",
            help="NAME[@VERSION][:SPLIT] whose requests the writer is shown as worked examples "
            "(never a test split).",
        ),
    ] = None,
    writer_shots: Annotated[
        int, typer.Option("--writer-shots", help="Worked examples per request.")
    ] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Sample artifacts, write a request for each, verify, decontaminate and store the kept rows."""
    targets = None if against is None else [t for t in against if t != "none"]
    with progress_bar() as bar:
        tasks: dict[str, int] = {}

        def on_progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        result = synthesize(
            source,
            name=name,
            writer=writer,
            judge=None if no_semantic else judge,
            styles=style or list(STYLES),
            seed=seed,
            per_descriptor=per_descriptor,
            per_merchant=per_merchant,
            requests_per_row=requests,
            against=targets,
            app=app_name,
            writer_examples=writer_examples,
            writer_shots=writer_shots,
            project=current_project(),
            on_progress=on_progress,
        )
    if as_json:
        emit_json(result)
        return
    print_result(result)


def print_result(result: SynthResult) -> None:
    funnel = result.funnel
    out.print("stage            rows")
    for stage, count in funnel.model_dump().items():
        shown = "skipped" if count is None else str(count)
        out.print(f"{stage:<16} {shown}")
    if result.sampling is not None:
        s = result.sampling
        coverage = "n/a" if s.coverage is None else f"{s.coverage:.0%}"
        out.print(
            f"coverage: {s.descriptors_covered}/{s.descriptors_available} descriptors "
            f"({coverage}) from {s.source_rows} rows of {s.source}"
        )
        for rule in s.rules:
            lost = (
                f", descriptors lost: {len(rule.descriptors_lost)}" if rule.descriptors_lost else ""
            )
            out.print(f"  {rule.rule}: removed {rule.removed}{lost}")
    if result.semantic is not None:
        rate = result.semantic.pass_rate
        shown = "n/a" if rate is None else f"{rate:.0%}"
        out.print(
            f"judge {result.semantic.judge}: yes on {result.semantic.yes}/{result.semantic.asked} "
            f"({shown}), {result.semantic.unreadable} unreadable"
        )
    if result.against:
        out.print(f"decontaminated against: {', '.join(result.against)}")
    for removal in result.removed[:10]:
        out.print(f"  removed {removal.id}: {removal.method} match with {removal.matched}")
    out.print(f"stored: {result.dataset or 'nothing (no row kept)'}  ({result.wall_s:.0f}s)")
    for sample in result.samples:
        out.print(f"  [{sample.style}] {sample.request}")
    info("each row's verdicts: --json")


def _register_data_commands() -> None:
    """``synth failures`` and ``synth export`` live in ``synth_data_cmds``."""
    from evalwheel.cli.synth_data_cmds import export_cmd, failures_cmd

    app.command("failures")(failures_cmd)
    app.command("export")(export_cmd)


_register_data_commands()
