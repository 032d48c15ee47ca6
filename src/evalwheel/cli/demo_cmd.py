"""``evalwheel demo``: the README's main job, on a fresh project, offline.

It grows with the capabilities. Today it creates a project, imports every example dataset that the
installed applications ship (found through the ``evalwheel.apps`` entry points, so the platform never
imports an application directly), shows their versions and splits, proves the import is idempotent
by importing again, and makes real schema-constrained calls to the embedded model through the
model layer (a second demo is answered from the call cache).
"""

from __future__ import annotations

import asyncio
import json
from importlib.metadata import entry_points
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from evalwheel.cli.dataset_cmds import import_dataset
from evalwheel.cli.output import fail, info, out
from evalwheel.core.dataset import DatasetKind
from evalwheel.core.example import Example
from evalwheel.core.hashing import short
from evalwheel.datasets.splits import SplitPolicy, split_report
from evalwheel.llm.client import ModelClient
from evalwheel.llm.errors import ModelCallError
from evalwheel.llm.registry import builtin_models
from evalwheel.llm.types import ChatRequest
from evalwheel.project import ConfigError, init_project
from evalwheel.store import Store, StoreError
from evalwheel.store.datasets import DatasetRepository

APPS_GROUP = "evalwheel.apps"


def shipped_datasets() -> list[tuple[str, str, DatasetKind, Path, dict[str, str]]]:
    """(app, name, kind, path, field map) for every example dataset of every installed application."""
    found = []
    for ep in entry_points(group=APPS_GROUP):
        app = ep.load()
        provider = getattr(app, "example_datasets", None)
        if provider is None:
            continue
        maps = getattr(app, "FIELD_MAPS", {})
        for name, kind, path in provider():
            found.append((ep.name, name, DatasetKind(kind), Path(path), maps.get(name, {})))
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
        for app_name, name, kind, path, field_map in datasets:
            version, _ = import_dataset(repo, path, name, kind, field_map=field_map)
            again, new = import_dataset(repo, path, name, kind, field_map=field_map)
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
            "Re-importing the same files gave the same version ids (immutable, content-addressed).",
            highlight=False,
        )
        benchmark = next((d for d in datasets if d[2] == DatasetKind.BENCHMARK), None)
        if benchmark is not None:
            version = repo.resolve(benchmark[1])
            examples = sorted(repo.iter_examples(version.version_id), key=lambda e: e.id)[
                :DEMO_ITEMS
            ]
            result = asyncio.run(tag_with_local_model(store, examples))
            out.print(
                f"Embedded model (SmolLM2-135M, offline): chose one of an item's own tags for "
                f"{result['hits']}/{result['n']} requests of {version.ref} "
                f"({result['errors']} errors; call cache: {result['cache_hits']} hits, "
                f"{result['cache_misses']} misses; run the demo again to see it served from the cache).",
                highlight=False,
            )
        out.print(
            f"Project: {project.root}\nNext: cd {directory} && evalwheel dataset list",
            highlight=False,
        )
    finally:
        store.close()


DEMO_ITEMS = 8


async def tag_with_local_model(store: Store, examples: list[Example]) -> dict[str, int]:
    """A first real use of the model layer: schema-constrained classification of each request into
    the dataset's tags, scored against the item's own tags. Not a benchmark of the agent (that is
    ``evalwheel run``); a check that the embedded model, structured output and the cache work."""
    tags = sorted({t for e in examples for t in e.tags})
    schema = {
        "type": "object",
        "properties": {"category": {"enum": tags}},
        "required": ["category"],
    }
    result = {"n": len(examples), "hits": 0, "errors": 0}
    async with ModelClient(builtin_models()["local"], store=store) as client:
        for example in examples:
            request = ChatRequest(
                messages=[
                    {
                        "role": "user",
                        "content": f"Which category fits this request best: {', '.join(tags)}?\n"
                        f"Request: {example.input}",
                    }
                ],
                response_format={
                    "type": "json_schema",
                    "json_schema": {"name": "category", "schema": schema},
                },
                max_tokens=24,
                temperature=0,
            )
            try:
                response = await client.chat(request)
                chosen = json.loads(response.content or "{}").get("category")
                result["hits"] += chosen in example.tags
            except (ModelCallError, ValueError):
                result["errors"] += 1
        result["cache_hits"] = client.stats.cache_hits
        result["cache_misses"] = client.stats.cache_misses
    return result
