"""``evalwheel judge …`` (list, show, export, drift, sample-size) and ``evalwheel calibrate``: parse
the arguments, call ``evalwheel.judges.api``, print. Errors are ``EvalwheelError``s that the root
command group turns into one line and an exit code."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer

from evalwheel.cli.judge_text import (
    fmt_kappa,
    print_calibration,
    print_drift,
    print_judge,
    print_judge_list,
    print_panel,
)
from evalwheel.cli.output import EXIT_CHECK_FAILED, emit_json, info, out, progress_bar
from evalwheel.core.judge import Judge
from evalwheel.errors import InputError
from evalwheel.judges import api
from evalwheel.judges.calibration import DEFAULT_OPTIMISERS
from evalwheel.judges.golden import GoldenSet, summary
from evalwheel.judges.results import CalibrationOptions, CalibrationResult
from evalwheel.project import Project
from evalwheel.store.db import Store

__all__ = ["app", "calibrate", "calibrate_and_record", "fmt_kappa"]  # the last two: the demo

app = typer.Typer(help="LLM judges: versions, calibration records, drift.", no_args_is_help=True)

Phase = Callable[[str, int], Callable[[], None]]


@contextmanager
def _phases() -> Iterator[Phase]:
    """A progress display with one bar per phase (dev baseline, train, candidates, test)."""
    with progress_bar() as bar:

        def phase(what: str, total: int) -> Callable[[], None]:
            task = bar.add_task(what, total=total)
            return lambda: bar.advance(task)

        yield phase


@app.command("list")
def list_judges(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Configured judges and panels, with the version in use and whether it is trusted."""
    rows = api.list_judges()
    if as_json:
        emit_json([r.model_dump(mode="json") for r in rows])
    else:
        print_judge_list(rows)


