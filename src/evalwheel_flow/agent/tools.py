"""The agent's tools, modelled on the ones Shopify's Flow agent exposes: search tasks, describe a
task, search data paths, validate a workflow, create the workflow, ask the merchant.

Workflows are passed in the compact form (see ``compact.py``, without ``outcome``): a model writes
a few fields, the tool builds the full document. ``create_workflow`` refuses an invalid workflow and returns the
validator's errors, so the model can fix them on its next turn.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from evalwheel_flow.agent.compact import to_workflow
from evalwheel_flow.catalog.catalog import Catalog
from evalwheel_flow.validator import report_lines, validate
from evalwheel_flow.workflow import Workflow

_STEPS = {
    "type": "array",
    "items": {"type": "object"},
    "description": '[{"action": handle, field: value…}]; also {"action": "wait", '
    '"duration_minutes": n}, {"action": "foreach", "list": path, "item": name, "conditions": '
    '[…], "actions": […]}, and last in a list {"action": "if", "conditions": […], "actions": '
    '[…], "else_actions": […]}',
}
_COMPACT_PARAMS = {
    "type": "object",
    "properties": {
        "trigger": {"type": "string", "description": "trigger handle, e.g. order_created"},
        "recurrence": {
            "type": "string",
            "description": "scheduled_time only: an RRULE such as FREQ=DAILY",
        },
        "before": {**_STEPS, "description": "steps before the conditions (e.g. a data look-up)"},
        "conditions": {
            "type": "array",
            "items": {"type": "string"},
            "description": "condition expressions, chained: all must hold",
        },
        "actions": _STEPS,
        "else_actions": {**_STEPS, "description": "steps when the last condition does not hold"},
    },
    "required": ["trigger", "actions"],
}

TOOL_SPECS: list[dict[str, Any]] = [
    {
        "type": "function",
        "function": {
            "name": "search_tasks",
            "description": "Find triggers and actions by keywords.",
            "parameters": {
                "type": "object",
                "properties": {
                    "query": {"type": "string"},
                    "task_type": {"enum": ["TRIGGER", "ACTION"]},
                },
                "required": ["query"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "describe_task",
            "description": "A task's config fields, required resource and data.",
            "parameters": {
                "type": "object",
                "properties": {"handle": {"type": "string"}},
                "required": ["handle"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "search_data_paths",
            "description": "Data paths a trigger provides, for conditions and Liquid.",
            "parameters": {
                "type": "object",
                "properties": {"trigger": {"type": "string"}, "query": {"type": "string"}},
                "required": ["trigger", "query"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "validate_workflow",
            "description": "Check a workflow; returns errors to fix.",
            "parameters": _COMPACT_PARAMS,
        },
    },
    {
        "type": "function",
        "function": {
            "name": "create_workflow",
            "description": "Create the workflow (only when it validates).",
            "parameters": _COMPACT_PARAMS,
        },
    },
    {
        "type": "function",
        "function": {
            "name": "ask_merchant",
            "description": "Ask the merchant one clarifying question when the request is ambiguous.",
            "parameters": {
                "type": "object",
                "properties": {"question": {"type": "string"}},
                "required": ["question"],
            },
        },
    },
]


@dataclass
class ToolBox:
    catalog: Catalog
    created: Workflow | None = None
    question: str | None = None
    calls: list[dict[str, Any]] = field(default_factory=list)

    def call(self, name: str, arguments: str) -> str:
        try:
            args = json.loads(arguments or "{}")
            if not isinstance(args, dict):
                raise ValueError("arguments must be a JSON object")
        except ValueError as exc:
            result = {"error": f"arguments are not valid JSON: {exc}"}
        else:
            handler = getattr(self, f"_{name}", None)
            try:
                result = handler(**args) if handler else {"error": f"no tool named {name!r}"}
            except TypeError as exc:
                result = {"error": f"bad arguments for {name}: {exc}"}
        self.calls.append({"name": name, "arguments": arguments, "result": result})
        return json.dumps(result)

    def _search_tasks(self, query: str, task_type: str | None = None) -> Any:
        return [
            {"handle": t.handle, "type": t.task_type, "name": t.name, "description": t.description}
            for t in self.catalog.search(query, task_type, limit=6)
        ]

    def _describe_task(self, handle: str) -> Any:
        task = self.catalog.task(f"shopify::admin::{handle}") or self.catalog.task(handle)
        if task is None:
            return {"error": f"no task {handle!r}"}
        fields = {
            n: f.model_dump(exclude_defaults=True)
            for n, f in task.config_fields.items()
            if not f.hidden
        }
        return {
            "handle": task.handle,
            "type": task.task_type,
            "description": task.description,
            "requires": task.requires,
            "fields": fields,
            "data": task.payload,
        }

    def _search_data_paths(self, trigger: str, query: str) -> Any:
        task = self.catalog.task(f"shopify::admin::{trigger}")
        if task is None or task.task_type != "TRIGGER":
            return {"error": f"no trigger {trigger!r}"}
        terms = [w.lower() for w in query.split() if w]
        paths = self.catalog.data_paths(self.catalog.scope(task))
        scored = []
        for path, type_ in paths:
            lowered = path.lower()
            score = sum(1 for w in terms if w in lowered)
            if score or not terms:
                # More terms matched first, then the terms matched as whole path segments, then short.
                exact = sum(1 for w in terms if w in lowered.split("."))
                scored.append((-score, -exact, len(path), path, str(type_)))
        scored.sort()
        return [{"path": p, "type": t} for *_, p, t in scored[:15]]

    def _build(self, **answer: Any) -> tuple[Workflow | None, list[str]]:
        unknown = sorted(set(answer) - set(_COMPACT_PARAMS["properties"]))
        if unknown:
            return None, [f"unknown arguments: {', '.join(unknown)}"]
        try:
            workflow = to_workflow(answer, self.catalog)
        except (ValueError, AttributeError, TypeError) as exc:
            return None, [str(exc)]
        report = validate(workflow, self.catalog)
        return workflow, [line for line in report_lines(report) if not line.startswith("warning")]

    def _validate_workflow(self, **answer: Any) -> Any:
        _, errors = self._build(**answer)
        return {"valid": not errors, "errors": errors}

    def _create_workflow(self, **answer: Any) -> Any:
        workflow, errors = self._build(**answer)
        if errors or workflow is None:
            return {"created": False, "errors": errors}
        self.created = workflow
        return {"created": True}

    def _ask_merchant(self, question: str) -> Any:
        self.question = question
        return {"asked": True}
