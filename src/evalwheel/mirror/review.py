"""From mirror pairs to human verdicts, and from verdicts to data.

Which pairs reach a human, and in what order. A pair is worth review when it differs (or one side
failed). Its priority is **value × uncertainty**:
- value: the item's ``metadata.value`` when it is a positive number, else 1, times the largest
  weight among its tags in ``weights`` (tag → weight; unlisted tags weigh 1);
- uncertainty: 1.0 when the judge's two orders disagreed, the judge failed or there was no judge;
  0.5 when both orders said tie; 0.2 when both orders agreed on a winner (worth confirming before
  it becomes training data, but least urgent); a failed side is certain (0.2).
Near-duplicates are grouped into one review item so one verdict covers them all: pairs whose
requests have the same **pattern** (lower-cased words with numbers, quoted text, e-mail
addresses and URLs masked) and whose answers differ at the same places (the diff's paths with
list indices dropped). A group's priority is the sum of its members' priorities.

A verdict (``current``, ``candidate``, ``tie``, ``both_bad``; ``evalwheel labels resolve``) closes
the item and becomes a label on every member pair (dataset ``mirror:NAME``); ``golden_candidates`` turns labelled pairs into
pairwise golden items, and ``failure_cases`` turns losing answers into training items whose
target is the winning answer.
"""

from __future__ import annotations

import itertools
import math
import re

from pydantic import BaseModel

from evalwheel.core.hashing import content_hash, short
from evalwheel.core.mirror import MirrorPair
from evalwheel.errors import InputError
from evalwheel.labels.review_queue import REVIEW, enqueue, refresh_open, review_id
from evalwheel.mirror.analysis import request_text
from evalwheel.mirror.replay import MIRROR
from evalwheel.store.datasets import DatasetRepository
from evalwheel.store.db import Store
from evalwheel.store.mirrors import MirrorPairRepository
from evalwheel.store.records import Records

