"""The row schema of each dataset kind.

Every kind shares the Example fields; each kind states which of them it requires and what shape they
take. Fields a row has beyond these go into ``metadata`` (kept, hashed, exported), so a user's extra
columns are never dropped. ``evalwheel dataset schema KIND`` prints these as JSON Schema.
Applications define their own kinds' rows (Flow's ``workflows``) on ``RowBase`` and register them
through the App's optional ``dataset_kinds()``; see ``datasets.kinds``.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from evalwheel.core.dataset import DatasetKind

SplitName = Literal["train", "dev", "test"]
# Values are checked for JSON-compatibility when the row is serialised (see importer.prepare),
# which is much cheaper than pydantic's recursive JsonValue validation on every nested value.
JsonValue = Any
NonEmptyText = Annotated[str, StringConstraints(min_length=1, strip_whitespace=False)]
Request = NonEmptyText | dict[str, JsonValue] | list[JsonValue]


class RowBase(BaseModel):
    model_config = ConfigDict(extra="allow", str_strip_whitespace=False)

    #: Declared fields that are stored under ``metadata`` rather than as Example fields.
    metadata_fields: ClassVar[tuple[str, ...]] = ()

    id: Annotated[str, StringConstraints(min_length=1, max_length=256)] | int | None = None
    input: JsonValue = None
    reference: JsonValue = None
    output: JsonValue = None
    label: str | None = None
    tags: list[Annotated[str, StringConstraints(min_length=1)]] = Field(default_factory=list)
    split: SplitName | None = None
    metadata: dict[str, JsonValue] = Field(default_factory=dict)

    @field_validator("id")
    @classmethod
    def _id_storable(cls, value: Any) -> Any:
        # Ids go into an indexed text column: PostgreSQL refuses NUL there, and a huge integer
        # would become a string longer than the column.
        if isinstance(value, int) and not -(2**63) <= value < 2**63:
            raise ValueError("integer id out of the 64-bit range; write it as a string")
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain a NUL character (\\x00)")
        return value

    @field_validator("input")
    @classmethod
    def _input_not_blank(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            raise ValueError("must not be blank")
        return value


class BenchmarkRow(RowBase):
    """A request for the system, with an optional reference output to check against."""

    input: Request


class GoldenRow(RowBase):
    """A frozen, human-labelled item: the request, the output under judgement, its label."""

    input: Request
    output: JsonValue = Field(...)
    label: NonEmptyText

    @field_validator("output")
    @classmethod
    def _output_present(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("a golden item needs the output that was labelled")
        return value


class TrafficRow(RowBase):
    """A production request, with the output production gave when known."""

    input: Request


class SyntheticRow(RowBase):
    """A generated request with its ideal output (trajectory), and where it came from."""

    input: Request
    reference: JsonValue = Field(...)

    @field_validator("reference")
    @classmethod
    def _reference_present(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("a synthetic item needs its reference")
        return value


class QaRow(RowBase):
    """A question for a user's own agent (``[systems.NAME]`` with a ``kind``): the input (text,
    a JSON object, or a list of chat messages), an optional reference answer, tags and metadata.
    Generic scorers (``exact_match``, ``regex:…``) and judges score it."""

    input: Request


class ConversationMessage(BaseModel):
    """One turn of a real conversation. An assistant turn may say what it did (``outcome``) and
    carry the artifact it produced, so a conversation's last artifact and its clarifying questions
    can be read without parsing prose."""

    model_config = ConfigDict(extra="allow")

    role: Literal["user", "assistant"]
    content: NonEmptyText
    outcome: str | None = None
    artifact: JsonValue = None


class ConversationsRow(RowBase):
    """A real multi-turn conversation (``input``: its messages, the user's first), what the user
    wanted in the end (``reference``, when known), the last artifact it produced (``output``) and
    whether the user's goal was met (``label``: success or failure). Simulation extracts its goal
    (an essence) and replays it; realism compares simulated conversations with these."""

    metadata_fields: ClassVar[tuple[str, ...]] = ("expect", "served_by")

    input: list[dict[str, JsonValue]] = Field(min_length=1)
    label: Literal["success", "failure"] | None = None
    expect: str | None = None
    served_by: str | None = None

    @field_validator("input")
    @classmethod
    def _messages(cls, value: list[dict[str, JsonValue]]) -> list[dict[str, JsonValue]]:
        for number, message in enumerate(value):
            try:
                ConversationMessage.model_validate(message)
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"])
                raise ValueError(f"message {number}: {where}: {first['msg']}") from None
        if value[0].get("role") != "user":
            raise ValueError("a conversation starts with the user's message")
        return value


class EssencesRow(RowBase):
    """A user's goal extracted from one real conversation (``input``: an
    ``evalwheel.simulate.Essence``), with the artifact that meets it when known (``reference``).
    The simulated user pursues it; the application's check (or a judge) decides success."""

    metadata_fields: ClassVar[tuple[str, ...]] = ("expect", "source", "real_outcome", "served_by")

    input: dict[str, JsonValue]
    expect: str | None = None
    source: str | None = None
    real_outcome: Literal["success", "failure"] | None = None
    served_by: str | None = None

    @field_validator("input")
    @classmethod
    def _is_essence(cls, value: dict[str, JsonValue]) -> dict[str, JsonValue]:
        from evalwheel.simulate.models import Essence

        Essence.model_validate(value)
        return value


#: The platform's own kinds. Applications add theirs; ``datasets.kinds`` has them all.
PLATFORM_ROW_SCHEMAS: dict[str, type[RowBase]] = {
    DatasetKind.BENCHMARK: BenchmarkRow,
    DatasetKind.GOLDEN: GoldenRow,
    DatasetKind.TRAFFIC: TrafficRow,
    DatasetKind.SYNTHETIC: SyntheticRow,
    DatasetKind.QA: QaRow,
    DatasetKind.CONVERSATIONS: ConversationsRow,
    DatasetKind.ESSENCES: EssencesRow,
}


def __getattr__(name: str) -> Any:
    """``ROW_SCHEMAS`` (every kind, applications' included) lives in ``datasets.kinds``, which
    needs this module first; it is still importable from here."""
    if name == "ROW_SCHEMAS":
        from evalwheel.datasets.kinds import ROW_SCHEMAS

        return ROW_SCHEMAS
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: Fields whose CSV cells hold JSON when they start with '{' or '['.
JSON_CELL_FIELDS = ("reference", "output", "metadata")
