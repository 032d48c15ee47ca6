"""Dataset rows → the system's own serving format → TRL prompt/completion rows.

A model learns what it is shown, so a training row must look exactly like what the system sends
its model at serving: the application builds the conversation (its ``training_conversation``
hook: system prompt, few-shots, tools, the request, the ideal answer) and it is rendered with the
embedded provider's own ``plain_messages``, which is what llama.cpp receives (SmolLM2's chat
template ignores ``tools`` and ``tool_calls``, so TRL's own rendering would drop the calls). Each
target assistant turn becomes one prompt/completion row, so the loss is on that turn only.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

from evalwheel.core.example import Example
from evalwheel.errors import InputError
from evalwheel.llm.embedded import plain_messages
from evalwheel.training.models import TrainingConversation


def training_conversation(
    app: Any, example: Example, params: dict[str, Any]
) -> TrainingConversation:
    """The application's conversation for one row; an ``InputError`` naming the row when the
    application cannot turn its reference into one (or has no ``training_conversation`` hook)."""
    hook = getattr(app, "training_conversation", None)
    if not callable(hook):
        raise InputError(
            f"application {getattr(app, 'name', app)!r} cannot make training conversations "
            "(it has no training_conversation hook)"
        )
    if example.input is None:
        raise InputError(f"row {example.id!r}: a training row needs an input")
    try:
        found = hook(example, params)
        return TrainingConversation.model_validate(found)
    except (ValueError, TypeError, KeyError, ValidationError) as exc:
        raise InputError(f"row {example.id!r}: no training conversation: {exc}") from None


def sft_rows(conversation: TrainingConversation) -> list[dict[str, list[dict[str, str]]]]:
    """One TRL conversational prompt/completion row per target assistant turn, rendered as the
    embedded provider renders them. With tools, a plain answer is written as the model emits it
    under the tool grammar (``{"content": …}``), and a call as ``{"name", "arguments"}``."""
    rows = []
    tools = [dict(t) for t in conversation.tools] if conversation.tools else None
    messages = [dict(m) for m in conversation.messages]
    for index in range(conversation.first_target, len(messages)):
        message = messages[index]
        if message.get("role") != "assistant":
            continue
        prompt = plain_messages(messages[:index], tools)
        completion = plain_messages([message], None)[-1]
        if tools and not message.get("tool_calls"):
            completion = {
                "role": "assistant",
                "content": json.dumps({"content": completion["content"]}),
            }
        rows.append({"prompt": prompt, "completion": [completion]})
    return rows


def build_rows(
    app: Any, examples: Iterable[Example], params: dict[str, Any]
) -> tuple[list[dict[str, Any]], int]:
    """Every row's SFT rows (and how many examples they came from); the first row that cannot be
    converted stops it with an ``InputError`` naming that row."""
    rows: list[dict[str, Any]] = []
    count = 0
    for example in examples:
        count += 1
        converted = sft_rows(training_conversation(app, example, params))
        if not converted:
            raise InputError(f"row {example.id!r}: its conversation has no assistant turn to learn")
        for row in converted:
            rows.append({**row, "id": example.id})
    return rows, count
