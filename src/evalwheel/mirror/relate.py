"""Relating a mirror pair's two answers: the application decides what "the same" means when it can
(a Flow workflow is compared by behaviour, not by text), the generic comparison otherwise.

Also the two conversions between an application's ``AppOutput`` and a recorded ``PairSide``, so
the replay can record runs' outputs as pairs and the comparison can hand them back to the
application.
"""

from __future__ import annotations

from typing import Any

from evalwheel.apps.hooks import relate_with
from evalwheel.apps.interface import AppOutput
from evalwheel.core.example import Example
from evalwheel.core.mirror import OutputRelation, PairSide
from evalwheel.mirror.output_diff import capped, relate_sides, side_diff


def relate_outputs(
    app: Any, example: Example | None, current: PairSide, candidate: PairSide | None
) -> OutputRelation:
    """``failed`` when a side failed, ``identical`` when the answers are exactly equal; else the
    application's ``relate`` hook when it has an opinion, else its ``same`` (``different`` then
    carries the generic field diff), and without an application the generic rules."""
    generic = relate_sides(current, candidate)
    if generic.relation in ("failed", "identical") or app is None:
        return generic
    assert candidate is not None
    first, second = output_from_side(current), output_from_side(candidate)
    if callable(getattr(app, "relate", None)):
        found = relate_with(app, example, first, second)
        return generic if found is None else found
    if app.same(first, second):
        return OutputRelation(relation="equivalent")
    return capped("different", side_diff(current, candidate))


def side_from_output(output: AppOutput, system: str, run_id: str | None = None) -> PairSide:
    """A system's output as one side of a pair; ``content`` is the text of its last assistant
    message (a chat answer's reply), the rest is carried over as it is."""
    return PairSide(
        system=system,
        content=_last_reply(output.messages),
        tool_calls=output.tool_calls,
        artifact=output.artifact,
        outcome=output.outcome,
        error=output.error,
        latency_s=output.latency_s,
        input_tokens=output.input_tokens,
        output_tokens=output.output_tokens,
        cost_usd=output.cost_usd,
        run_id=run_id,
    )


def output_from_side(side: PairSide) -> AppOutput:
    """A recorded side as the application's output; its content becomes the one assistant
    message (the conversation before it is the pair's request, not part of the answer)."""
    messages = [] if side.content is None else [{"role": "assistant", "content": side.content}]
    return AppOutput(
        outcome=side.outcome,
        artifact=side.artifact,
        messages=messages,
        tool_calls=list(side.tool_calls),
        input_tokens=side.input_tokens,
        output_tokens=side.output_tokens,
        cost_usd=side.cost_usd,
        latency_s=side.latency_s,
        error=side.error,
    )


def _last_reply(messages: list[dict[str, Any]]) -> str | None:
    """The last assistant message after the last user message (earlier ones answer something
    else: a few-shot example, a previous turn)."""
    for message in reversed(messages):
        role = message.get("role")
        if role == "user":
            return None
        if role == "assistant":
            content = message.get("content")
            return content if isinstance(content, str) else None
    return None
