"""The request writer: a model reads an artifact's plain-English description and writes the
request a user would have typed to get it, in one of a few styles.

Styles are assigned from the seed and the row id, so a re-run writes the same prompts and the
project's call cache answers them for free; the k-th request for one artifact is an independent
sample (``independent_sample``). The ``vague`` style leaves details out on purpose: its target is
the same artifact reached after one clarifying question, whose answer is the description itself
(see ``clarification``).
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

from evalwheel.core.hashing import content_hash
from evalwheel.llm.client import ModelClient, independent_sample
from evalwheel.llm.types import ChatRequest

PROMPT_VERSION = "synth-writer-1"
STYLES: dict[str, str] = {
    "terse": "Write it in one short sentence, like a busy shop owner. Keep every value exactly.",
    "chatty": "Write it in two or three friendly sentences with a little context about the shop. "
    "Keep every value exactly.",
    "vague": "Write it vaguely, as a merchant who has not decided the details: say what they "
    "want in general and leave out the exact values.",
    "non-native": "Write it as a merchant whose English is simple and not perfect. Keep every "
    "value exactly.",
}
VAGUE = "vague"
SYSTEM_PROMPT = (
    "You write requests that a Shopify merchant would send to an assistant that builds "
    "automations. You are given what the automation does. Write only the merchant's request, "
    "in the first person, with no preamble and no quotes."
)
MAX_TOKENS = 160
_PREAMBLE = re.compile(r"^\s*(sure[,!.]?|here is[^:]*:|request:|merchant:)\s*", re.IGNORECASE)


def style_for(seed: int, row_id: str, sample: int, styles: list[str]) -> str:
    """The style of one request, decided by the seed (not by call order)."""
    return random.Random(f"{seed}:{row_id}:{sample}").choice(sorted(styles))


def request_seed(seed: int, row_id: str, sample: int) -> int:
    """The sampling seed of one request, so one row's requests differ and re-runs repeat."""
    return int(content_hash({"seed": seed, "id": row_id, "sample": sample})[:8], 16)


class WriterExample(BaseModel):
    """A description and the request a person wrote for it: shown to the writer before its own
    task, because a small model copies the shape of a worked example far better than it follows
    an instruction."""

    id: str
    description: str
    request: str


def pick_examples(
    pool: Sequence[WriterExample], seed: int, row_id: str, sample: int, k: int
) -> list[WriterExample]:
    """``k`` examples for one request, drawn by the seed (not by call order)."""
    if k <= 0 or not pool:
        return []
    chosen = random.Random(f"examples:{seed}:{row_id}:{sample}").sample(
        range(len(pool)), min(k, len(pool))
    )
    return [pool[i] for i in chosen]


def writer_messages(
    description: str, style: str, examples: Sequence[WriterExample] = ()
) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = [{"role": "system", "content": SYSTEM_PROMPT}]
    for example in examples:
        messages.append(
            {"role": "user", "content": f"The automation: {example.description}\nThe request:"}
        )
        messages.append({"role": "assistant", "content": example.request})
    messages.append(
        {
            "role": "user",
            "content": f"The automation: {description}\nStyle: {STYLES[style]}\nThe request:",
        }
    )
    return messages


def clean_request(text: str | None) -> str:
    """The model's answer without a preamble or surrounding quotes."""
    cleaned = _PREAMBLE.sub("", (text or "").strip())
    return cleaned.strip().strip('"“”').strip()


def clarification(description: str) -> str:
    """The user's answer to the clarifying question of a vague request: the full description."""
    return f"To be exact: {description}"


async def write_request(
    client: ModelClient,
    description: str,
    style: str,
    *,
    seed: int,
    sample: int = 0,
    examples: Sequence[WriterExample] = (),
) -> str:
    """One request for the description in the style (raises ``ModelCallError`` as the client
    does: a failed call is counted by the caller, never turned into text)."""
    if style not in STYLES:
        raise ValueError(f"unknown style {style!r} (known: {', '.join(STYLES)})")
    request = ChatRequest(
        messages=writer_messages(description, style, examples),
        temperature=0.8,
        max_tokens=MAX_TOKENS,
        seed=seed,
    )
    with independent_sample(sample):
        response = await client.chat(request)
    return clean_request(response.content)