@app.command("show")
def show(
    name: Annotated[str, typer.Argument()],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The judge in use (its full artifact), its calibrations and their kappa trail."""
    details = api.show_judge(name)
    if as_json:
        emit_json(details)
    else:
        print_judge(name, details)


@app.command("export")
def export(name: Annotated[str, typer.Argument()]) -> None:
    """The judge in use as a TOML table, to commit into evalwheel.toml."""
    out.print(api.export_judge(name), highlight=False, markup=False)


def _announce(golden: GoldenSet, blockers: list[str]) -> None:
    s = summary(golden)
    splits = s["splits"]
    info(
        f"golden {s['ref']}: {s['items']} items, annotators "
        f"{', '.join(s['annotators']) or '(adjudicated only)'}; "
        f"train/dev/test {splits['train']}/{splits['dev']}/{splits['test']}"
    )
    for blocker in blockers:
        info(f"note: the gate cannot pass on this split: {blocker}")


def _log_iteration(entry: dict[str, Any]) -> None:
    k = entry.get("dev_kappa")
    info(
        f"  [{entry['iteration']}] {entry['optimiser']:10} dev kappa "
        f"{'n/a' if k is None else f'{k:.3f}'}  {entry['version'][:12]}  {entry.get('origin') or ''}"
    )


def calibrate(
    judge_name: Annotated[
        str, typer.Option("--judge", "-j", help="A [judges.NAME] (or an app's).")
    ],
    golden: Annotated[
        str, typer.Option("--golden", "-g", help="The golden dataset NAME[@VERSION].")
    ],
    target_kappa: Annotated[
        float,
        typer.Option(help="The gate's floor on the lower bound of kappa; the loop stops on dev."),
    ] = 0.6,
    ceiling_share: Annotated[
        float, typer.Option(help="Gate: test kappa >= this share of the human ceiling.")
    ] = 0.8,
    min_test_items: Annotated[
        int, typer.Option(help="Gate: test items needed (~250 give kappa ± 0.10).")
    ] = 50,
    optimiser: Annotated[
        list[str] | None,
        typer.Option("--optimiser", help="fewshot, rubric, label_map (repeatable)."),
    ] = None,
    max_iterations: Annotated[
        int, typer.Option(help="Improvement rounds at most (0: measure only).")
    ] = 4,
    split: Annotated[
        str, typer.Option(help="TRAIN,DEV,TEST fractions, stratified by label.")
    ] = "0.4,0.3,0.3",
    limit: Annotated[
        int | None, typer.Option(help="A stratified subset of N items (for quick runs).")
    ] = None,
    seed: Annotated[int, typer.Option()] = 0,
    concurrency: Annotated[int, typer.Option()] = 4,
    budget_usd: Annotated[float | None, typer.Option("--budget-usd")] = None,
    optimiser_model: Annotated[
        str | None, typer.Option(help="Model that rewrites criteria (default: the judge's).")
    ] = None,
    resamples: Annotated[int, typer.Option(help="Bootstrap resamples for intervals.")] = 10_000,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Measure a judge against human labels beside the human ceiling, improve it on train, select on
    dev until dev meets the gate's criterion, report once on test, and promote it if it passes the
    gate. Exit 1 when not promoted. A panel is measured on the test split instead."""
    from evalwheel.judges.config import PanelSpec
    from evalwheel.judges.resolve import parse_fractions, resolve_any
    from evalwheel.project.opening import as_project

    fractions = parse_fractions(split)
    if isinstance(resolve_any(as_project(None), judge_name), PanelSpec):
        with _phases() as phase:
            measured = api.measure_panel(
                judge_name,
                golden,
                split=fractions,
                limit=limit,
                seed=seed,
                concurrency=concurrency,
                resamples=resamples,
                budget_usd=budget_usd,
                progress=phase,
            )
        if as_json:
            emit_json(measured)
        else:
            print_panel(measured)
        return
    with _phases() as phase:
        result = api.calibrate(
            judge_name,
            golden,
            target_kappa=target_kappa,
            ceiling_share=ceiling_share,
            min_test_items=min_test_items,
            optimisers=optimiser or DEFAULT_OPTIMISERS,
            max_iterations=max_iterations,
            split=fractions,
            limit=limit,
            seed=seed,
            concurrency=concurrency,
            resamples=resamples,
            budget_usd=budget_usd,
            optimiser_model=optimiser_model,
            progress=phase,
            log=_log_iteration,
            on_start=_announce,
        )
    if as_json:
        emit_json(
            {
                "judge": result.judge.model_dump(mode="json"),
                "version": result.version,
                "calibration": result.calibration.model_dump(mode="json"),
                "pinned": result.pinned,
            }
        )
    else:
        print_calibration(result)
    if not result.trusted:
        raise typer.Exit(EXIT_CHECK_FAILED)


def calibrate_and_record(
    project: Project,
    store: Store,
    configured: Judge,
    judge: Judge,
    golden: GoldenSet,
    options: CalibrationOptions,
    **kw: Any,
) -> CalibrationResult:
    """``evalwheel.judges.api.calibrate_and_record`` with progress bars (for ``evalwheel demo``)."""
    with _phases() as phase:
        return api.calibrate_and_record(
            project, store, configured, judge, golden, options, progress=phase, **kw
        )


@app.command("drift")
def drift(
    judge_name: Annotated[str, typer.Option("--judge", "-j")],
    golden: Annotated[
        str | None, typer.Option("--golden", "-g", help="Default: the calibration's golden set.")
    ] = None,
    alpha: Annotated[float, typer.Option(help="McNemar significance level.")] = 0.05,
    tolerance: Annotated[
        float, typer.Option(help="Kappa drop tolerated before it counts as drift.")
    ] = 0.0,
    concurrency: Annotated[int, typer.Option()] = 4,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Re-score the items the calibration measured on test with the pinned judge (fresh model
    calls) and test the change against its calibration: exit 1 on drift."""
    with _phases() as phase:
        result = api.check_drift(
            judge_name,
            golden=golden,
            alpha=alpha,
            tolerance=tolerance,
            concurrency=concurrency,
            progress=phase,
        )
    if as_json:
        emit_json(result)
    else:
        print_drift(judge_name, result)
    if result.drifted:
        raise typer.Exit(EXIT_CHECK_FAILED)


@app.command("sample-size")
def sample_size(
    kappa: Annotated[float, typer.Option(help="The kappa you expect.")] = 0.6,
    prevalence: Annotated[
        str, typer.Option(help="Label shares, comma-separated (e.g. 0.5,0.5 or 0.8,0.2).")
    ] = "0.5,0.5",
    half_width: Annotated[float, typer.Option(help="Wanted ± on kappa.")] = 0.10,
    confidence: Annotated[float, typer.Option()] = 0.95,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """How many items to label for a kappa interval of ± HALF_WIDTH (a planning figure)."""
    from evalwheel.stats.agreement import sample_size_for_kappa

    try:
        shares = [float(p) for p in prevalence.split(",")]
        n = sample_size_for_kappa(
            kappa=kappa, prevalence=shares, half_width=half_width, confidence=confidence
        )
    except ValueError as exc:
        raise InputError(f"--prevalence/--kappa: {exc}") from None
    if as_json:
        emit_json({"items": n, "kappa": kappa, "prevalence": shares, "half_width": half_width})
    else:
        out.print(
            f"about {n} labelled items for kappa {kappa} ± {half_width} at {confidence:.0%} "
            f"with label shares {shares}",
            highlight=False,
        )
