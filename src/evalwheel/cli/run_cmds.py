"""``evalwheel run``, ``runs …``, ``compare``, ``report`` and ``gate``: argument parsing and printing
over ``evalwheel.api``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from evalwheel.api.comparison import compare as api_compare
from evalwheel.api.evaluation import evaluate, resume
from evalwheel.api.gating import gate as api_gate
from evalwheel.api.reporting import write_report
from evalwheel.cli.context import current_project, project_store
from evalwheel.cli.output import (
    EXIT_CHECK_FAILED,
    emit_json,
    finite_or_none,
    info,
    out,
    progress_bar,
)
from evalwheel.report.text import comparison_lines, slice_lines, summary_lines, verdict_lines
from evalwheel.runner.aggregate import summarize
from evalwheel.store.runs import RunRepository, shown_status

runs_app = typer.Typer(help="Evaluation runs: list and inspect.", no_args_is_help=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@contextmanager
def run_progress() -> Iterator[Callable[[str, int, int], None]]:
    """A progress callback for the API that draws a bar on stderr (quiet when not a terminal)."""
    with progress_bar() as bar:
        task: list[int] = []

        def on_progress(run_id: str, done: int, total: int) -> None:
            if not task:
                info(f"run {run_id}: {total} items to do")
                task.append(bar.add_task(run_id, total=total))
            bar.update(task[0], completed=done, total=total)

        yield on_progress


def _print_lines(lines: list[str]) -> None:
    for line in lines:
        out.print(line)


def run(
    system: Annotated[
        str | None,
        typer.Option("--system", "-s", help="System name ([systems.NAME] or APP-local)."),
    ] = None,
    dataset: Annotated[str | None, typer.Option("--dataset", "-d", help="NAME[@VERSION].")] = None,
    split: Annotated[
        str | None, typer.Option(help="train, dev or test (default: all items).")
    ] = None,
    repeat: Annotated[int, typer.Option(min=1, max=1000, help="Runs per item (for pass^k).")] = 1,
    limit: Annotated[int | None, typer.Option(min=1, help="Only the first N items.")] = None,
    scorer: Annotated[
        list[str] | None,
        typer.Option(
            "--scorer",
            help="Extra scorer (repeatable): exact_match, regex:PATTERN, max_latency:S, "
            "max_cost:USD…, or judge:NAME for a judge/panel.",
        ),
    ] = None,
    allow_untrusted_judge: Annotated[
        bool, typer.Option(help="Use judges that have not passed their promotion gate.")
    ] = False,
    concurrency: Annotated[int, typer.Option(min=1, max=4096, help="Items in flight.")] = 4,
    budget_usd: Annotated[
        float | None, typer.Option("--budget-usd", min=0.0, callback=finite_or_none)
    ] = None,
    resume_id: Annotated[
        str | None, typer.Option("--resume", help="Finish an interrupted run (its stored system).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Run a system over a dataset; prints the run id and its aggregates. Resumable after any kill."""
    project = current_project()
    with run_progress() as on_progress:
        if resume_id:
            result = resume(
                resume_id,
                project=project,
                concurrency=concurrency,
                budget_usd=budget_usd,
                on_progress=on_progress,
            )
        else:
            if not system or not dataset:
                raise typer.BadParameter("give --system and --dataset, or --resume RUN")
            names = scorer or []
            result = evaluate(
                system,
                dataset,
                project=project,
                split=split,
                repeat=repeat,
                limit=limit,
                scorers=[s for s in names if not s.startswith("judge:")],
                judges=[s.removeprefix("judge:") for s in names if s.startswith("judge:")],
                allow_untrusted_judges=allow_untrusted_judge,
                concurrency=concurrency,
                budget_usd=budget_usd,
                on_progress=on_progress,
            )
    for note in result.notes:
        info(f"note: {note}")
    if as_json:
        emit_json(
            {
                "progress": result.progress.model_dump(mode="json"),
                "summary": result.summary.model_dump(mode="json"),
            }
        )
    else:
        _print_lines(summary_lines(result.summary))
        if result.calls is not None:
            c = result.calls
            info(
                f"model calls this time: {c.calls} ({c.cache_hits} from the cache), "
                f"{c.failed} failed, cost ${c.cost_usd:.6f}"
            )
        if result.progress.stopped:
            info(
                f"stopped early: {result.progress.stopped}; "
                f"evalwheel run --resume {result.run_id} continues"
            )
    if result.progress.remaining:
        raise typer.Exit(EXIT_CHECK_FAILED)


@runs_app.command("show")
def show(run_id: Annotated[str, typer.Argument()], as_json: JsonFlag = False) -> None:
    """A run's aggregates: per scorer and per slice, with n and 95% intervals."""
    with project_store() as (_, store):
        summary = summarize(store, run_id)
    if as_json:
        emit_json(summary)
        return
    _print_lines(summary_lines(summary))
    _print_lines(slice_lines(summary))


@runs_app.command("list")
def list_runs(as_json: JsonFlag = False) -> None:
    """Runs, newest first; a run killed while running shows as interrupted."""
    with project_store() as (_, store):
        data = [
            {
                "id": r.id,
                "system": r.system_name,
                "dataset": r.dataset,
                "split": r.split,
                "status": shown_status(r),
                "n_items": r.n_items,
                "created_at": r.created_at.isoformat(),
            }
            for r in RunRepository(store).list()
        ]
    if as_json:
        emit_json(data)
        return
    for r in data:
        out.print(
            f"{r['id']}  {r['status']:11} {r['system']:20} {r['dataset'][:40]} "
            f"{r['split'] or '-'} n={r['n_items']}"
        )


def compare(
    run_a: Annotated[str, typer.Argument(help="Baseline run.")],
    run_b: Annotated[str, typer.Argument(help="Candidate run.")],
    scorer: Annotated[
        str | None, typer.Option(help="Scorer to compare (default: run B's headline scorer).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Paired comparison on shared items: improvements, regressions, McNemar and bootstrap, per slice."""
    result = api_compare(run_a, run_b, scorer, project=current_project())
    if as_json:
        emit_json(result)
        return
    _print_lines(comparison_lines(result))


def report(
    run_id: Annotated[str, typer.Argument(help="The run to report on.")],
    vs: Annotated[str | None, typer.Option("--vs", help="A baseline run to compare with.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="html, md or json.")] = "html",
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="File to write (default: report-RUN.EXT).")
    ] = None,
) -> None:
    """Write a report: one self-contained HTML file, Markdown for pull requests, or JSON."""
    path = write_report(run_id, fmt, vs=vs, output=output, project=current_project())  # type: ignore[arg-type]
    out.print(str(path))


def gate(
    tier: Annotated[
        str,
        typer.Option("--tier", help="commit, merge or release ([gates.TIER] in evalwheel.toml)."),
    ],
    as_json: JsonFlag = False,
) -> None:
    """Run a tier's gate: exit 0 pass, 1 fail, 2 error (bad policy, budget estimate too high, incomplete run)."""
    with run_progress() as on_progress:
        verdict = api_gate(tier, project=current_project(), on_progress=on_progress)
    if as_json:
        emit_json(verdict)
    else:
        _print_lines(verdict_lines(verdict))
    if not verdict.passed:
        raise typer.Exit(EXIT_CHECK_FAILED)
