"""A System: one versioned configuration of the agent under evaluation."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from evalwheel.core.hashing import content_hash


class System(BaseModel):
    """Everything that decides an agent's behaviour, hashed into a version.

    Two runs with the same ``version`` ran the same system: same application, model, prompt, tools,
    few-shot bank and adapter. ``app`` names the application plugin that executes it (e.g. ``flow``
    or ``http``); ``params`` holds whatever else the application needs, so that a later capability
    can add knobs without a schema change.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=128)
    app: str
    model: str
    prompt: str | None = None
    tools: tuple[str, ...] = ()
    fewshot_bank: str | None = Field(
        default=None, description="A dataset ref holding solved examples."
    )
    adapter: str | None = Field(
        default=None, description="Blob digest of fine-tuned weights, if any."
    )
    params: dict[str, JsonValue] = Field(default_factory=dict)
    kind: str | None = Field(
        default=None, description="For a configured agent: openai, http, python or prompt."
    )
    config: dict[str, JsonValue] = Field(
        default_factory=dict,
        description="The system's table as configured (kinds rebuild from it).",
    )
    description: dict[str, JsonValue] = Field(
        default_factory=dict,
        description="What the application or kind says decides its behaviour (prompt, tools, "
        "few-shot bank, source hash…), so the version changes when any of it does.",
    )
    model_spec: dict[str, JsonValue] | None = Field(
        default=None, description="The model as configured when the run was planned (no secret)."
    )
    model_identity: dict[str, JsonValue] | None = Field(
        default=None, description="Endpoint and model id, or the embedded model's file."
    )

    @property
    def version(self) -> str:
        """The hash of everything but the name: equal versions behave the same."""
        return content_hash(self.model_dump(mode="json", exclude={"name"}))
