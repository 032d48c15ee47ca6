"""``evalwheel demo``: the README's main job, on a fresh project, offline.

It grows with the capabilities. Today it creates a project, imports every example dataset that the
installed applications ship (found through the ``evalwheel.apps`` entry points, so the platform never
imports an application directly), shows versions and splits, proves the import is idempotent by
importing again, and runs the first application's system on a few test-split benchmark items on the
embedded model, checked by the application's own deterministic scorers (a second demo is answered
from the call cache).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from evalwheel.apps import App, load_apps
from evalwheel.cli.dataset_cmds import import_dataset
from evalwheel.cli.output import fail, info, out
from evalwheel.core.dataset import DatasetKind
from evalwheel.core.example import Example
from evalwheel.core.hashing import short
from evalwheel.datasets.splits import SplitPolicy, assign_split, split_report
from evalwheel.llm.client import ModelClient
from evalwheel.llm.registry import builtin_models
from evalwheel.project import ConfigError, init_project
from evalwheel.store import Store, StoreError
from evalwheel.store.datasets import DatasetRepository

DEMO_ITEMS = 6


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
) -> None:
    """Create a project and run what evalwheel can do today on the shipped example data."""
    try:
        project, created = init_project(directory)
    except (ConfigError, StoreError) as exc:
        fail(str(exc))
    info(("created" if created else "reusing") + f" project {project.root}")
    datasets = shipped_datasets()
    if not datasets:
        fail("no installed application ships example data (entry point group 'evalwheel.apps')")
    cfg = project.config.datasets.splits
    policy = SplitPolicy(cfg.seed, cfg.train, cfg.dev, cfg.test, cfg.stratify_by)
    store = project.open_store()
    try:
        repo = DatasetRepository(store)
        table = Table(
            "app", "dataset", "kind", "items", "version", "train/dev/test", title="Imported"
        )
        for app, name, kind, path, field_map in datasets:
            version, _ = import_dataset(repo, path, name, kind, field_map=field_map)
            again, new = import_dataset(repo, path, name, kind, field_map=field_map)
            if new or again.version_id != version.version_id:
                fail(f"re-importing {path} changed {name}: {version.ref} → {again.ref} (a bug)", 3)
            totals = split_report(repo.iter_examples(version.version_id), policy)["*"]
            table.add_row(
                app.name,
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
        if benchmark is not None:
            app, name = benchmark[0], benchmark[1]
            version = repo.resolve(name)
            examples = [
                e
                for e in repo.iter_examples(version.version_id)
                if assign_split(e, policy) == "test"
            ]
            examples = _spread(examples, DEMO_ITEMS)
            result = asyncio.run(run_app(app, store, examples))
            out.print(
                f"{app.name} agent on the embedded model (SmolLM2-135M, offline), {len(examples)} test items of "
                f"{version.ref}: passed {result['passed']}/{len(examples)} by the app's own checks "
                f"({result['errors']} errors, counted as failures; call cache: {result['cache_hits']} hits, "
                f"{result['cache_misses']} misses; a second demo is served from the cache).",
                highlight=False,
            )
            for line in result["lines"]:
                out.print("  " + line, highlight=False, markup=False)
        out.print(
            f"Project: {project.root}\nNext: cd {directory} && evalwheel dataset list",
            highlight=False,
        )
    finally:
        store.close()


def _spread(examples: list[Example], n: int) -> list[Example]:
    """n examples spread over the list (deterministic), so the demo sees several kinds of request."""
    if len(examples) <= n:
        return examples
    step = len(examples) / n
    return [examples[int(i * step)] for i in range(n)]


async def run_app(app: App, store: Store, examples: list[Example]) -> dict[str, Any]:
    """The application's system on the embedded model, checked by the application's own scorers.
    (The full runner is ``evalwheel run``, a later capability; this is the demo's short, cached taste.)"""
    result: dict[str, Any] = {"passed": 0, "errors": 0, "lines": []}
    async with ModelClient(builtin_models()["local"], store=store) as client:
        for example in examples:
            output = await app.run(example, client, {})
            checks = {c.scorer: c for c in app.check(example, output)}
            passed = any(name.endswith(".pass") and bool(c.passed) for name, c in checks.items())
            result["passed"] += passed
            result["errors"] += output.error is not None
            marks = " ".join(
                f"{name.split('.')[-1]}={'-' if c.passed is None else 'yes' if c.passed else 'no'}"
                for name, c in checks.items()
            )
            request = str(example.input)[:60]
            result["lines"].append(
                f"{'PASS' if passed else 'fail'} {example.id}: {request!r} → {output.outcome}  [{marks}]"
            )
        result["cache_hits"] = client.stats.cache_hits
        result["cache_misses"] = client.stats.cache_misses
    return result
