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

import tomli_w
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from evalwheel.datasets.splits import group_by_problem
from evalwheel.errors import InputError
from evalwheel.inputfiles import first_problem, read_text

CONFIG_FILE = "evalwheel.toml"


class ConfigError(InputError):
    """The configuration file is unreadable or invalid; the message names file, line and field."""


class ProjectSection(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)

    @field_validator("name")
    @classmethod
    def _printable(cls, value: str) -> str:
        check_project_name(value)
        return value


def check_project_name(name: str) -> None:
    """A project name is one line of printable text: it is shown in reports and headers."""
    if not name.strip():
        raise ValueError("must not be blank")
    if any(not ch.isprintable() for ch in name):
        raise ValueError("must not contain newlines or control characters")


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
    group_by: str | None = Field(
        default=None,
        description="keep groups in one split: a metadata key, 'tags:PREFIX' or 'signature'",
    )

    @field_validator("group_by")
    @classmethod
    def _grouping(cls, value: str | None) -> str | None:
        problem = group_by_problem(value)
        if problem:
            raise ValueError(problem)
        return value

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


_KEY_PART = r"""(?:"(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_-]+)"""
_DOTTED = rf"{_KEY_PART}(?:\s*\.\s*{_KEY_PART})*"
_HEADER = re.compile(rf"^\s*\[\[?\s*({_DOTTED})\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(rf"^\s*({_DOTTED})\s*=")
_DIGIT_RUN = re.compile(r"[0-9_]{100,}")
_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")


def _key_parts(dotted: str) -> list[str]:
    """``a."b.c".d`` → ``["a", "b.c", "d"]``, decoded by tomllib itself (quotes, escapes)."""
    try:
        tree: Any = tomllib.loads(f"{dotted} = 0")
    except tomllib.TOMLDecodeError:
        return []
    parts = []
    while isinstance(tree, dict) and tree:
        key = next(iter(tree))
        parts.append(key)
        tree = tree[key]
    return parts


def locate(text: str, loc: tuple[str | int, ...]) -> int | None:
    """Line number (1-based) of the key at ``loc`` in TOML text, for error messages.

    tomllib keeps no positions, so this reads table headers and ``key =`` lines (quoted and
    dotted keys included, multi-line strings skipped). When the key itself is absent (a required
    field left out) it answers the line of the deepest table or key on the way there, so an error
    always points into the right section.
    """
    parts = [str(p) for p in loc]
    table: list[str] = []
    best: tuple[int, int] | None = None  # (matched depth, line)
    in_string: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if in_string:
            if line.count(in_string) % 2:
                in_string = None
            continue
        header = _HEADER.match(line)
        if header:
            table = _key_parts(header.group(1))
            path = table
        else:
            key = _KEY.match(line)
            if not key:
                continue
            path = table + _key_parts(key.group(1))
            rest = line[key.end() :]
            for quotes in ('"""', "'''"):
                if rest.count(quotes) % 2:
                    in_string = quotes
        if path and path == parts[: len(path)]:
            if len(path) == len(parts):
                return number
            if best is None or len(path) > best[0]:
                best = (len(path), number)
    return best[1] if best else None


def read_config_text(path: Path) -> str:
    """The text of a configuration file: UTF-8 (BOM or not) or UTF-16/32 with a BOM."""
    try:
        return read_text(path)
    except InputError as exc:
        raise ConfigError(exc.detail, file=exc.file, line=exc.line, field=exc.field) from None


def problem_lines(
    exc: ValidationError, prefix: tuple[str, ...], path: Path | str, text: str | None = None
) -> list[str]:
    """One ``FILE:LINE: section.name.field: message`` per validation error of a config section.

    ``prefix`` is where the validated table sits (``("models", "gpt")``); ``text`` is the file's
    text, read from ``path`` when not given (a file that cannot be read just gives no lines).
    """
    if text is None:
        try:
            text = read_text(Path(path)) if Path(path).is_file() else ""
        except InputError:
            text = ""
    lines = []
    for error in exc.errors():
        loc = (*prefix, *(str(p) for p in error["loc"]))
        line = locate(text, loc) if text else None
        where = f"{path}:{line}" if line else str(path)
        field = ".".join(loc) or "(top level)"
        message = (
            "required" if error["type"] == "missing" else error["msg"].removeprefix("Value error, ")
        )
        lines.append(f"{where}: {field}: {message}")
    return lines


def _toml_error(path: Path, text: str, exc: Exception) -> ConfigError:
    """tomllib's own errors (``… (at line 3, column 5)``) and the int-str conversion limit's
    ValueError, as ``FILE:LINE: (file): message``."""
    message = str(exc)
    position = _TOML_POSITION.search(message)
    if isinstance(exc, tomllib.TOMLDecodeError):
        if position:
            detail = f"invalid TOML: {message[: position.start()]} (column {position.group(2)})"
            return ConfigError(detail, file=str(path), line=int(position.group(1)), field="(file)")
        return ConfigError(f"invalid TOML: {message}", file=str(path), field="(file)")
    line = next(
        (
            n
            for n, row in enumerate(text.splitlines(), start=1)
            if any(len(m.group().replace("_", "")) > 4300 for m in _DIGIT_RUN.finditer(row))
        ),
        None,
    )
    return ConfigError(
        "number too large (more than 4,300 digits)", file=str(path), line=line, field="(file)"
    )


def load_config(path: Path) -> ProjectConfig:
    text = read_config_text(path)
    try:
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, ValueError) as exc:
        raise _toml_error(path, text, exc) from None
    problem = first_problem(data, int_bits=64)
    if problem:
        loc, message = problem
        field = ".".join(str(p) for p in loc) or "(file)"
        raise ConfigError(message, file=str(path), line=locate(text, loc), field=field)
    try:
        return ProjectConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError("\n".join(problem_lines(exc, (), path, text))) from None


def render_default_config(name: str) -> str:
    """The file ``evalwheel init`` writes; the name is written by tomli_w, so quotes, backslashes
    and non-ASCII names round-trip (``ConfigError`` for a name that is not one printable line)."""
    try:
        check_project_name(name)
    except ValueError as exc:
        raise ConfigError(str(exc), field="project.name") from None
    name_line = tomli_w.dumps({"name": name}).strip()
    return f"""\
# evalwheel project configuration. Reference: docs/configuration.md
# Environment variables override: EVALWHEEL_DATABASE_URL, EVALWHEEL_BLOB_DIR.

[project]
{name_line}

[store]
# Default: one SQLite file at .evalwheel/store.db. For PostgreSQL:
# database_url = "postgresql://user@localhost:5432/evalwheel"
# blob_dir = ".evalwheel/blobs"

[datasets.splits]
# An item's split depends only on its own id (or its group), the seed and its stratum, so it
# never moves when other items are added.
seed = 0
train = 0.6
dev = 0.2
test = 0.2
stratify_by = "tags"
# Keep every item of a group in one split: a metadata key, "tags:PREFIX" (the tag that starts
# with PREFIX) or "signature" (the application's structural signature: one template, one split).
# group_by = "signature"

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
