"""A bank of solved requests and retrieval of the most similar ones as few-shot examples.

Similarity is word overlap (Jaccard over content words): cheap, deterministic and good enough to
find "tag customers over $X" when asked "tag big spenders"; the bank is built from a dataset's
train split so evaluation items never see themselves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

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
    request: str
    answer: dict[str, Any]


class FewShotBank:
    def __init__(self, items: list[Solved]) -> None:
        self.items = items
        self._words = [words(item.request) for item in items]

    def retrieve(self, request: str, k: int = 3) -> list[Solved]:
        query = words(request)
        scored = []
        for index, (item, item_words) in enumerate(zip(self.items, self._words, strict=True)):
            if item.request.strip() == request.strip():
                continue  # never show an item its own answer
            union = query | item_words
            score = len(query & item_words) / len(union) if union else 0.0
            scored.append((-score, index))
        scored.sort()
        return [self.items[i] for _, i in scored[:k]]
