"""Flow's training conversations: a dataset row as the Flow agent would see it at serving.

- ``compact`` mode (the default): the agent's system prompt, the few-shots it would retrieve for
  this request (never the row's own request), any history, the request, and the ideal answer in
  the compact form (``{"outcome": "clarify"|"refuse", …}`` for a question or a refusal).
- ``tools`` mode: the tools prompt and the row's ideal trajectory (``metadata.trajectory``, else
  the application's ``ideal_trajectory``) with the agent's tool specs.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from evalwheel.core.example import Example
from evalwheel.training.models import TrainingConversation
from evalwheel_flow.agent.agent import FlowAgent
from evalwheel_flow.agent.bank import DEFAULT_MESSAGE, DEFAULT_QUESTION
from evalwheel_flow.agent.compact import compact_or_reason
from evalwheel_flow.agent.tools import TOOL_SPECS
from evalwheel_flow.catalog import load_catalog
from evalwheel_flow.workflow import Workflow


def ideal_answer(example: Example) -> dict[str, Any]:
    """The compact answer the agent should give for this row (a ``ValueError`` saying why there
    is none: no reference workflow, or one the compact form cannot express)."""
    expect = str(example.metadata.get("expect") or "workflow")
    if expect == "clarify":
        return {"outcome": "clarify", "question": _text(example, "question", DEFAULT_QUESTION)}
    if expect == "refuse":
        return {"outcome": "refuse", "message": _text(example, "message", DEFAULT_MESSAGE)}
    reference = example.reference
    if not isinstance(reference, dict) or "root" not in reference:
        raise ValueError("no reference workflow")
    try:
        workflow = Workflow.from_data(reference)
    except ValidationError as exc:
        raise ValueError(
            f"the reference is not a workflow ({exc.error_count()} problems)"
        ) from None
    compact, reason = compact_or_reason(workflow, load_catalog())
    if compact is None:
        raise ValueError(f"the reference has no compact form: {reason}")
    return compact


def _text(example: Example, key: str, default: str) -> str:
    value = example.metadata.get(key)
    if not value and isinstance(example.reference, dict):
        value = example.reference.get(key)
    return str(value or default)


def compact_conversation(
    agent: FlowAgent, example: Example, history: list[dict[str, Any]]
) -> TrainingConversation:
    request = str(example.input)
    messages: list[dict[str, Any]] = [{"role": "system", "content": agent.prompt}]
    shots = agent.bank.retrieve(request, agent.shots) if agent.bank and agent.shots > 0 else []
    for shot in shots:
        if shot.request.strip() == request.strip():
            continue
        messages.append({"role": "user", "content": shot.request})
        messages.append({"role": "assistant", "content": json.dumps(shot.answer)})
    messages += [*history, {"role": "user", "content": request}]
    messages.append({"role": "assistant", "content": json.dumps(ideal_answer(example))})
    return TrainingConversation(messages=messages, targets_from=len(messages) - 1)


def tools_conversation(
    agent: FlowAgent, example: Example, history: list[dict[str, Any]], app: Any
) -> TrainingConversation:
    request = str(example.input)
    trajectory = example.metadata.get("trajectory")
    if not isinstance(trajectory, list) or not trajectory:
        trajectory = _trajectory(example, request, app)
    if not isinstance(trajectory[0], dict) or trajectory[0].get("role") != "user":
        raise ValueError("the trajectory does not start with the merchant's request")
    head: list[dict[str, Any]] = [{"role": "system", "content": agent.prompt}, *history]
    messages = [*head, *trajectory]
    return TrainingConversation(
        messages=messages, tools=list(TOOL_SPECS), targets_from=len(head) + 1
    )


def _trajectory(example: Example, request: str, app: Any) -> list[dict[str, Any]]:
    answer = ideal_answer(example)
    outcome = answer.get("outcome")
    user = {"role": "user", "content": request}
    if outcome == "refuse":
        return [user, {"role": "assistant", "content": answer["message"]}]
    if outcome == "clarify":
        call = {
            "id": "call_1",
            "type": "function",
            "function": {
                "name": "ask_merchant",
                "arguments": json.dumps({"question": answer["question"]}),
            },
        }
        return [user, {"role": "assistant", "content": None, "tool_calls": [call]}]
    return list(app.ideal_trajectory(request, example.reference))


def training_conversation(
    app: Any, example: Example, params: dict[str, Any]
) -> TrainingConversation:
    """The conversation of one row for a Flow system with ``params`` (its mode and shots)."""
    agent = app._agent(None, params)
    history = example.metadata.get("history")
    history = list(history) if isinstance(history, list) else []
    if agent.mode == "tools":
        return tools_conversation(agent, example, history, app)
    return compact_conversation(agent, example, history)