MIRROR_LABELS = ["current", "candidate", "tie", "both_bad"]
_MASKS = (
    (re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b"), "<email>"),
    (re.compile(r"\bhttps?://\S+"), "<url>"),
    (re.compile(r"(['\"“‘]).*?(['\"”’])"), "<text>"),
    (re.compile(r"[$€£]?\d[\d.,:]*%?"), "<n>"),
)
_INDEX = re.compile(r"\[\d+\]")


def pattern(request: object) -> str:
    """The request with its particulars masked: near-duplicates share it."""
    text = request_text(request).casefold()
    for regex, mask in _MASKS:
        text = regex.sub(mask, text)
    return " ".join(re.findall(r"<\w+>|\w+", text))


def uncertainty(pair: MirrorPair) -> float:
    analysis = pair.analysis
    if analysis is None or analysis.relation == "failed":
        return 0.2
    verdict = analysis.verdict
    if verdict is None or verdict.error or verdict.winner is None or not verdict.consistent:
        return 1.0
    return 0.5 if verdict.winner == "tie" else 0.2


def check_weights(weights: dict[str, float]) -> None:
    """A NaN, infinite or negative weight would scramble the queue's order: ``InputError``."""
    for tag, weight in weights.items():
        if not tag or not (math.isfinite(weight) and weight >= 0):
            raise InputError(
                f"{tag}={weight}: a weight is a finite number ≥ 0 for a non-empty tag",
                field="--weight",
            )


def value(pair: MirrorPair, item_value: float | None, weights: dict[str, float]) -> float:
    base = item_value if item_value is not None and item_value > 0 else 1.0
    return base * max([weights.get(t, 1.0) for t in pair.tags] or [1.0])


def group_key(pair: MirrorPair) -> str:
    """Near-duplicates share it: the request's pattern, the diff's paths without list indices
    and the relation."""
    paths = sorted(
        {_INDEX.sub("[]", d.path) for d in (pair.analysis.diff if pair.analysis else [])}
    )
    relation = pair.analysis.relation if pair.analysis else "?"
    return short(content_hash({"pattern": pattern(pair.request), "paths": paths, "rel": relation}))


def _reason(pair: MirrorPair, size: int) -> str:
    """One line for the queue listing: how many pairs, what the judge said, where they differ."""
    analysis = pair.analysis
    assert analysis is not None
    verdict = analysis.verdict
    if analysis.relation == "failed":
        said = "a side failed"
    elif verdict is None:
        said = "not judged"
    elif verdict.error:
        said = "judge failed"
    elif not verdict.consistent:
        said = "judge orders disagree"
    else:
        said = f"judge: {verdict.winner}"
    paths = sorted({_INDEX.sub("[]", d.path) for d in analysis.diff})[:3]
    where = f"; differs at {', '.join(paths)}" if paths else ""
    return f"{size} pair(s) like {pattern(pair.request)[:60]!r}; {said}{where}"


class QueueFill(BaseModel):
    """What filling the review queue did."""

    mirror: str
    candidates: int
    groups: int
    enqueued: int
    already_queued: int


def fill_review_queue(
    store: Store,
    mirror: str,
    *,
    weights: dict[str, float] | None = None,
    values: dict[str, float] | None = None,
) -> QueueFill:
    """Queue the mirror's differing pairs for humans, grouped and ordered as the module says.
    ``values`` gives an item value per example id (default: a replayed item's
    ``metadata.value``). Re-filling never duplicates an item: an open item takes in the group's
    new pairs; once resolved, pairs that arrive later are queued as a new item."""
    weights = weights or {}
    check_weights(weights)
    values = values if values is not None else _item_values(store, mirror)
    pairs = [
        p
        for p in MirrorPairRepository(store).pairs(mirror, analysed=True)
        if p.analysis and p.analysis.relation in ("different", "failed")
    ]
    groups: dict[str, list[MirrorPair]] = {}
    for pair in pairs:
        groups.setdefault(group_key(pair), []).append(pair)
    enqueued = already = 0
    for key, members in groups.items():
        base = f"mirror:{mirror}/group:{key}"
        covered: set[str] = set()
        open_subject = None
        subject = base
        for index in itertools.count(1):
            payload = Records(store, REVIEW).get(review_id(subject))
            if payload is None:
                break
            if payload.get("status") == "open":
                open_subject = subject
            else:
                covered |= {str(i) for i in payload.get("details", {}).get("label_items") or []}
            subject = f"{base}/{index}"
        waiting = [p for p in members if p.id not in covered]
        if not waiting:
            already += 1
            continue
        priority = round(
            sum(
                value(p, (values or {}).get(p.example_id), weights) * uncertainty(p)
                for p in waiting
            ),
            6,
        )
        details = _details(mirror, waiting)
        if open_subject is not None:
            refresh_open(store, open_subject, details, priority)
            already += 1
            continue
        enqueue(store, subject, details, priority=priority)
        enqueued += 1
    return QueueFill(
        mirror=mirror,
        candidates=len(pairs),
        groups=len(groups),
        enqueued=enqueued,
        already_queued=already,
    )


def _item_values(store: Store, mirror: str) -> dict[str, float]:
    """Each replayed item's positive ``metadata.value`` (live pairs have none)."""
    traffic = (Records(store, MIRROR).get(mirror) or {}).get("traffic")
    if not isinstance(traffic, str):
        return {}
    repo = DatasetRepository(store)
    found: dict[str, float] = {}
    for example in repo.iter_examples(repo.resolve(traffic).version_id):
        given = example.metadata.get("value")
        if isinstance(given, int | float) and not isinstance(given, bool) and given > 0:
            found[example.id] = float(given)
    return found


def _details(mirror: str, members: list[MirrorPair]) -> dict:
    lead = max(members, key=uncertainty)
    assert lead.analysis is not None
    verdict = lead.analysis.verdict
    return {
        "reason": _reason(lead, len(members)),
        "mirror": mirror,
        "pairs": [p.id for p in members],
        "pattern": pattern(lead.request),
        "request": request_text(lead.request),
        "current": lead.current.model_dump(mode="json"),
        "candidate": lead.candidate.model_dump(mode="json") if lead.candidate else None,
        "diff": [d.model_dump(mode="json") for d in lead.analysis.diff[:20]],
        "verdict": verdict.model_dump(mode="json") if verdict else None,
        "labels": MIRROR_LABELS,
        "label_dataset": label_dataset(mirror),
        "label_items": [p.id for p in members],
    }


def label_dataset(mirror: str) -> str:
    return f"mirror:{mirror}"
