"""``evalwheel mirror …``: replay traffic through two systems, compare, readiness, the gap, and the
live shadow proxy. Parse, call ``evalwheel.api.mirroring``, print."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from evalwheel.api import mirroring as api
from evalwheel.cli.context import current_project
from evalwheel.cli.mirror_serve_cmd import serve
from evalwheel.cli.mirror_text import gap_lines, readiness_lines, summary_lines
from evalwheel.cli.output import (
    EXIT_CHECK_FAILED,
    emit_json,
    finite_or_none,
    info,
    out,
    progress_bar,
)
from evalwheel.cli.run_cmds import run_progress
from evalwheel.errors import InputError
from evalwheel.mirror.readiness import ReadinessRule
from evalwheel.mirror.review import check_weights

app = typer.Typer(
    help="Production mirroring: current vs candidate on the same traffic.", no_args_is_help=True
)
app.command("serve")(serve)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON.")]
JudgeOption = Annotated[
    str | None,
    typer.Option(help="Pairwise judge for different pairs (both orders), e.g. flow-pairwise."),
]
UntrustedOption = Annotated[
    bool, typer.Option(help="Use a judge that has not passed its promotion gate.")
]
WeightOption = Annotated[
    list[str] | None,
    typer.Option("--weight", help="TAG=WEIGHT: review value of a slice (repeatable)."),
]
BudgetOption = Annotated[
    float | None, typer.Option("--budget-usd", min=0.0, callback=finite_or_none)
]


def _print(lines: list[str]) -> None:
    for line in lines:
        out.print(line, highlight=False)


def _weights(values: list[str] | None) -> dict[str, float]:
    weights: dict[str, float] = {}
    for value in values or []:
        tag, sep, number = value.partition("=")
        try:
            weights[tag] = float(number)
        except ValueError:
            sep = ""
        if not sep or not tag:
            raise InputError(f"must be TAG=NUMBER, not {value!r}", field="--weight")
    check_weights(weights)
    return weights


@contextmanager
def pair_progress() -> Iterator[Callable[[int, int], None]]:
    with progress_bar() as bar:
        task: list[int] = []

        def on_pair(done: int, total: int) -> None:
            if not task:
                if total:
                    info(f"comparing {total} pairs")
                task.append(bar.add_task("compare", total=total))
            bar.update(task[0], completed=done, total=total)

        yield on_pair


def _finish(result: api.MirrorResult, as_json: bool) -> None:
    for note in result.notes:
        info(f"note: {note}")
    if as_json:
        emit_json(result)
    else:
        _print(summary_lines(result.summary))
        if result.review is not None:
            r = result.review
            info(
                f"review queue: {r.groups} group(s) of {r.candidates} differing pair(s); "
                f"{r.enqueued} new, {r.already_queued} already queued (evalwheel labels queue)"
            )
    if not result.complete:
        info(f"incomplete: run the same command again to continue mirror {result.mirror.id}")
        raise typer.Exit(EXIT_CHECK_FAILED)


@app.command("replay")
def replay(
    traffic: Annotated[str, typer.Option(help="Traffic dataset NAME[@VERSION].")],
    current: Annotated[str, typer.Option(help="The current system.")],
    candidate: Annotated[str, typer.Option(help="The candidate system.")],
    sample: Annotated[int | None, typer.Option(min=1, help="A uniform sample of N items.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the sample.")] = 0,
    judge: JudgeOption = None,
    pointwise_judge: Annotated[
        str | None,
        typer.Option(help="Also score every answer with this judge (pass rates per window)."),
    ] = None,
    allow_untrusted_judge: UntrustedOption = False,
    weight: WeightOption = None,
    concurrency: Annotated[int, typer.Option(min=1, max=4096)] = 4,
    budget_usd: BudgetOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Run both systems on the same traffic (the current one twice: the noise floor), compare
    each pair, judge the different ones in both orders, queue them for review. Resumable: the
    same command continues."""
    with run_progress() as on_progress, pair_progress() as on_pair:
        result = api.mirror_replay(
            traffic,
            current,
            candidate,
            sample=sample,
            seed=seed,
            judge=judge,
            pointwise_judge=pointwise_judge,
            allow_untrusted_judge=allow_untrusted_judge,
            weights=_weights(weight),
            concurrency=concurrency,
            budget_usd=budget_usd,
            project=current_project(),
            on_progress=on_progress,
            on_pair=on_pair,
        )
    _finish(result, as_json)


