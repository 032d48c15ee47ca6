"""Which conversation, turn and example a live chat request belongs to.

Live traffic has no dataset ids, so they are derived from the request itself: the same request
always gets the same ``example_id``, and the turns of one conversation share a ``conversation_id``
so a multi-turn agent can be followed across requests.
"""

from __future__ import annotations

from typing import Any

from evalwheel.core.hashing import content_hash, short

CONVERSATION_HEADER = b"x-conversation-id"
_NOT_PART_OF_THE_INPUT = ("stream", "stream_options", "user", "metadata", "store")


def conversation_id(request: dict[str, Any], header: str | None = None) -> str:
    """``X-Conversation-Id`` when the client sends one, else ``metadata.conversation_id``, else
    the body's ``user``, else a hash of the system prompt and the first user message (what stays
    the same while a conversation grows turn by turn)."""
    if header:
        return header
    metadata = request.get("metadata")
    if isinstance(metadata, dict) and metadata.get("conversation_id"):
        return str(metadata["conversation_id"])
    if request.get("user"):
        return str(request["user"])
    messages = _messages(request)
    system = [m.get("content") for m in messages if m.get("role") in ("system", "developer")]
    first_user = next((m.get("content") for m in messages if m.get("role") == "user"), None)
    return "conv-" + short(content_hash({"system": system[:1], "first_user": first_user}))


def turn(request: dict[str, Any]) -> int:
    """How many user turns came before this one (the first request of a conversation is 0)."""
    return max(0, sum(1 for m in _messages(request) if m.get("role") == "user") - 1)


def example_id(request: dict[str, Any]) -> str:
    """A hash of what the model is asked (messages, tools, sampling settings), ignoring how the
    answer is delivered (``stream``) and who asked (``user``, ``metadata``)."""
    essential = {k: v for k, v in request.items() if k not in _NOT_PART_OF_THE_INPUT}
    return "live-" + short(content_hash(essential))


def _messages(request: dict[str, Any]) -> list[dict[str, Any]]:
    messages = request.get("messages")
    if not isinstance(messages, list):
        return []
    return [m for m in messages if isinstance(m, dict)]
