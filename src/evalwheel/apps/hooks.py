"""The optional hooks of an application, looked up with ``getattr`` so an application that has no
use for one need not define it (see ``App``)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from evalwheel.core.example import Example
from evalwheel.core.mirror import OutputRelation
from evalwheel.datasets.splits import SignatureFn

if TYPE_CHECKING:
    from evalwheel.apps.interface import AppOutput


def signature_of(apps: Iterable[Any]) -> SignatureFn | None:
    """An item's structural signature: the first answer of the given applications that have a
    ``signature`` hook (None when none of them has one). An application answers None for items
    that are not its own, so with several installed the one that recognises the item decides."""
    hooks = [hook for app in apps if callable(hook := getattr(app, "signature", None))]
    if not hooks:
        return None

    def signature(example: Example) -> str | None:
        for hook in hooks:
            value = hook(example)
            if value is not None:
                return str(value)
        return None

    return signature


def installed_signature() -> SignatureFn | None:
    """``signature_of`` every installed application, in the order of their names: a dataset's
    groups must not depend on which system is evaluated on it."""
    from evalwheel.apps.interface import load_apps

    return signature_of(app for _, app in sorted(load_apps().items()))


def learned_from(app: Any, params: dict[str, Any]) -> list[Example] | None:
    """What a system of ``app`` with ``params`` learnt from (None: the application does not say)."""
    hook = getattr(app, "learned_from", None)
    if not callable(hook):
        return None
    return list(hook(params))


def relate_with(
    app: Any, example: Example | None, current: AppOutput, candidate: AppOutput
) -> OutputRelation | None:
    """How ``app`` says two outputs for one example relate (None: it has no ``relate`` hook, or
    no opinion on these two, and the generic comparison decides)."""
    hook = getattr(app, "relate", None)
    if not callable(hook):
        return None
    found = hook(example, current, candidate)
    return None if found is None else OutputRelation.model_validate(found)


def _hook(app: Any, name: str) -> Any:
    hook = getattr(app, name, None)
    if not callable(hook):
        raise TypeError(f"application {getattr(app, 'name', app)!r} has no {name} hook")
    return hook


def artifact_outcome(app: Any) -> str:
    """What ``AppOutput.outcome`` says when ``app``'s system made its artifact (Flow: workflow)."""
    return str(getattr(app, "artifact_outcome", "artifact"))


def describe_artifact(app: Any, artifact: Any) -> str:
    """The artifact in plain English, for a request writer (``TypeError`` without the hook)."""
    return str(_hook(app, "describe_artifact")(artifact))


def artifact_facts(app: Any, artifact: Any) -> list[str]:
    """The literals a faithful request must mention (none when the application does not say)."""
    hook = getattr(app, "artifact_facts", None)
    return [str(f) for f in hook(artifact)] if callable(hook) else []


def ideal_trajectory(
    app: Any, request: str, artifact: Any, clarification: str | None = None
) -> list[dict[str, Any]]:
    """The ideal messages from ``request`` to ``artifact``; with ``clarification``, after asking
    the user one question whose answer it is (the hook must then take that argument)."""
    hook = _hook(app, "ideal_trajectory")
    if clarification is None:
        return list(hook(request, artifact))
    return list(hook(request, artifact, clarification=clarification))


def execute_trajectory(app: Any, messages: list[dict[str, Any]]) -> Any:
    """The artifact a trajectory's tool calls produce through the application's real tools."""
    return _hook(app, "execute_trajectory")(messages)


def tool_specs(app: Any) -> list[dict[str, Any]] | None:
    """The application's tools as OpenAI function specs (None: it does not say)."""
    hook = getattr(app, "tool_specs", None)
    return list(hook()) if callable(hook) else None


def agent_reply(app: Any, output: AppOutput) -> str:
    """What the user sees of one turn of ``app``'s system, for a simulated user to answer: the
    application's ``agent_reply`` when it has one (Flow: the question, the refusal, or the workflow
    in words), else the last assistant text, else the artifact as text."""
    hook = getattr(app, "agent_reply", None)
    if callable(hook):
        return str(hook(output))
    if output.error is not None:
        return f"(the assistant failed: {output.error})"
    for message in reversed(output.messages):
        content = message.get("content")
        if message.get("role") == "assistant" and isinstance(content, str) and content.strip():
            return content
    artifact = output.artifact
    if artifact is None:
        return "(no answer)"
    return artifact if isinstance(artifact, str) else json.dumps(artifact, ensure_ascii=False)


def success_scorer(app: Any) -> str | None:
    """The check whose pass means the user's goal was met (Flow: ``flow.pass``; None: the
    application has no such check and a judge decides)."""
    value = getattr(app, "success_scorer", None)
    return str(value) if isinstance(value, str) else None
