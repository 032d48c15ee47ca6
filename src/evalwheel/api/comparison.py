"""``compare``: run B against baseline run A on the items they share."""

from __future__ import annotations

from evalwheel.api.projects import ProjectLike, open_project
from evalwheel.errors import InputError
from evalwheel.runner.aggregate import summarize
from evalwheel.runner.compare import Comparison, compare_runs


def compare(
    run_a: str, run_b: str, scorer: str | None = None, *, project: ProjectLike = None
) -> Comparison:
    """Improvements, regressions, McNemar and a paired bootstrap, overall and per slice.

    ``scorer`` defaults to run B's headline scorer (the application's pass scorer, else the first
    scorer the run asked for); any scorer both runs have can be named, generic ones included.
    """
    store = open_project(project).open_store()
    try:
        summary_b = summarize(store, run_b)
        summary_a = summarize(store, run_a)
        chosen = scorer or summary_b.headline
        if chosen is None:
            raise InputError(f"run {run_b} has no scorer to compare on", field="scorer")
        for summary in (summary_a, summary_b):
            summary.scorer(chosen)
        return compare_runs(store, run_a, run_b, chosen)
    finally:
        store.close()
