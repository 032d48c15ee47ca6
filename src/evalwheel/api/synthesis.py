"""``synthesize``: training rows from a stored dataset of production artifacts (Flow: the
``workflows`` kind), through the pipeline of ``evalwheel.synth`` — sample, write a request per
artifact on a named model, build the ideal trajectory, verify, decontaminate, store."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from evalwheel.api.datasets import resolve_version
from evalwheel.api.projects import ProjectLike, open_project
from evalwheel.apps.interface import load_apps
from evalwheel.datasets.contamination import Method
from evalwheel.errors import InputError, NotFoundError
from evalwheel.interrupts import run_sync
from evalwheel.judges.resolve import judge_client
from evalwheel.store.datasets import DatasetRepository
from evalwheel.synth.decontaminate import DEFAULT_METHODS, check_targets, default_targets
from evalwheel.synth.models import SynthResult
from evalwheel.synth.pipeline import Progress, asynthesize_rows
from evalwheel.synth.writer import STYLES


def app_for_kind(kind: str, app: str | None = None) -> Any:
    """The application named, else the one that defines the dataset kind, else the only one."""
    apps = load_apps()
    if app is not None:
        if app not in apps:
            raise NotFoundError(f"no application {app!r} (installed: {', '.join(sorted(apps))})")
        return apps[app]
    owners = [a for _, a in sorted(apps.items()) if kind in (getattr(a, "dataset_kinds", dict)())]
    if len(owners) == 1:
        return owners[0]
    if len(apps) == 1:
        return next(iter(apps.values()))
    raise InputError(f"say which application the {kind!r} rows belong to", field="app")


async def asynthesize(
    source: str,
    *,
    name: str,
    writer: str = "local",
    judge: str | None = "local",
    styles: Sequence[str] = tuple(STYLES),
    seed: int = 0,
    per_descriptor: int | None = 1,
    per_merchant: int | None = None,
    requests_per_row: int = 1,
    against: Sequence[str] | None = None,
    methods: Sequence[Method] = DEFAULT_METHODS,
    app: str | None = None,
    writer_examples: str | None = None,
    writer_shots: int = 3,
    project: ProjectLike = None,
    on_progress: Progress | None = None,
) -> SynthResult:
    """Synthetic rows from the artifacts of ``source`` (``NAME[@VERSION]``), stored as a new
    version of the ``synthetic`` dataset ``name``. ``judge=None`` skips the semantic round trip;
    ``against=None`` decontaminates against ``default_targets`` (every dataset's test split, every
    golden set, every benchmark's dev split, leaving out the source), ``[]`` against nothing.
    ``writer_examples`` (a source as ``dataset contamination`` takes it, e.g. a benchmark's
    ``NAME:train``) shows the writer ``writer_shots`` requests people wrote for other artifacts;
    keep it out of every test split, since the writer may copy from it."""
    unknown = sorted(set(styles) - set(STYLES))
    if unknown or not styles:
        raise InputError(f"styles must be among {', '.join(STYLES)}, not {unknown}", field="style")
    if requests_per_row < 1:
        raise InputError("must be 1 or more", field="requests_per_row")
    for field, cap in (("per_descriptor", per_descriptor), ("per_merchant", per_merchant)):
        if cap is not None and cap < 1:
            raise InputError(f"must be 1 or more, not {cap}", field=field)
    project_obj = open_project(project)
    store = project_obj.open_store()
    try:
        repo = DatasetRepository(store)
        version = resolve_version(repo, source)
        examples = list(repo.iter_examples(version.version_id))
        application = app_for_kind(version.kind.value, app)
        if against is None:
            targets = default_targets(project_obj, exclude=[version.name])
        else:
            targets = list(against)
            check_targets(project_obj, targets)
        pool = []
        if writer_examples is not None:
            from evalwheel.api.contamination import load_source
            from evalwheel.synth.pipeline import writer_examples as example_pool

            pool = example_pool(application, load_source(writer_examples, project_obj).examples)
            if not pool:
                raise InputError(
                    f"{writer_examples}: no row with a request and a describable artifact",
                    field="writer_examples",
                )
        writer_client = judge_client(project_obj, store, writer)
        judge_model = None
        if judge:
            judge_model = (
                writer_client if judge == writer else judge_client(project_obj, store, judge)
            )
        try:
            return await asynthesize_rows(
                project_obj,
                application,
                examples,
                source=version.ref,
                name=name,
                writer=writer_client,
                judge=judge_model,
                styles=list(styles),
                seed=seed,
                per_descriptor=per_descriptor,
                per_merchant=per_merchant,
                requests_per_row=requests_per_row,
                against=list(targets),
                methods=methods,
                writer_pool=pool,
                shots=writer_shots if pool else 0,
                examples_source=writer_examples,
                progress=on_progress,
            )
        finally:
            await writer_client.aclose()
            if judge_model is not None and judge_model is not writer_client:
                await judge_model.aclose()
    finally:
        store.close()


def synthesize(source: str, **kwargs: Any) -> SynthResult:
    """``asynthesize`` for scripts; Ctrl-C stops cleanly (``Interrupted``) and a re-run answers
    every model call it already paid for from the project's call cache."""
    return run_sync(asynthesize(source, **kwargs))
