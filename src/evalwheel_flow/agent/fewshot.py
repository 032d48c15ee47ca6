"""A bank of solved requests and retrieval of the most similar ones as few-shot examples.

Similarity is word overlap (Jaccard over content words): cheap, deterministic and good enough to
find "tag customers over $X" when asked "tag big spenders"; the bank is built from a dataset's
train split so evaluation items never see themselves.

The bank holds the three decisions a request can get: a workflow, a clarifying question, a
refusal, and retrieval ranks them together. A tiny model mostly copies the decision of the example
nearest its request, so that example comes last, next to the request. (Measured on the train split,
leave-one-out, SmolLM2-135M: reserving one place for the nearest question and one for the nearest
refusal beside three workflows got 30/60 decisions right, ranking all together 35/60.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from evalwheel.core.hashing import content_hash

STOPWORDS = set(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "of",
        "to",
        "for",
        "in",
        "on",
        "at",
        "with",
        "when",
        "if",
        "is",
        "are",
        "be",
        "it",
        "its",
        "their",
        "them",
        "they",
        "i",
        "my",
        "me",
        "we",
        "our",
        "please",
        "can",
        "you",
        "that",
        "this",
        "as",
        "by",
        "from",
        "into",
        "then",
        "than",
    ]
)
_WORD = re.compile(r"[a-z0-9$.@']+")


def words(text: str) -> set[str]:
    return {w.strip(".'") for w in _WORD.findall(text.lower()) if w not in STOPWORDS and len(w) > 1}


@dataclass(frozen=True)
class Solved:
    """A solved request: the compact answer a model is shown, and where it came from (the dataset
    item's id and tags, and its full reference workflow; None for a question or a refusal)."""

    request: str
    answer: dict[str, Any]
    id: str = ""
    reference: dict[str, Any] | None = None
    tags: tuple[str, ...] = field(default=())

    @property
    def expect(self) -> str:
        """What the item expects: ``workflow``, ``clarify`` or ``refuse``."""
        return str(self.answer.get("outcome", "workflow"))


class FewShotBank:
    RETRIEVAL = "word-jaccard top-k over all decisions, nearest last"

    def __init__(self, items: list[Solved]) -> None:
        self.items = items
        self._words = [words(item.request) for item in items]

    def content_hash(self) -> str:
        """Changes whenever an example or the retrieval rule does (a System's version uses it)."""
        return content_hash(
            {"retrieval": self.RETRIEVAL, "items": [[s.request, s.answer] for s in self.items]}
        )

    def retrieve(self, request: str, k: int = 3) -> list[Solved]:
        """The ``k`` solved requests nearest this one, the nearest last."""
        query = words(request)
        scored = []
        for index, (item, item_words) in enumerate(zip(self.items, self._words, strict=True)):
            if item.request.strip() == request.strip():
                continue  # never show an item its own answer
            union = query | item_words
            score = len(query & item_words) / len(union) if union else 0.0
            scored.append((-score, index))
        scored.sort()
        return [self.items[i] for _, i in reversed(scored[:k])]
