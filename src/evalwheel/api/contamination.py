"""``contamination``: which items of one set have a near-duplicate in another, for any two sources
— a stored dataset or one of its splits, a data file, or what a configured system learnt from.

Sources are written the same way in Python and on the command line:

- ``NAME[@VERSION][:SPLIT]``: a stored dataset version, or one split of it under the project's
  split policy (the same items ``evalwheel run --split`` takes);
- a path to a JSONL, CSV or Parquet file (``PATH[:SPLIT]`` for one split), read like an import of
  kind ``benchmark``; a ``request``/``prompt``… column stands for ``input`` when there is none;
- ``system:NAME``: what the configured system learnt from (its few-shot bank, its training set),
  as its application's ``learned_from`` hook says.

A name that is both a file and a stored dataset is refused as ambiguous rather than guessed
(``./NAME`` is the file, ``NAME@latest`` the dataset). When both sources are one collection (the
same items, whichever way they were named; A may be a split of it), an item is not compared with
itself.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from evalwheel.api.datasets import resolve_version, split_policy, split_signature
from evalwheel.api.projects import ProjectLike, open_project
from evalwheel.apps.hooks import learned_from, signature_of
from evalwheel.apps.interface import load_apps
from evalwheel.core.dataset import is_valid_name
from evalwheel.core.example import Example
from evalwheel.datasets.contamination import (
    ContaminationReport,
    ContaminationSettings,
    find_contamination,
)
from evalwheel.datasets.importer import SYNONYMS, ImportFailed, validate_file
from evalwheel.datasets.readers import ByteCounter, detect_format, read_rows
from evalwheel.datasets.splits import SPLITS, SplitPolicy, assign_split
from evalwheel.errors import EvalwheelError, InputError, NotFoundError
from evalwheel.project import Project
from evalwheel.store.datasets import DatasetRepository

SYSTEM_PREFIX = "system:"
_DATA_SUFFIXES = (".jsonl", ".json", ".ndjson", ".csv", ".tsv", ".parquet", ".pq")
SourceLike = str | os.PathLike[str] | Sequence[Example | Mapping[str, Any]]


@dataclass
class Source:
    """A resolved source: what to call it, its items, and the application behind it if any."""

    label: str
    examples: list[Example]
    app: Any = None
    collection: frozenset[tuple[str, str]] = frozenset()
    """(id, content hash) of every item of the whole source before a split was taken."""


def _collection(items: Sequence[Example]) -> frozenset[tuple[str, str]]:
    return frozenset((e.id, e.hash) for e in items)


def contamination(
    a: SourceLike,
    b: SourceLike,
    *,
    project: ProjectLike = None,
    ngram: int = 3,
    containment: float = 0.5,
    jaccard: float = 0.6,
    use_signature: bool = True,
    max_rate: float | None = None,
    examples: int = 10,
) -> ContaminationReport:
    """How many items of ``a`` have a near-duplicate in ``b``: by word n-gram containment, by
    MinHash-estimated (then exact) word Jaccard, and by the application's structural signature;
    an item is contaminated when any method clears its threshold (see
    ``evalwheel.datasets.contamination``). With ``max_rate`` the report's ``passed`` says whether
    the contaminated share stays at or below it; the report never raises for that (the CLI and
    gates turn a failed verdict into exit 1). A source that cannot be read is an ``InputError`` or
    ``NotFoundError`` naming it."""
    try:
        settings = ContaminationSettings(
            ngram=ngram, containment=containment, jaccard=jaccard, signature=use_signature
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InputError(first["msg"], field=".".join(map(str, first["loc"]))) from None
    if max_rate is not None and not 0 <= max_rate <= 1:
        raise InputError(f"must be between 0 and 1, not {max_rate}", field="max_rate")
    if examples < 0:
        raise InputError(f"must be 0 or more, not {examples}", field="examples")
    opener = _ProjectOpener(project)
    source_a, source_b = load_source(a, opener), load_source(b, opener)
    apps = [s.app for s in (source_a, source_b) if s.app is not None]
    apps += [app for _, app in sorted(load_apps().items()) if all(app is not x for x in apps)]
    return find_contamination(
        source_a.examples,
        source_b.examples,
        settings,
        signature_of(apps),
        a_label=source_a.label,
        b_label=source_b.label,
        examples=examples,
        max_rate=max_rate,
        exclude_self=bool(source_a.collection) and source_a.collection == source_b.collection,
    )


class _ProjectOpener:
    """The project, opened only when a source needs it (two files need none)."""

    def __init__(self, project: ProjectLike) -> None:
        self._given, self._project = project, None

    def get(self, source: str) -> Project:
        """The project ``source`` needs; not finding one is an error that names the source."""
        if self._project is None:
            try:
                self._project = open_project(self._given)
            except NotFoundError as exc:
                raise NotFoundError(f"{source}: {exc}") from None
        return self._project

    def optional(self) -> Project | None:
        """The project, or None where there is none (``APP-local`` systems need no project)."""
        try:
            return self.get("")
        except NotFoundError:
            return None

    def policy(self) -> SplitPolicy:
        """The project's split policy; the defaults where there is no project (a file's split)."""
        project = self.optional()
        return SplitPolicy() if project is None else split_policy(project)


def load_source(source: SourceLike, opener: _ProjectOpener | ProjectLike = None) -> Source:
    """The items a source stands for (see the module)."""
    if not isinstance(opener, _ProjectOpener):
        opener = _ProjectOpener(opener)
    if isinstance(source, os.PathLike):
        return _file(Path(source), None, str(source), opener)
    if not isinstance(source, str):
        items = [_example(item, n) for n, item in enumerate(source, 1)]
        return Source("<examples>", items, collection=_collection(items))
    if source.startswith(SYSTEM_PREFIX):
        return _system(source, opener)
    base, sep, split = source.rpartition(":")
    has_split = bool(sep) and split in SPLITS and bool(base)
    if Path(source).is_file():
        ref, split_name = source, None
    elif has_split and Path(base).is_file():
        ref, split_name = base, split
    else:
        return _dataset(base if has_split else source, split if has_split else None, source, opener)
    if _stored(ref, opener):
        raise InputError(
            f"{source}: both a file and a stored dataset; write ./{source} for the file or "
            f"{ref}@latest{source[len(ref) :]} for the dataset"
        )
    return _file(Path(ref), split_name, source, opener)


def _stored(name: str, opener: _ProjectOpener) -> bool:
    """Whether ``name`` is also a dataset of the project (False without a project)."""
    if not is_valid_name(name):
        return False
    project = opener.optional()
    if project is None:
        return False
    store = project.open_store()
    try:
        return bool(DatasetRepository(store).list_versions(name))
    finally:
        store.close()


def _example(item: Example | Mapping[str, Any], number: int) -> Example:
    if isinstance(item, Example):
        return item
    try:
        return Example.model_validate(dict(item))
    except (ValidationError, TypeError, ValueError) as exc:
        raise InputError(f"not an example: {exc}", file="<examples>", line=number) from None


def _system(source: str, opener: _ProjectOpener) -> Source:
    from evalwheel.runner.systems import resolve_system

    name = source[len(SYSTEM_PREFIX) :]
    try:
        resolved = resolve_system(opener.optional(), name)
    except NotFoundError as exc:
        raise NotFoundError(f"{source}: {exc}") from None
    except EvalwheelError as exc:
        raise InputError(f"{source}: {exc}") from None
    learned = learned_from(resolved.app, dict(resolved.system.params))
    if learned is None:
        raise InputError(
            f"{source}: application {resolved.system.app!r} does not say what the system learnt "
            "from (it has no learned_from hook)"
        )
    label = f"{source} (what it learnt from)"
    return Source(label, learned, resolved.app, collection=_collection(learned))


def _dataset(ref: str, split: str | None, source: str, opener: _ProjectOpener) -> Source:
    name = ref.partition("@")[0]
    looks_like_path = Path(ref).suffix.lower() in _DATA_SUFFIXES
    if not is_valid_name(name) and (looks_like_path or any(ch in ref for ch in "/\\")):
        raise NotFoundError(f"{source}: no such file")
    if ":" in ref and not is_valid_name(ref):
        wanted = ref.rpartition(":")[2]
        raise InputError(
            f"{source}: split {wanted!r} is not one of {', '.join(SPLITS)} (and no such file)"
        )
    project = opener.optional() if looks_like_path else opener.get(source)
    if project is None:
        raise NotFoundError(f"{source}: no such file")
    store = project.open_store()
    try:
        repo = DatasetRepository(store)
        try:
            version = resolve_version(repo, ref)
        except NotFoundError as exc:
            why = "no such file, nor a dataset" if looks_like_path else f"{exc}, nor a file"
            raise NotFoundError(f"{source}: {why} of that name") from None
        except InputError as exc:
            raise InputError(f"{source}: {exc.detail}") from None
        items = list(repo.iter_examples(version.version_id))
    finally:
        store.close()
    label = version.ref + (f":{split}" if split else "")
    return Source(label, _in_split(items, split, opener), collection=_collection(items))


def _in_split(items: list[Example], split: str | None, opener: _ProjectOpener) -> list[Example]:
    if split is None:
        return items
    policy = opener.policy()
    signature = split_signature(policy)
    return [e for e in items if assign_split(e, policy, signature) == split]


def _file(path: Path, split: str | None, source: str, opener: _ProjectOpener) -> Source:
    try:
        fields = _input_column(path)
        prepared = validate_file(path, "benchmark", field_map=fields)
    except ImportFailed as exc:
        lines = exc.lines()
        more = f" (and {len(lines) - 1} more problems)" if len(lines) > 1 else ""
        first = lines[0] if lines else f"{source}: unreadable"
        where = "" if first.startswith(str(path)) else f"{source}: "  # the line names the file
        raise InputError(f"{where}{first}{more}") from None
    except (FileNotFoundError, ValueError) as exc:
        raise InputError(f"{source}: {exc}") from None
    items = [Example.model_validate_json(p.payload) for p in prepared]
    label = str(path) + (f":{split}" if split else "")
    return Source(label, _in_split(items, split, opener), collection=_collection(items))


def _input_column(path: Path) -> dict[str, str]:
    """``{"input": COLUMN}`` when the file has no ``input`` column but one of its usual names."""
    counter = ByteCounter()
    first = next(iter(read_rows(path, detect_format(path), counter)), None)
    columns = set(first.data) if first is not None else set()
    if not columns or "input" in columns:
        return {}
    column = next((c for c in SYNONYMS["input"] if c in columns), None)
    return {"input": column} if column else {}
