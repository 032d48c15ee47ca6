"""What every configured system kind shares: its config model, the App methods that do not depend
on the kind, and turning a config table into a validated model with errors that name the field.

A configured system (``[systems.NAME]`` with a ``kind``) is a user's own agent, not a domain
application: it brings no checks of its own (generic scorers and judges score it), renders input
and output as plainly delimited text, and compares outputs as JSON values. Only ``run`` and
``describe`` differ between kinds.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, JsonValue, ValidationError

from evalwheel.apps.interface import AppOutput, CheckResult
from evalwheel.core.example import Example
from evalwheel.errors import EvalwheelError, InputError
from evalwheel.project.config import locate, read_config_text

CONFIG_FILE = "evalwheel.toml"


class SystemCallError(EvalwheelError):
    """The system failed on one item (an HTTP error, a missing output field, a bad return value).

    The runner records it as that item's error; its message never carries a secret.
    """


class KindConfig(BaseModel):
    """The fields every kind accepts. Unknown keys are refused, so a typo is an error, not a
    silently ignored setting."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str


def config_error(
    name: str, exc: ValidationError, project_root: Path | None, prefix: tuple[str, ...] = ()
) -> InputError:
    """The first validation problem as ``FILE:LINE: systems.NAME.field: message``, the others on
    the lines after it (a user fixing a table wants to see all of it at once)."""
    path = project_root / CONFIG_FILE if project_root is not None else None
    text = ""
    if path is not None and path.is_file():
        try:
            text = read_config_text(path)
        except InputError:
            text = ""
    problems: list[tuple[str, int | None, str]] = []
    for error in exc.errors():
        loc = ("systems", name, *prefix, *(str(p) for p in error["loc"]))
        message = "required" if error["type"] == "missing" else error["msg"]
        if error["type"] == "extra_forbidden":
            message = "unknown setting for this kind"
        problems.append((".".join(loc), locate(text, loc) if text else None, message))
    field, line, message = problems[0]
    for other_field, other_line, other_message in problems[1:]:
        where = f"{path}:{other_line}: " if path and other_line else ""
        message += f"\n{where}{other_field}: {other_message}"
    return InputError(message, file=str(path) if path and text else None, line=line, field=field)


def field_error(
    name: str, field: str, message: str, project_root: Path | None = None
) -> InputError:
    """One problem with one setting, located in evalwheel.toml when the file is there."""
    path = project_root / CONFIG_FILE if project_root is not None else None
    loc = ("systems", name, *field.split("."))
    line = None
    if path is not None and path.is_file():
        try:
            line = locate(read_config_text(path), loc)
        except InputError:
            line = None
    return InputError(message, file=str(path) if line else None, line=line, field=".".join(loc))


def as_text(value: JsonValue) -> str:
    """A value as a person reads it: strings as they are, anything else as indented JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=1, sort_keys=True, ensure_ascii=False)


def same_value(a: JsonValue, b: JsonValue) -> bool:
    """JSON-equal, with strings compared without surrounding whitespace and a string holding JSON
    equal to the value it encodes (one system may return ``"{\\"a\\": 1}"``, another ``{"a": 1}``)."""
    return _normal(a) == _normal(b)


def _normal(value: JsonValue) -> JsonValue:
    if isinstance(value, str):
        text = value.strip()
        if text[:1] in ("{", "["):
            try:
                parsed: JsonValue = json.loads(text)
            except json.JSONDecodeError:
                return text
            return parsed
        return text
    return value


class ConfiguredSystem:
    """The App methods shared by every kind. Subclasses set ``kind`` and implement ``run`` and
    ``describe``; ``name`` is the kind, so runs record ``app = "openai"`` and so on."""

    kind: ClassVar[str] = ""
    config_model: ClassVar[type[KindConfig]] = KindConfig

    def __init__(self, system_name: str, config: KindConfig, project_root: Path | None) -> None:
        self.name = self.kind
        self.system_name = system_name
        self.config = config
        self.project_root = project_root

    @classmethod
    def from_table(cls, name: str, table: dict[str, Any], project_root: Path | None) -> Self:
        """Validate ``[systems.NAME]``; every problem is an ``InputError`` naming its field."""
        try:
            config = cls.config_model.model_validate(table)
        except ValidationError as exc:
            raise config_error(name, exc, project_root) from None
        return cls(name, config, project_root)

    def describe(self, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Everything that decides the system's behaviour (never a secret): hashed into its
        version, so changing any of it makes a new system version. ``params`` is accepted as an
        application's ``describe(params)`` takes it; a configured kind's behaviour is all in its
        table."""
        raise NotImplementedError

    async def run(self, example: Example, client: Any, params: dict[str, Any]) -> AppOutput:
        raise NotImplementedError

    def example_datasets(self) -> list[tuple[str, str, Path]]:
        return []

    def field_maps(self) -> dict[str, dict[str, str]]:
        return {}

    def check(self, example: Example, output: AppOutput) -> list[CheckResult]:
        """No checks of its own: generic scorers and judges score a user's agent."""
        return []

    def render(self, example: Example, output: AppOutput) -> str:
        """Input and output as plainly delimited text, for a judge or a person."""
        parts = ["=== INPUT ===", as_text(example.input)]
        if output.error is not None:
            parts += ["=== ERROR ===", output.error]
        else:
            parts += ["=== OUTPUT ===", as_text(output.artifact)]
            if output.tool_calls:
                parts += ["=== TOOL CALLS ===", as_text(output.tool_calls)]
        parts.append("=== END ===")
        return "\n".join(parts)

    def same(self, a: AppOutput, b: AppOutput) -> bool:
        """Two outputs mean the same when neither failed and their artifacts are JSON-equal."""
        return a.error is None and b.error is None and same_value(a.artifact, b.artifact)

    def relate(self, example: Example | None, a: AppOutput, b: AppOutput) -> None:
        """No opinion: mirroring compares a user's agent with the generic rules, which look at
        its text and tool calls as well as the artifact ``same`` compares."""
        return None

    def ideal_trajectory(self, request: str, artifact: JsonValue) -> list[dict[str, Any]]:
        """The request as the user's message and the artifact as the assistant's answer."""
        return [
            {"role": "user", "content": request},
            {"role": "assistant", "content": as_text(artifact)},
        ]
