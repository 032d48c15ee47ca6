"""Every dataset kind and its row schema: the platform's own, and those applications register.

The platform never names an application's kinds. An application that needs one (Flow's
``workflows``: a production workflow and its merchant) defines a row schema on
``datasets.schemas.RowBase`` and returns ``{kind: schema}`` from an optional ``dataset_kinds()``
method on its App. Kind names stored in the database never change, and a stored dataset of a kind
whose application is not installed still reads (``DatasetKind`` is open); only importing new rows
needs the schema.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from functools import cache

from evalwheel.core.dataset import KIND_PATTERN
from evalwheel.datasets.schemas import PLATFORM_ROW_SCHEMAS, RowBase
from evalwheel.errors import InputError


class UnknownKind(InputError, KeyError):
    """No installed schema for this kind (a ``KeyError`` too, so ``kind in ROW_SCHEMAS`` works)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return Exception.__str__(self)


@cache
def application_kinds() -> dict[str, tuple[str, type[RowBase]]]:
    """kind → (application, row schema) for every installed application's ``dataset_kinds()``.

    A broken plugin is a ``TypeError`` naming it (as ``load_apps`` does): a kind that is not a
    well-formed name, a schema that is not a ``RowBase``, or a name already taken.
    """
    from evalwheel.apps import load_apps

    found: dict[str, tuple[str, type[RowBase]]] = {}
    for app_name, app in sorted(load_apps().items()):
        declare = getattr(app, "dataset_kinds", None)
        if declare is None:
            continue
        for kind, schema in dict(declare()).items():
            if not re.match(KIND_PATTERN, kind):
                raise TypeError(f"application {app_name!r}: {kind!r} is not a valid kind name")
            if not (isinstance(schema, type) and issubclass(schema, RowBase)):
                raise TypeError(
                    f"application {app_name!r}: the schema of kind {kind!r} is not a RowBase model"
                )
            owner = "evalwheel" if kind in PLATFORM_ROW_SCHEMAS else found.get(kind, (None,))[0]
            if owner is not None:
                raise TypeError(f"application {app_name!r}: kind {kind!r} is already {owner}'s")
            found[kind] = (app_name, schema)
    return found


def dataset_kinds() -> dict[str, type[RowBase]]:
    """kind → row schema, the platform's first."""
    return {
        **PLATFORM_ROW_SCHEMAS,
        **{kind: schema for kind, (_, schema) in application_kinds().items()},
    }


def kind_owner(kind: str) -> str | None:
    """``evalwheel`` for a platform kind, the application's name for its kinds, else None."""
    if kind in PLATFORM_ROW_SCHEMAS:
        return "evalwheel"
    entry = application_kinds().get(kind)
    return entry[0] if entry else None


def row_schema(kind: str) -> type[RowBase]:
    """The row schema of ``kind``; ``UnknownKind`` (field ``kind``) lists the kinds there are."""
    schema = dataset_kinds().get(str(kind))
    if schema is None:
        known = ", ".join(dataset_kinds())
        raise UnknownKind(
            f"unknown kind {str(kind)!r}; known: {known} (applications add kinds)", field="kind"
        )
    return schema


class _RowSchemas(Mapping[str, type[RowBase]]):
    """``ROW_SCHEMAS[kind]``: every kind's schema, looked up when asked (applications are loaded
    then, not at import)."""

    def __getitem__(self, kind: str) -> type[RowBase]:
        return row_schema(kind)

    def __iter__(self) -> Iterator[str]:
        return iter(dataset_kinds())

    def __len__(self) -> int:
        return len(dataset_kinds())


ROW_SCHEMAS: Mapping[str, type[RowBase]] = _RowSchemas()
