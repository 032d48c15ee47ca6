"""``evalwheel demo``: the README's main job, on a fresh project, offline.

It grows with the capabilities. Today it creates a project, imports every example dataset that the
installed applications ship (found through the ``evalwheel.apps`` entry points, so the platform never
imports an application directly), shows their versions and splits, and proves the import is
idempotent by importing again.
"""

from __future__ import annotations

from importlib.metadata import entry_points
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from evalwheel.cli.dataset_cmds import import_dataset
from evalwheel.cli.output import fail, info, out
from evalwheel.core.dataset import DatasetKind
from evalwheel.core.hashing import short
from evalwheel.datasets.splits import SplitPolicy, split_report
from evalwheel.project import ConfigError, init_project
from evalwheel.store import StoreError
from evalwheel.store.datasets import DatasetRepository

APPS_GROUP = "evalwheel.apps"


def shipped_datasets() -> list[tuple[str, str, DatasetKind, Path]]:
    """(app, name, kind, path) for every example dataset of every installed application."""
    found = []
    for ep in entry_points(group=APPS_GROUP):
        app = ep.load()
        provider = getattr(app, "example_datasets", None)
        if provider is None:
            continue
        for name, kind, path in provider():
            found.append((ep.name, name, DatasetKind(kind), Path(path)))
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
        fail(f"no installed application ships example data (entry point group {APPS_GROUP!r})")
    store = project.open_store()
    try:
        repo = DatasetRepository(store)
        table = Table(
            "app", "dataset", "kind", "items", "version", "train/dev/test", title="Imported"
        )
        cfg = project.config.datasets.splits
        policy = SplitPolicy(cfg.seed, cfg.train, cfg.dev, cfg.test, cfg.stratify_by)
        for app_name, name, kind, path in datasets:
            version, _ = import_dataset(repo, path, name, kind)
            again, new = import_dataset(repo, path, name, kind)
            if new or again.version_id != version.version_id:
                fail(f"re-importing {path} changed {name}: {version.ref} → {again.ref} (a bug)", 3)
            totals = split_report(repo.iter_examples(version.version_id), policy)["*"]
            table.add_row(
                app_name,
                name,
                kind.value,
                str(version.n_items),
                f"v{version.seq} {short(version.version_id)}",
                f"{totals['train']}/{totals['dev']}/{totals['test']}",
            )
        out.print(table)
        out.print(
            "Re-importing the same files gave the same version ids (immutable, content-addressed).\n"
            f"Project: {project.root}\nNext: cd {directory} && evalwheel dataset list",
            highlight=False,
        )
    finally:
        store.close()
