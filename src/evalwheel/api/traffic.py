"""Production traffic through the API: a log or trace file becomes a ``traffic`` dataset, redacted
before anything is stored, every item carrying where and when it was seen."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from evalwheel.api.datasets import _name
from evalwheel.api.projects import ProjectLike, open_project
from evalwheel.core.dataset import DatasetKind
from evalwheel.store.datasets import DatasetRepository
from evalwheel.traffic.importer import prepare_traffic
from evalwheel.traffic.pii import Redactor
from evalwheel.traffic.redact_hook import load_hook

TrafficFormat = Literal["otlp", "chat", "jsonl"]


class TrafficImport(BaseModel):
    """What an import stored: the version, how many calls and conversations, what was hidden."""

    model_config = ConfigDict(frozen=True)

    dataset: str = Field(description="NAME@VERSION of the stored version.")
    name: str
    version_id: str
    seq: int = Field(ge=1)
    created: bool = Field(description="False when the same content was already a version.")
    format: TrafficFormat = Field(description="The format read (given, or detected).")
    items: int = Field(ge=0, description="Model calls stored (one per span / log line).")
    conversations: int = Field(ge=0)
    skipped_spans: int = Field(ge=0, description="OTLP spans that were not model calls.")
    redactions: dict[str, int] = Field(
        default_factory=dict,
        description="Replacements per kind: api_key, email, card, phone, hook (strings changed).",
    )
    source: str


def import_traffic(
    path: str | os.PathLike[str],
    name: str,
    *,
    format: TrafficFormat | None = None,
    mapping: Mapping[str, str] | None = None,
    redact: bool = True,
    redact_hook: str | Callable[[str], str] | None = None,
    project: ProjectLike = None,
) -> TrafficImport:
    """Import production traffic (OTLP JSON spans, OpenAI-style chat logs, or any JSONL log with
    ``mapping`` naming its columns) as a version of the ``traffic`` dataset ``name``.

    E-mails, phone numbers, Luhn-valid card numbers and keys are replaced by typed placeholders
    unless ``redact`` is False; ``redact_hook`` (a function, or ``module:function`` /
    ``file.py:function``) then runs on every string. A bad record raises ``InputError``
    (``TrafficImportFailed``) naming FILE:LINE and the field; nothing is stored then.
    """
    name = _name(name)
    hook = load_hook(redact_hook) if isinstance(redact_hook, str) else redact_hook
    source = Path(path)
    prepared = prepare_traffic(
        source, format, dict(mapping or {}), Redactor(builtins=redact, hook=hook)
    )
    store = open_project(project).open_store()
    try:
        version, created = DatasetRepository(store).save_version(
            name, DatasetKind.TRAFFIC, prepared.examples, source=str(source)
        )
    finally:
        store.close()
    return TrafficImport(
        dataset=version.ref,
        name=version.name,
        version_id=version.version_id,
        seq=version.seq,
        created=created,
        format=prepared.format,  # type: ignore[arg-type]
        items=version.n_items,
        conversations=prepared.conversations,
        skipped_spans=prepared.skipped_spans,
        redactions=prepared.redactions,
        source=str(source),
    )