@app.command("compare")
def compare(
    mirror: Annotated[
        str, typer.Argument(help="A mirror id or live name (evalwheel mirror list).")
    ],
    judge: JudgeOption = None,
    allow_untrusted_judge: UntrustedOption = False,
    redo: Annotated[
        bool, typer.Option(help="Compare every pair again (e.g. another judge).")
    ] = False,
    weight: WeightOption = None,
    concurrency: Annotated[int, typer.Option(min=1, max=4096)] = 4,
    budget_usd: BudgetOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Compare a mirror's pairs not compared yet (a live proxy's recordings), then queue review."""
    with pair_progress() as on_pair:
        result = api.mirror_compare(
            mirror,
            judge=judge,
            allow_untrusted_judge=allow_untrusted_judge,
            redo=redo,
            weights=_weights(weight),
            concurrency=concurrency,
            budget_usd=budget_usd,
            project=current_project(),
            on_pair=on_pair,
        )
    _finish(result, as_json)


@app.command("show")
def show(mirror: Annotated[str, typer.Argument()], as_json: JsonFlag = False) -> None:
    """What a mirror found: difference rate beside the noise floor, wins/losses, per slice."""
    summary = api.mirror_summary(mirror, project=current_project())
    if as_json:
        emit_json(summary)
    else:
        _print(summary_lines(summary))


@app.command("list")
def list_mirrors(as_json: JsonFlag = False) -> None:
    """Mirrors with recorded pairs."""
    found = api.mirrors(project=current_project())
    if as_json:
        emit_json([{"mirror": m, "pairs": n} for m, n in found])
        return
    if not found:
        out.print("no mirrors yet (evalwheel mirror replay, or mirror serve)", highlight=False)
    for name, n in found:
        out.print(f"{name}  {n} pairs", highlight=False)


@app.command("status")
def status(
    mirror: Annotated[str, typer.Argument()],
    window: Annotated[str, typer.Option(help="hour, day or week.")] = "day",
    windows: Annotated[int, typer.Option(min=1, help="Counted windows needed.")] = 3,
    min_pairs: Annotated[
        int, typer.Option(min=1, help="Decided pairs for a window to count.")
    ] = 20,
    min_net: Annotated[float, typer.Option(min=-1.0, max=1.0, help="Lower bound needed.")] = 0.0,
    as_json: JsonFlag = False,
) -> None:
    """Readiness over time: results per window and whether the candidate is ready (exit 1: not
    ready)."""
    report = api.mirror_status(
        mirror,
        window=window,
        rule=ReadinessRule(windows=windows, min_pairs=min_pairs, min_net=min_net),
        project=current_project(),
    )
    if as_json:
        emit_json(report)
    else:
        _print(readiness_lines(report))
    if not report.ready:
        raise typer.Exit(EXIT_CHECK_FAILED)


@app.command("gap")
def gap(
    system: Annotated[str | None, typer.Option(help="The system to measure.")] = None,
    benchmark: Annotated[str | None, typer.Option(help="Benchmark NAME[@VERSION].")] = None,
    traffic: Annotated[str | None, typer.Option(help="Traffic NAME[@VERSION].")] = None,
    judge: Annotated[str, typer.Option(help="Pointwise judge for the traffic.")] = "",
    split: Annotated[str | None, typer.Option(help="Benchmark split.")] = "test",
    scorer: Annotated[
        list[str] | None,
        typer.Option("--scorer", help="Benchmark scorer when the system has no app (repeatable)."),
    ] = None,
    sample: Annotated[int | None, typer.Option(min=1, help="Traffic sample size.")] = None,
    seed: Annotated[int, typer.Option()] = 0,
    benchmark_run: Annotated[str | None, typer.Option(help="Use this finished run.")] = None,
    traffic_run: Annotated[str | None, typer.Option(help="Use this finished judged run.")] = None,
    allow_untrusted_judge: UntrustedOption = False,
    concurrency: Annotated[int, typer.Option(min=1, max=4096)] = 4,
    budget_usd: BudgetOption = None,
    as_json: JsonFlag = False,
) -> None:
    """The benchmark-to-production gap of one system: benchmark pass rate vs judge-corrected
    pass rate on traffic, and their difference, with intervals."""
    if not judge:
        raise InputError("name the pointwise judge that scores traffic", field="--judge")
    project = current_project()
    if benchmark_run and traffic_run:
        result = api.gap_from_runs(benchmark_run, traffic_run, judge, project=project)
    else:
        if not (system and traffic and (benchmark or benchmark_run)):
            raise InputError(
                "give --system, --traffic and --benchmark (or --benchmark-run), or "
                "--benchmark-run and --traffic-run",
                field="--system",
            )
        with run_progress() as on_progress:
            result = api.mirror_gap(
                system,
                benchmark=benchmark,
                benchmark_run=benchmark_run,
                traffic=traffic,
                judge=judge,
                split=split,
                scorers=scorer or [],
                sample=sample,
                seed=seed,
                allow_untrusted_judge=allow_untrusted_judge,
                concurrency=concurrency,
                budget_usd=budget_usd,
                project=project,
                on_progress=on_progress,
            )
    if as_json:
        emit_json(result)
    else:
        _print(gap_lines(result))


@app.command("export")
def export(
    mirror: Annotated[str, typer.Argument()],
    what: Annotated[str, typer.Argument(help="failures (training data) or golden (labels).")],
    name: Annotated[str, typer.Option("--name", help="Dataset to store them as.")],
    as_json: JsonFlag = False,
) -> None:
    """Store losing answers with the winning one as reference (failures), or human-labelled pairs
    as pairwise golden candidates (golden)."""
    result = api.mirror_export(mirror, what, name, project=current_project())
    if as_json:
        emit_json(result)
        return
    skipped = ", ".join(f"{k} {v}" for k, v in result.skipped.items())
    out.print(
        f"{result.dataset}: {result.items} items from {result.considered} pairs ({skipped})",
        highlight=False,
    )


@app.command("report")
def report(
    mirror: Annotated[str, typer.Argument()],
    fmt: Annotated[str, typer.Option("--format", help="html, md or json.")] = "html",
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="File (default mirror-MIRROR.EXT).")
    ] = None,
    window: Annotated[str, typer.Option(help="Readiness window: hour, day or week.")] = "day",
    windows: Annotated[int, typer.Option(min=1, help="Counted windows needed.")] = 3,
    min_pairs: Annotated[
        int, typer.Option(min=1, help="Decided pairs for a window to count.")
    ] = 20,
    min_net: Annotated[float, typer.Option(min=-1.0, max=1.0, help="Lower bound needed.")] = 0.0,
    benchmark_run: Annotated[
        str | None, typer.Option(help="Finished benchmark run, for the gap.")
    ] = None,
    traffic_run: Annotated[
        str | None, typer.Option(help="Finished judged traffic run, for the gap.")
    ] = None,
    judge: Annotated[
        str | None, typer.Option(help="The judge that scored the traffic run.")
    ] = None,
) -> None:
    """Write the mirror's report (self-contained HTML, Markdown or JSON) and print its path."""
    path = api.write_mirror_report(
        mirror,
        fmt,  # type: ignore[arg-type]  (checked by the API: exit 2)
        window=window,
        rule=ReadinessRule(windows=windows, min_pairs=min_pairs, min_net=min_net),
        benchmark_run=benchmark_run,
        traffic_run=traffic_run,
        judge=judge,
        output=output,
        project=current_project(),
    )
    out.print(str(path), highlight=False)
