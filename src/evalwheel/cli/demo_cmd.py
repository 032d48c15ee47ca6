"""``evalwheel demo``: the README's main job, on a fresh project, offline.

It grows with the capabilities. Today it creates a project, imports every example dataset that the
installed applications ship (found through the ``evalwheel.apps`` entry points, so the platform never
imports an application directly), shows versions and splits, proves the import is idempotent by
importing again, and runs a real evaluation: the first application's system on the embedded model
over the first 24 test-split benchmark items (``--items``), scored by the application's
deterministic checks, with aggregates (n, 95% intervals) and a self-contained HTML report whose path
it prints; calibrates the application's judge on part of its golden set; and mirrors a sample of
its traffic through the application's system and the candidate configuration it ships
(``--mirror-items``), printing the difference rate beside the noise floor and the pairwise
judge's verdicts. A second demo answers every model call from the call cache.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.table import Column, Table

from evalwheel.api.datasets import split_policy, split_signature
from evalwheel.api.evaluation import evaluate
from evalwheel.api.reporting import write_report
from evalwheel.apps import App, load_apps
from evalwheel.cli.dataset_cmds import import_with_progress
from evalwheel.cli.output import fail, info, out
from evalwheel.cli.run_cmds import run_progress
from evalwheel.core.dataset import DatasetKind
from evalwheel.core.hashing import short
from evalwheel.datasets.splits import split_report
from evalwheel.errors import StoppedError
from evalwheel.judges.config import app_judges
from evalwheel.project import Project, init_project
from evalwheel.report.text import summary_lines
from evalwheel.store import Store
from evalwheel.store.datasets import DatasetRepository

DEMO_ITEMS = 24  # about two minutes on 2 cores the first time; seconds from the cache after
JUDGE_ITEMS = 24  # golden items for the judge calibration step (a stratified subset)
MIRROR_ITEMS = 6  # traffic items replayed through the current and the candidate system


def shipped_datasets() -> list[tuple[App, str, DatasetKind, Path, dict[str, str]]]:
    """(app, name, kind, path, field map) for every example dataset of every installed application."""
    found = []
    for app in load_apps().values():
        maps = app.field_maps()
        for name, kind, path in app.example_datasets():
            found.append((app, name, DatasetKind(kind), Path(path), maps.get(name, {})))
    return found


def demo(
    directory: Annotated[Path, typer.Argument(help="Where to create the demo project.")] = Path(
        "evalwheel-demo"
    ),
    items: Annotated[
        int, typer.Option(help="Test-split benchmark items to evaluate (0: none).")
    ] = DEMO_ITEMS,
    judge_items: Annotated[
        int, typer.Option(help="Golden items for the judge calibration step (0: skip it).")
    ] = JUDGE_ITEMS,
    mirror_items: Annotated[
        int,
        typer.Option(help="Traffic items mirrored through current and candidate (0: skip it)."),
    ] = MIRROR_ITEMS,
) -> None:
    """Create a project, import the shipped data, and evaluate the reference agent on the embedded model."""
    project, created = init_project(directory)
    info(("created" if created else "reusing") + f" project {project.root}")
    datasets = shipped_datasets()
    if not datasets:
        fail("no installed application ships example data (entry point group 'evalwheel.apps')")
    policy = split_policy(project)
    signature = split_signature(policy)
    store = project.open_store()
    try:
        repo = DatasetRepository(store)
        apps = sorted({app.name for app, _, _, _, _ in datasets})
        # Dataset names are what the user types next: never cut them short.
        table = Table(
            Column("dataset", no_wrap=True),
            Column("kind", no_wrap=True),
            "items",
            Column("version", no_wrap=True),
            Column("train/dev/test", no_wrap=True),
            title=f"Imported ({', '.join(apps)})",
            box=box.SIMPLE_HEAD,
        )
        for _, name, kind, path, field_map in datasets:
            version, _ = import_with_progress(project, path, name, kind, field_map=field_map)
            again, new = import_with_progress(project, path, name, kind, field_map=field_map)
            if new or again.version_id != version.version_id:
                raise RuntimeError(
                    f"re-importing {path} changed {name}: {version.ref} → {again.ref}"
                )
            totals = split_report(repo.iter_examples(version.version_id), policy, signature).totals
            table.add_row(
                name,
                kind.value,
                str(version.n_items),
                f"v{version.seq} {short(version.version_id)}",
                f"{totals['train']}/{totals['dev']}/{totals['test']}",
            )
        out.print(table)
        out.print(
            "Re-importing the same files gave the same version ids (immutable, content-addressed)."
        )
        benchmark = next((d for d in datasets if d[2] == DatasetKind.BENCHMARK), None)
        if benchmark is not None and items > 0:
            _evaluate(project, benchmark[0], benchmark[1], items)
        if judge_items > 0:
            _calibrate(project, store, judge_items)
        traffic = next((d for d in datasets if d[2] == DatasetKind.TRAFFIC), None)
        if traffic is not None and mirror_items > 0:
            _mirror(project, traffic[0], traffic[1], mirror_items)
        out.print(
            f"Project: {project.root}\nNext: cd {directory} && evalwheel runs list", highlight=False
        )
    finally:
        store.close()


def _evaluate(project: Project, app: App, dataset: str, items: int) -> None:
    """A real, resumable evaluation run with its report (the full command is ``evalwheel run``)."""
    system = f"{app.name}-local"
    started = time.perf_counter()
    with run_progress() as on_progress:
        result = evaluate(
            system,
            dataset,
            project=project,
            split="test",
            limit=items,
            concurrency=1,
            on_progress=on_progress,
        )
    summary = result.summary
    page = write_report(
        result.run_id, "html", output=project.root / f"report-{result.run_id}.html", project=project
    )
    out.print(
        f"{app.name} agent on the embedded model (SmolLM2-135M, offline): run {result.run_id}, "
        f"{summary.done}/{summary.planned} items in {time.perf_counter() - started:.0f} s, "
        f"{summary.errors} errors (counted as failures)"
        + (
            f"; call cache: {result.calls.cache_hits} hits, {result.calls.cache_misses} misses."
            if result.calls
            else "."
        )
    )
    for line in summary_lines(summary)[2:]:
        out.print(line)
    out.print(f"Report: {page}")
    if result.progress.remaining:
        raise StoppedError(
            f"run {result.run_id} stopped with {result.progress.remaining} items left: "
            f"{result.progress.stopped}; evalwheel run --resume {result.run_id} finishes it"
        )


def _mirror(project: Project, app: App, traffic: str, n_items: int) -> None:
    """A small offline mirror: the application's system against the candidate configuration it
    ships, on a sample of its traffic, judged by its pairwise judge (untrusted: the embedded
    model has passed no calibration gate, and the output says so)."""
    from evalwheel.api.mirroring import mirror_replay
    from evalwheel.cli.mirror_text import summary_lines as mirror_lines

    shipped = getattr(app, "default_systems", None)
    candidates = list(shipped()) if callable(shipped) else []
    judges = [
        n
        for n, t in app_judges().items()
        if t.get("app") == app.name and t.get("kind") == "pairwise"
    ]
    if not candidates:
        info(f"mirror step skipped: {app.name} ships no candidate configuration")
        return
    started = time.perf_counter()
    with run_progress() as on_progress:
        result = mirror_replay(
            traffic,
            f"{app.name}-local",
            candidates[0],
            sample=n_items,
            judge=judges[0] if judges else None,
            allow_untrusted_judge=True,
            concurrency=1,
            project=project,
            on_progress=on_progress,
        )
    out.print(
        f"mirror {result.mirror.id}: {n_items} {traffic} items through {app.name}-local and "
        f"{candidates[0]} in {time.perf_counter() - started:.0f} s (judge "
        f"{judges[0] if judges else 'none'}, untrusted: the embedded model is not calibrated)",
        highlight=False,
    )
    for line in mirror_lines(result.summary, slices=False)[1:]:
        out.print(line, highlight=False)
    out.print(f"Details: evalwheel mirror show {result.mirror.id}", highlight=False)


def _calibrate(project: Project, store: Store, n_items: int) -> None:
    """Import the shipped human labels and calibrate the application's judge on a stratified subset
    of its golden set, with one improvement round (the full command is ``evalwheel calibrate``)."""
    from evalwheel.cli.judge_cmds import calibrate_and_record, fmt_kappa
    from evalwheel.judges.calibrate import CalibrationOptions, kappa_trail
    from evalwheel.judges.config import resolve_single
    from evalwheel.judges.golden import load_golden
    from evalwheel.labels.longformat import read_labels
    from evalwheel.labels.repository import LabelRepository

    for app in load_apps().values():
        labels = getattr(app, "example_labels", None)
        judges = [
            n
            for n, t in app_judges().items()
            if t.get("app") == app.name and t.get("kind", "pointwise") == "pointwise"
        ]
        if labels is None or not judges:
            continue
        for dataset, path in labels():
            result = LabelRepository(store).save(dataset, read_labels(Path(path)), source=str(path))
            info(f"labels for {dataset}: {result.added} added, {result.unchanged} already there")
            # From the configured judge, not its pin: a second demo then repeats the same calls
            # and is answered from the call cache.
            judge = configured = resolve_single(project, judges[0])
            golden = load_golden(store, dataset, judge, app, limit=n_items)
            options = CalibrationOptions(max_iterations=1, concurrency=1, resamples=2000)
            info(
                f"calibrating judge {judge.name} ({judge.model}) on {n_items} of {dataset}'s golden "
                "items: baseline, one improvement round, then the test split"
            )

            started = time.perf_counter()
            calibration = calibrate_and_record(
                project, store, configured, judge, golden, options
            ).calibration
            test = calibration.metrics["test"]
            kappa = fmt_kappa(test["vs_reference"]["cohen_kappa"])
            ceiling = test["ceiling"]["human_kappa"]
            trail = " → ".join("n/a" if k is None else f"{k:.2f}" for k in kappa_trail(calibration))
            gate = (
                "TRUSTED"
                if calibration.trusted
                else "not trusted (" + "; ".join(calibration.gate["reasons"]) + ")"
            )
            out.print(
                f"judge {judge.name}: dev kappa {trail}; test kappa vs adjudicated {kappa} "
                f"n={test['n_items']} ({test['n_errors']} judge errors); human ceiling "
                f"{'n/a' if ceiling is None else f'{ceiling:.3f}'}; {gate}; "
                f"{time.perf_counter() - started:.0f} s. Details: evalwheel judge show {judge.name}",
                highlight=False,
            )
