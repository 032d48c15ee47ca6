"""The workflow document in Flow's export format, read and written losslessly.

Unknown keys (editor positions, future fields) are kept: a document read and written back is the
same JSON. ``canonical()`` is the form for diffs: keys sorted, 2-space indent.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from evalwheel.errors import InputError
from evalwheel.inputfiles import load_json_file

StepType = Literal["TRIGGER", "CONDITION", "ACTION", "FOREACH", "WAIT"]
PORTS: dict[str, tuple[str, ...]] = {
    "TRIGGER": ("output",),
    "ACTION": ("output",),
    "WAIT": ("output",),
    "CONDITION": ("true", "false"),
    "FOREACH": ("loop_body", "after"),
}


class ConfigFieldValue(BaseModel):
    model_config = ConfigDict(extra="allow")
    config_field_id: str
    value: str


class Step(BaseModel):
    model_config = ConfigDict(extra="allow")
    step_id: str
    task_id: str
    task_version: str = "0.1"
    task_type: StepType
    config_field_values: list[ConfigFieldValue] = Field(default_factory=list)

    def config(self) -> dict[str, str]:
        return {c.config_field_id: c.value for c in self.config_field_values}


class Link(BaseModel):
    model_config = ConfigDict(extra="allow")
    from_step_id: str
    from_port_id: str
    to_step_id: str
    to_port_id: str = "input"


class Root(BaseModel):
    model_config = ConfigDict(extra="allow")
    workflow_name: str = ""
    steps: list[Step]
    links: list[Link] = Field(default_factory=list)
    patched_fields: list[Any] = Field(default_factory=list)


class Workflow(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)
    metadata: dict[str, Any] = Field(default_factory=lambda: {"version": 0.1}, alias="__metadata")
    root: Root

    @classmethod
    def from_data(cls, data: Any) -> Workflow:
        return cls.model_validate(data)

    @classmethod
    def load(cls, path: Path) -> Workflow:
        try:
            return cls.from_data(load_json_file(Path(path)))
        except InputError as exc:  # encoding, JSON syntax, depth, numbers, NUL
            raise WorkflowFormatError(str(exc)) from None
        except ValidationError as exc:
            raise WorkflowFormatError(
                "\n".join(
                    f"{path}: {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()
                )
            ) from None

    def to_data(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)

    def canonical(self) -> str:
        data = self.model_dump(mode="json", by_alias=True)
        return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"

    @property
    def steps(self) -> dict[str, Step]:
        return {s.step_id: s for s in self.root.steps}

    def triggers(self) -> list[Step]:
        return [s for s in self.root.steps if s.task_type == "TRIGGER"]

    def next_steps(self, step_id: str, port: str) -> list[Step]:
        steps = self.steps
        return [
            steps[link.to_step_id]
            for link in self.root.links
            if link.from_step_id == step_id
            and link.from_port_id == port
            and link.to_step_id in steps
        ]


class WorkflowFormatError(ValueError):
    pass
