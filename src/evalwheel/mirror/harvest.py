"""Data out of a mirror: human-labelled pairs as pairwise golden candidates, and losing answers as
failure cases for the training set.

Who decides a pair, in order of trust: a human's label on it (the latest, an adjudicated one
first); else the pairwise judge when both orders agreed on a winner; else a failed side (the
side that errored loses). Pairs decided by nobody, ties and ``both_bad`` give no failure case:
there is no better answer to learn from.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from evalwheel.core.example import Example
from evalwheel.core.mirror import MirrorPair, PairSide
from evalwheel.labels.repository import LabelRepository
from evalwheel.mirror.review import label_dataset
from evalwheel.store.db import Store
from evalwheel.store.mirrors import MirrorPairRepository

Decider = Literal["human", "judge", "error"]


class Decision(BaseModel):
    winner: Literal["current", "candidate", "tie", "both_bad"]
    decided_by: Decider


def human_labels(store: Store, mirror: str) -> dict[str, str]:
    """pair id → the human verdict (adjudicated first, then the latest)."""
    chosen: dict[str, tuple[bool, str, str]] = {}
    for label in LabelRepository(store).load(label_dataset(mirror)):
        key = (label.adjudicated, label.created_at.isoformat() if label.created_at else "")
        old = chosen.get(label.item_id)
        if old is None or key > old[:2]:
            chosen[label.item_id] = (*key, label.label)
    return {item: value[2] for item, value in chosen.items()}


def decide(pair: MirrorPair, human: str | None) -> Decision | None:
    """Who won the pair, and who said so (None: undecided)."""
    if human in ("current", "candidate", "tie", "both_bad"):
        return Decision(winner=human, decided_by="human")  # type: ignore[arg-type]
    analysis = pair.analysis
    if analysis is None:
        return None
    if analysis.relation == "failed":
        current_failed = pair.current.error is not None
        candidate_failed = pair.candidate is None or pair.candidate.error is not None
        if current_failed != candidate_failed:
            return Decision(
                winner="current" if candidate_failed else "candidate", decided_by="error"
            )
        return None
    verdict = analysis.verdict
    if verdict and verdict.consistent and verdict.winner in ("current", "candidate"):
        return Decision(winner=verdict.winner, decided_by="judge")
    return None


def _answer(side: PairSide) -> object:
    """The part of an answer a training target needs: the artifact when there is one, else the
    message (content and tool calls)."""
    if side.artifact is not None:
        return side.artifact
    return {"content": side.content, "tool_calls": side.tool_calls}


class Harvest(BaseModel):
    examples: list[Example]
    considered: int
    skipped: dict[str, int]


def golden_candidates(store: Store, mirror: str) -> Harvest:
    """Every human-labelled pair as a pairwise golden item: the request, both answers, the label."""
    labels = human_labels(store, mirror)
    pairs = MirrorPairRepository(store).pairs(mirror)
    examples = [
        Example(
            id=p.id,
            input=p.request,
            output={
                "current": p.current.model_dump(mode="json"),
                "candidate": p.candidate.model_dump(mode="json") if p.candidate else None,
            },
            label=labels[p.id],
            tags=(*p.tags, "source:mirror"),
            metadata={"mirror": mirror, "pair": p.id},
        )
        for p in pairs
        if p.id in labels
    ]
    return Harvest(
        examples=examples,
        considered=len(pairs),
        skipped={"unlabelled": len(pairs) - len(examples)},
    )


def failure_cases(store: Store, mirror: str) -> Harvest:
    """Each decided pair's losing answer, with the winning answer as its reference."""
    labels = human_labels(store, mirror)
    pairs = MirrorPairRepository(store).pairs(mirror)
    skipped = {"undecided": 0, "no_better_answer": 0}
    examples: list[Example] = []
    for pair in pairs:
        decision = decide(pair, labels.get(pair.id))
        if decision is None:
            skipped["undecided"] += 1
            continue
        if decision.winner in ("tie", "both_bad") or pair.candidate is None:
            skipped["no_better_answer"] += 1
            continue
        winner, loser = (
            (pair.current, pair.candidate)
            if decision.winner == "current"
            else (pair.candidate, pair.current)
        )
        examples.append(
            Example(
                id=f"{pair.id}",
                input=pair.request,
                reference=_answer(winner),
                output=_answer(loser),
                tags=(*pair.tags, "source:mirror", f"decided_by:{decision.decided_by}"),
                metadata={
                    "mirror": mirror,
                    "pair": pair.id,
                    "winner": winner.system,
                    "loser": loser.system,
                },
            )
        )
    return Harvest(examples=examples, considered=len(pairs), skipped=skipped)
