"""One item of a dataset."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from evalwheel.core.hashing import content_hash


class Example(BaseModel):
    """An input to a system, with what is known about it.

    ``input`` is what the system receives (a request string or a JSON object). ``reference`` is the
    ideal output when one exists (benchmark, synthetic); ``output`` is an output that was actually
    produced (traffic, golden items under judgement); ``label`` is a human verdict on that output
    (golden). ``tags`` name the slices an item belongs to; ``split`` pins an item to train/dev/test
    when the data says so (otherwise splits are derived from the id, see ``datasets.splits``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=256)
    input: JsonValue = None
    reference: JsonValue = None
    output: JsonValue = None
    label: str | None = None
    tags: tuple[str, ...] = ()
    split: str | None = None
    metadata: dict[str, JsonValue] = Field(default_factory=dict)

    def content(self) -> dict[str, Any]:
        """The JSON form whose hash identifies this example's content."""
        return self.model_dump(mode="json")

    @property
    def hash(self) -> str:
        return content_hash(self.content())
