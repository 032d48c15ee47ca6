"""``evalwheel.toml``: the project's configuration, validated with errors that name line and field.

Sections for later capabilities (models, systems, judges, gates) are accepted as tables here and
validated by the capability that owns them; unknown top-level sections are rejected so that a typo
doesn't silently do nothing.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from evalwheel.errors import InputError

CONFIG_FILE = "evalwheel.toml"


class ConfigError(InputError):
    """The configuration file is unreadable or invalid; the message names file, line and field."""


class ProjectSection(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)


class StoreSection(BaseModel):
    model_config = ConfigDict(extra="forbid")
    database_url: str | None = None
    blob_dir: str | None = None


class SplitSection(BaseModel):
    """How train/dev/test splits are derived (see ``datasets.splits``)."""

    model_config = ConfigDict(extra="forbid")
    seed: int = 0
    train: float = Field(default=0.6, ge=0, le=1)
    dev: float = Field(default=0.2, ge=0, le=1)
    test: float = Field(default=0.2, ge=0, le=1)
    stratify_by: str | None = Field(
        default="tags", description="'tags', 'label', a metadata key, or none"
    )

    @model_validator(mode="after")
    def _fractions_sum_to_one(self) -> SplitSection:
        total = self.train + self.dev + self.test
        if abs(total - 1.0) > 1e-9:
            raise ValueError(f"train + dev + test must be 1, got {total:g}")
        return self


class DatasetsSection(BaseModel):
    model_config = ConfigDict(extra="forbid")
    splits: SplitSection = Field(default_factory=SplitSection)


class PriceEntry(BaseModel):
    """USD per million tokens for a model id, extending the built-in price table."""

    model_config = ConfigDict(extra="forbid")
    input_usd_per_mtok: float = Field(ge=0)
    output_usd_per_mtok: float = Field(ge=0)


class ProjectConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    project: ProjectSection
    store: StoreSection = Field(default_factory=StoreSection)
    datasets: DatasetsSection = Field(default_factory=DatasetsSection)
    models: dict[str, dict[str, Any]] = Field(default_factory=dict)
    systems: dict[str, dict[str, Any]] = Field(default_factory=dict)
    judges: dict[str, dict[str, Any]] = Field(default_factory=dict)
    gates: dict[str, dict[str, Any]] = Field(default_factory=dict)
    prices: dict[str, PriceEntry] = Field(default_factory=dict)


_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-\"'.]+)\s*=")


def locate(text: str, loc: tuple[str | int, ...]) -> int | None:
    """Best-effort line number (1-based) of the key at ``loc`` in TOML text, for error messages."""
    parts = [str(p) for p in loc]
    table: list[str] = []
    best: int | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            table = [p.strip().strip("\"'") for p in header.group(1).split(".")]
            if table == parts[: len(table)] and best is None and len(table) >= len(parts) - 1:
                best = number
            continue
        key = _KEY.match(line)
        if key:
            path = table + [p.strip().strip("\"'") for p in key.group(1).split(".")]
            if path == parts[: len(path)]:
                return number
    return best


def load_config(path: Path) -> ProjectConfig:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    try:
        return ProjectConfig.model_validate(data)
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            loc = tuple(error["loc"])
            line = locate(text, loc)
            where = f"{path}:{line}" if line else str(path)
            field = ".".join(str(p) for p in loc) or "(top level)"
            lines.append(f"{where}: {field}: {error['msg']}")
        raise ConfigError("\n".join(lines)) from None


def render_default_config(name: str) -> str:
    return f"""\
# evalwheel project configuration. Reference: docs/configuration.md
# Environment variables override: EVALWHEEL_DATABASE_URL, EVALWHEEL_BLOB_DIR.

[project]
name = {name!r}

[store]
# Default: one SQLite file at .evalwheel/store.db. For PostgreSQL:
# database_url = "postgresql://user@localhost:5432/evalwheel"
# blob_dir = ".evalwheel/blobs"

[datasets.splits]
# An item's split depends only on its own id, the seed and its stratum, so it never moves
# when other items are added.
seed = 0
train = 0.6
dev = 0.2
test = 0.2
stratify_by = "tags"

# Models: "local" (the embedded SmolLM2-135M) is always there. An OpenAI-compatible endpoint:
# [models.gpt4o-mini]
# base_url = "https://api.openai.com/v1"
# model = "gpt-4o-mini"
# api_key_env = "OPENAI_API_KEY"      # the variable's NAME; keys never go in this file
# max_concurrency = 32
# rpm = 500
# tpm = 200000
# params = {{ temperature = 0 }}
#
# [prices."my-model"]                 # extends the built-in price table (USD per 1M tokens)
# input_usd_per_mtok = 0.2
# output_usd_per_mtok = 0.8

# Later capabilities add their sections here: [systems.NAME], [judges.NAME],
# [gates.commit], [gates.merge], [gates.release].
"""
