"""The offline mirror: stored traffic through the current and the candidate system.

A replay is three ordinary runs of the same sampled items, so it is resumable like any run and
re-pays nothing finished: the current system twice (repetitions 0 and 1 are independent samples:
how often they disagree is the noise floor, Diffy's way) and the candidate once, drawing its own
independent sample (``sample_base``) so it never reuses the current system's cached answer to an
identical call. The traces are then paired item by item into ``mirror_pairs``.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime

from evalwheel.core.dataset import DatasetVersion
from evalwheel.core.example import Example
from evalwheel.core.hashing import content_hash, short
from evalwheel.core.mirror import MirrorPair, MirrorRecord, PairSide
from evalwheel.errors import InputError, NotFoundError
from evalwheel.mirror.relate import side_from_output
from evalwheel.runner.runner import load_output
from evalwheel.store.datasets import DatasetRepository
from evalwheel.store.db import Store
from evalwheel.store.mirrors import MirrorPairRepository
from evalwheel.store.records import Records
from evalwheel.store.runs import RunRepository

MIRROR = "mirror"
CURRENT_REPEAT = 2  # repetition 1 is the noise-floor sample
CANDIDATE_SAMPLE_BASE = CURRENT_REPEAT


def sample_items(
    version: DatasetVersion, repo: DatasetRepository, n: int | None, seed: int
) -> list[str]:
    """The replayed item ids in dataset order: all of them, or a uniform sample of ``n`` drawn
    with ``seed`` (the same arguments always give the same sample)."""
    ids = [e.id for e in repo.iter_examples(version.version_id)]
    if n is None or n >= len(ids):
        return ids
    if n < 1:
        raise InputError(f"must be at least 1, not {n}", field="sample")
    chosen = set(random.Random(seed).sample(ids, n))
    return [i for i in ids if i in chosen]


def mirror_id(
    traffic: str,
    current: str,
    candidate: str,
    sample: int | None,
    seed: int,
    pointwise_judge: str | None = None,
) -> str:
    """The same traffic, systems (by version), sample and pointwise judge always name the same
    mirror, so running the command again resumes it."""
    key = {"traffic": traffic, "current": current, "candidate": candidate, "sample": sample}
    if pointwise_judge:
        key["pointwise_judge"] = pointwise_judge
    return "mir-" + short(content_hash({**key, "seed": seed}))


def load_mirror(store: Store, name: str) -> MirrorRecord:
    """A stored mirror by id; a live mirror has no record until its first analysis, so a name with
    pairs but no record is a live mirror."""
    payload = Records(store, MIRROR).get(name)
    if payload is not None:
        return MirrorRecord.model_validate(payload)
    repo = MirrorPairRepository(store)
    first = repo.first(name)
    if first is None:
        known = sorted(
            {r["id"] for r in Records(store, MIRROR).all()} | {m for m, _ in repo.mirrors()}
        )
        raise NotFoundError(
            f"no mirror named {name!r}" + (f" (known: {', '.join(known)})" if known else "")
        )
    record = MirrorRecord(
        id=name,
        source=first.source,
        current=first.current.system,
        candidate=first.candidate.system if first.candidate else "?",
        created_at=first.created_at,
    )
    return record


def save_mirror(store: Store, record: MirrorRecord) -> None:
    Records(store, MIRROR).put(record.id, record.model_dump(mode="json"))


def seen_at(example: Example, default: datetime) -> datetime:
    """When the request happened, from the traffic's provenance (``metadata.seen_at``)."""
    value = example.metadata.get("seen_at")
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return default
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return default


def build_pairs(store: Store, record: MirrorRecord) -> int:
    """Pair the runs' traces item by item (only items all three samples finished); pairs already
    stored keep their analysis. Returns how many pairs were added."""
    runs = RunRepository(store)
    by_key: dict[tuple[str, str, int], PairSide] = {}
    scorer = f"judge:{record.pointwise_judge}" if record.pointwise_judge else None
    for role, run_id in record.runs.items():
        row = runs.get(run_id)
        system = f"{row.system_name}@{row.system_version[:12]}"
        verdicts = (
            {
                (s.example_id, s.repetition): s.passed
                for s in runs.scores(run_id)
                if s.scorer == scorer
            }
            if scorer
            else {}
        )
        for trace in runs.traces(run_id):
            output = load_output(store, trace)
            side = side_from_output(output, system, run_id)
            side.passed = verdicts.get((trace.example_id, trace.repetition))
            by_key[(role, trace.example_id, trace.repetition)] = side
    version = DatasetRepository(store).resolve(record.traffic or "")
    wanted = set(record.items)
    repo = MirrorPairRepository(store)
    have = repo.ids(record.id)
    now = datetime.now(UTC)
    new: list[MirrorPair] = []
    for example in DatasetRepository(store).iter_examples(version.version_id):
        if example.id not in wanted or example.id in have:
            continue
        current = by_key.get(("current", example.id, 0))
        again = by_key.get(("current", example.id, 1))
        candidate = by_key.get(("candidate", example.id, 0))
        if current is None or again is None or candidate is None:
            continue
        metadata = example.metadata
        conversation = metadata.get("conversation_id")
        turn = metadata.get("turn")
        new.append(
            MirrorPair(
                id=example.id,
                mirror=record.id,
                source="replay",
                example_id=example.id,
                conversation_id=conversation if isinstance(conversation, str) else None,
                turn=turn if isinstance(turn, int) else 0,
                request=example.input,
                current=current,
                candidate=candidate,
                current_again=again,
                tags=list(example.tags),
                created_at=seen_at(example, now),
            )
        )
    return repo.add(new)
