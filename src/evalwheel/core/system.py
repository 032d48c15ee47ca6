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

    name: str
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

    @property
    def version(self) -> str:
        return content_hash(self.model_dump(mode="json", exclude={"name"}))
