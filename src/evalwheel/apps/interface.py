"""The one small interface an application implements (the Flow app is the worked example).

An application is found through the ``evalwheel.apps`` entry point group, so the platform never
imports one by name. It says how to run its system on an example (returning what the system did),
how to check that output deterministically against the example's reference, how to render it for
a judge or a person, whether two outputs mean the same thing, and how to turn a finished artifact
into the ideal trajectory a model should learn to produce.
"""

from __future__ import annotations

from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, Field, JsonValue

from evalwheel.core.example import Example
from evalwheel.llm.client import ModelClient

APPS_GROUP = "evalwheel.apps"


class AppOutput(BaseModel):
    """What the system did on one example. A failure is an output with ``error`` set."""

    outcome: str | None = None
    artifact: JsonValue = None
    messages: list[dict[str, Any]] = Field(default_factory=list)
    tool_calls: list[dict[str, Any]] = Field(default_factory=list)
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    latency_s: float | None = None
    error: str | None = None
    details: dict[str, Any] = Field(
        default_factory=dict,
        description="what a wrapper keeps with the trace (a simulation: the episode's record)",
    )


class CheckResult(BaseModel):
    """One scorer's verdict on one output. ``passed`` is None when the check does not apply (no
    reference); ``label`` and ``explanation`` carry a categorical verdict and its reason (a
    judge's label and rationale) as first-class fields, so reports and gates need not dig them
    out of ``details``, which keeps whatever else the scorer wants to show."""

    scorer: str
    passed: bool | None = None
    value: float | None = None
    label: str | None = None
    explanation: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)


@runtime_checkable
class App(Protocol):
    """What every application implements. Some methods are optional, looked up with ``getattr``
    (see ``evalwheel.apps.hooks``): ``describe(params) -> dict`` (everything that decides the
    system's behaviour, hashed into its version), ``dataset_kinds() -> {kind: row schema}`` (the
    application's own dataset kinds, schemas on ``evalwheel.datasets.schemas.RowBase``; see
    ``evalwheel.datasets.kinds``), ``signature(example) -> str | None`` (the structural signature
    of an item's reference: items with one signature are one template, so splits can group by it
    and contamination checks compare it) and ``learned_from(params) -> list[Example]`` (what a
    system with these params learnt from — its few-shot bank, its training set — so a benchmark
    can be checked for overlap with it) and ``relate(example, a, b) -> OutputRelation | None``
    (how two outputs for one example relate, for mirroring: identical, equivalent or different,
    with the field diff and, when the application can find one, the input that tells them apart;
    None leaves it to the generic comparison of ``evalwheel.mirror.output_diff``; without
    ``relate``, mirroring asks ``same``), ``default_judges() -> {name: table}`` (the judges it
    ships) and ``default_systems() -> {name: table}`` (configurations it ships beside
    ``APP-local``, e.g. a candidate to mirror against)."""

    name: str

    def example_datasets(self) -> list[tuple[str, str, Path]]:
        """(name, kind, file) of the datasets the application ships."""
        ...

    def field_maps(self) -> dict[str, dict[str, str]]:
        """Per shipped dataset, the columns that carry an Example field under another name."""
        ...

    async def run(
        self, example: Example, client: ModelClient, params: dict[str, Any]
    ) -> AppOutput: ...

    def check(self, example: Example, output: AppOutput) -> list[CheckResult]: ...

    def render(self, example: Example, output: AppOutput) -> str: ...

    def same(self, a: AppOutput, b: AppOutput) -> bool:
        """Do two outputs mean the same thing (for mirroring)?"""
        ...

    def ideal_trajectory(self, request: str, artifact: JsonValue) -> list[dict[str, Any]]:
        """The messages (with tool calls) that would ideally produce ``artifact`` from ``request``."""
        ...


def load_apps() -> dict[str, App]:
    apps: dict[str, App] = {}
    for ep in entry_points(group=APPS_GROUP):
        app = ep.load()
        if not isinstance(app, App):
            raise TypeError(
                f"entry point {ep.name!r} ({ep.value}) does not implement evalwheel.apps.App"
            )
        apps[ep.name] = app
    return apps
