"""Decontamination: a synthetic row must not be a near-duplicate of what the system is measured
on. Rows are compared with each target by ``datasets.contamination`` (word n-gram containment of
the request, and the application's structural signature of the target), and a row any method
flags is removed, with the method and the item it matched.

The default targets (``default_targets``): every stored dataset's ``test`` split, every golden
dataset whole, and every benchmark's ``dev`` split; never the source the rows came from, and never
a ``synthetic`` dataset (training data of its own kind). The signature is compared only with
``test`` splits (``SIGNATURE_SPLITS``): a training row may share a skeleton with a dev or golden
item (measured on Flow's shipped data, the golden set and the benchmark's dev split hold all 48
skeletons of the workflows, so matching them by signature would remove every row), but not with
what the system is finally measured on; the n-grams are compared with every target.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from evalwheel.api.contamination import load_source
from evalwheel.apps.hooks import signature_of
from evalwheel.core.dataset import DatasetKind
from evalwheel.core.example import Example
from evalwheel.datasets.contamination import ContaminationSettings, Method, nearest_matches
from evalwheel.errors import InputError
from evalwheel.project import Project
from evalwheel.store.datasets import DatasetRepository
from evalwheel.synth.models import Removal

DEFAULT_METHODS: tuple[Method, ...] = ("ngram", "signature")
SIGNATURE_SPLITS: tuple[str, ...] = ("test",)


def default_targets(project: Project, *, exclude: Sequence[str] = ()) -> list[str]:
    """``NAME:test`` for every stored dataset, ``NAME`` for golden ones and ``NAME:dev`` for
    benchmarks, at their latest versions, each only when it holds items (``decontaminate`` refuses
    an empty target); ``exclude`` names datasets to leave out (the source)."""
    store = project.open_store()
    try:
        versions = DatasetRepository(store).latest_versions()
    finally:
        store.close()
    targets: list[str] = []
    for version in sorted(versions, key=lambda v: v.name):
        if version.name in exclude or version.kind == DatasetKind.SYNTHETIC:
            continue
        if version.kind == DatasetKind.GOLDEN:
            targets.append(version.name)
            continue
        targets.append(f"{version.name}:test")
        if version.kind == DatasetKind.BENCHMARK:
            targets.append(f"{version.name}:dev")
    return [t for t in targets if load_source(t, project).examples]


def check_targets(project: Project, targets: Sequence[str]) -> None:
    """Refuse, before anything is spent, a target that is missing or holds no items."""
    for target in targets:
        _items(project, target)


def _items(project: Project, target: str) -> list[Example]:
    items = load_source(target, project).examples
    if not items:
        raise InputError(f"{target}: no items to decontaminate against", field="against")
    return items


def decontaminate(
    project: Project,
    app: Any,
    rows: Sequence[Example],
    targets: Sequence[str],
    *,
    methods: Sequence[Method] = DEFAULT_METHODS,
    settings: ContaminationSettings | None = None,
    signature_splits: Sequence[str] = SIGNATURE_SPLITS,
) -> list[Removal]:
    """The rows to remove: for each, the first target and method that flags it and the id of the
    item it matched there (``TARGET:ID``). The signature counts only against targets of a split
    in ``signature_splits``. A target with no items (a split the policy leaves empty) is an
    ``InputError``: checking against it would pass every row while checking nothing."""
    signature = signature_of([app])
    removed: dict[str, Removal] = {}
    for target in targets:
        items = _items(project, target)
        left = [r for r in rows if r.id not in removed]
        if not left:
            continue
        for match in nearest_matches(left, items, settings, signature):
            allowed = [m for m in methods if m != "signature" or _split(target) in signature_splits]
            found = [m for m in match.methods if m in allowed]
            if not found:
                continue
            method = found[0]
            matched = {
                "ngram": match.containment_b_id,
                "minhash": match.jaccard_b_id,
                "signature": match.signature_b_id,
            }[method]
            removed[match.a_id] = Removal(
                id=match.a_id, method=method, matched=f"{target}:{matched}"
            )
    return list(removed.values())


def _split(target: str) -> str | None:
    base, sep, split = target.rpartition(":")
    return split if sep and base else None
