"""Which production artifacts become synthetic rows: the seed's rules, applied in order, seeded.

1. ``validates``: the artifact passes the application's own check against itself (every
   deterministic check that applies passes), so no broken artifact becomes a training target;
2. ``owner_has_two``: only owners (``metadata.merchant``) with two or more qualifying artifacts,
   real merchants rather than one-off experiments;
3. ``descriptor``: the artifact has a descriptor (the application's ``signature``);
4. at least one per descriptor, then up to ``per_descriptor`` each, with at most ``per_merchant``
   from one owner: ``per_descriptor`` and ``per_merchant`` count what the caps removed.

The report says what each rule removed, and which descriptors no row is left for after it.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from evalwheel.apps.hooks import artifact_outcome, signature_of
from evalwheel.apps.interface import AppOutput
from evalwheel.core.example import Example
from evalwheel.synth.models import RuleRemoval, SamplingReport

OWNER_FIELD = "merchant"


def qualifies(app: Any, example: Example) -> bool:
    """The artifact passes the application's check with itself as the reference."""
    output = AppOutput(outcome=artifact_outcome(app), artifact=example.reference)
    checked = app.check(example, output)
    applicable = [c for c in checked if c.passed is not None]
    return bool(applicable) and all(c.passed for c in applicable)


def _descriptors(rows: Sequence[tuple[Example, str | None]]) -> set[str]:
    return {d for _, d in rows if d is not None}


def _removal(
    rule: str, before: Sequence[tuple[Example, str | None]], after: Sequence[Any]
) -> RuleRemoval:
    kept = _descriptors(after)
    lost = sorted(_descriptors(before) - kept)
    return RuleRemoval(rule=rule, removed=len(before) - len(after), descriptors_lost=lost)


def sample_rows(
    app: Any,
    examples: Sequence[Example],
    *,
    source: str = "<examples>",
    per_descriptor: int | None = 1,
    per_merchant: int | None = None,
    seed: int = 0,
    owner_field: str = OWNER_FIELD,
) -> tuple[list[tuple[Example, str]], SamplingReport]:
    """The sampled (row, descriptor) pairs, in a seeded order, and the report."""
    signature = signature_of([app])
    if signature is None:
        raise TypeError(f"application {getattr(app, 'name', app)!r} has no signature hook")
    for cap, value in (("per_descriptor", per_descriptor), ("per_merchant", per_merchant)):
        if value is not None and value < 1:
            raise ValueError(f"{cap} must be 1 or more, not {value}")
    everything = [(e, signature(e)) for e in examples]
    rules: list[RuleRemoval] = []

    valid = [(e, d) for e, d in everything if qualifies(app, e)]
    rules.append(_removal("validates", everything, valid))

    owners = Counter(str(e.metadata.get(owner_field)) for e, _ in valid)
    owned = [
        (e, d)
        for e, d in valid
        if e.metadata.get(owner_field) is not None and owners[str(e.metadata[owner_field])] >= 2
    ]
    rules.append(_removal("owner_has_two", valid, owned))

    described = [(e, d) for e, d in owned if d is not None]
    rules.append(_removal("descriptor", owned, described))

    chosen, by_cap = _capped(described, per_descriptor, per_merchant, seed, owner_field)
    covered = {d for _, d in chosen}
    for cap in ("per_descriptor", "per_merchant"):
        removed = [d for (_, d), why in by_cap if why == cap]
        lost = sorted(set(removed) - covered)
        rules.append(RuleRemoval(rule=cap, removed=len(removed), descriptors_lost=lost))

    available = _descriptors(everything)
    report = SamplingReport(
        source=source,
        source_rows=len(examples),
        descriptors_available=len(available),
        descriptors_covered=len(covered),
        coverage=len(covered) / len(available) if available else None,
        owners=sum(1 for n in owners.values() if n >= 2),
        sampled=len(chosen),
        rules=rules,
        seed=seed,
        per_descriptor=per_descriptor,
        per_merchant=per_merchant,
    )
    return chosen, report


def _capped(
    rows: list[tuple[Example, str]],
    per_descriptor: int | None,
    per_merchant: int | None,
    seed: int,
    owner_field: str,
) -> tuple[list[tuple[Example, str]], list[tuple[tuple[Example, str], str]]]:
    """Round robin over the descriptors (sorted, each one's rows shuffled by the seed): round one
    gives every descriptor its first row, later rounds one more each, so every descriptor is
    covered before any gets a second row. A row whose owner is at ``per_merchant`` is passed over.
    Returns the chosen rows and, for the others, the cap that removed them."""
    rng = random.Random(seed)
    queues: dict[str, list[Example]] = defaultdict(list)
    for example, descriptor in sorted(rows, key=lambda pair: (pair[1], pair[0].id)):
        queues[descriptor].append(example)
    for queue in queues.values():
        rng.shuffle(queue)
    per_owner: Counter[str] = Counter()
    chosen: list[tuple[Example, str]] = []
    skipped: dict[str, tuple[Example, str]] = {}
    longest = max(map(len, queues.values()), default=0)
    rounds = longest if per_descriptor is None else per_descriptor
    for _ in range(rounds):
        for descriptor in sorted(queues):
            queue = queues[descriptor]
            while queue:
                example = queue.pop(0)
                owner = str(example.metadata.get(owner_field))
                if per_merchant is not None and per_owner[owner] >= per_merchant:
                    skipped[example.id] = (example, descriptor)
                    continue
                per_owner[owner] += 1
                chosen.append((example, descriptor))
                break
    removed = [(pair, "per_merchant") for pair in skipped.values()]
    removed += [((e, d), "per_descriptor") for d, queue in queues.items() for e in queue]
    return chosen, removed
