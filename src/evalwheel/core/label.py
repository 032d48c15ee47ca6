"""Human labels."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class Label(BaseModel):
    """One annotator's verdict on one item, in long format (one row per item × annotator).

    Adjudicated labels are stored beside raw ones with ``adjudicated=True`` rather than replacing
    them, because agreement statistics need the raw disagreement.
    """

    model_config = ConfigDict(extra="forbid")

    item_id: str
    annotator: str
    label: str
    rationale: str | None = None
    adjudicated: bool = False
    dataset: str | None = Field(default=None, description="name@version the item belongs to")
    created_at: datetime | None = None
