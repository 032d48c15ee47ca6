"""Datasets and their immutable, content-hashed versions."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from evalwheel.core.hashing import content_hash, short

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}$"
_NAME_RE = re.compile(NAME_PATTERN)


KIND_PATTERN = r"^[a-z][a-z0-9_-]{0,31}$"  # fits the stores' kind column (32)
_KIND_RE = re.compile(KIND_PATTERN)


class DatasetKind(StrEnum):
    """What a dataset is for; each kind has its own row schema (see ``datasets.kinds``).

    The members are the platform's own kinds. Applications add theirs (Flow: ``workflows``)
    through their ``dataset_kinds()``, so the set is open: any well-formed name is a kind
    (``DatasetKind("workflows")`` makes a pseudo-member), which also keeps a stored dataset
    readable where the application that defined its kind is not installed. Whether rows of a kind
    can be imported is decided by ``datasets.kinds.row_schema``.
    """

    BENCHMARK = "benchmark"
    GOLDEN = "golden"
    TRAFFIC = "traffic"
    SYNTHETIC = "synthetic"
    QA = "qa"
    CONVERSATIONS = "conversations"
    ESSENCES = "essences"

    @classmethod
    def _missing_(cls, value: object) -> DatasetKind | None:
        if not isinstance(value, str) or not _KIND_RE.match(value):
            return None
        member = str.__new__(cls, value)
        member._name_ = value.upper().replace("-", "_")
        member._value_ = value
        return cls._value2member_map_.setdefault(value, member)  # type: ignore[return-value]


def version_id_for(kind: DatasetKind | str, example_hashes: Iterable[str]) -> str:
    """The id of a version: a hash of its kind and the set of its examples' content hashes.

    Row order does not matter (a re-sorted file is the same data), duplicates are rejected at import,
    and the kind is part of the identity because each kind validates rows differently.
    """
    return content_hash({"kind": DatasetKind(kind).value, "examples": sorted(example_hashes)})


def is_valid_name(name: str) -> bool:
    return bool(_NAME_RE.match(name))


class DatasetVersion(BaseModel):
    """One immutable version of a named dataset."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(pattern=NAME_PATTERN)
    kind: DatasetKind
    version_id: str
    seq: int = Field(ge=1, description="1 for the first version imported under this name, then 2…")
    n_items: int = Field(ge=0)
    created_at: datetime
    source: str | None = Field(default=None, description="Where the data came from (a file path).")

    @property
    def ref(self) -> str:
        return f"{self.name}@{short(self.version_id)}"


class DatasetRef(BaseModel):
    """A parsed ``name[@version]`` reference.

    The version part may be a (prefix of a) version id, ``v<seq>``, or ``latest``; no version means
    the latest.
    """

    model_config = ConfigDict(frozen=True)

    name: str
    version: str | None = None

    @classmethod
    def parse(cls, text: str) -> DatasetRef:
        name, sep, version = text.partition("@")
        if not is_valid_name(name):
            raise ValueError(
                f"invalid dataset name {name!r}: use letters, digits, '_', '-', '.' (max 128)"
            )
        if sep and not version:
            raise ValueError(
                f"empty version in {text!r}: write NAME, NAME@latest, NAME@v2 or NAME@<id>"
            )
        return cls(name=name, version=version or None)

    def __str__(self) -> str:
        return self.name if self.version is None else f"{self.name}@{self.version}"
