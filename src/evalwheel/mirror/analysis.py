"""Comparing each mirror pair: the application decides sameness first, the noise floor is the
current system against itself, and only different pairs go to the pairwise judge, in both orders.

Each pair's analysis is stored as soon as it is done, so an interrupted comparison resumes where
it stopped; judge calls go through the store's call cache, so nothing finished is paid twice.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from evalwheel.core.example import Example
from evalwheel.core.judge import Judge
from evalwheel.core.mirror import MirrorPair, PairAnalysis, PairSide, PairVerdictRecord
from evalwheel.judges.judging import judge_pairwise
from evalwheel.llm.client import ModelClient
from evalwheel.mirror.relate import output_from_side, relate_outputs
from evalwheel.store.db import Store
from evalwheel.store.mirrors import MirrorPairRepository

_WINNER = {"A": "current", "B": "candidate", "tie": "tie"}


def request_text(request: Any) -> str:
    """A request as a judge reads it: a plain request as it is, a conversation as role-tagged
    turns (the system prompt included: it is part of what the systems were asked)."""
    if isinstance(request, str):
        return request
    if isinstance(request, dict) and isinstance(request.get("messages"), list):
        request = request["messages"]
    if isinstance(request, list) and all(isinstance(m, dict) for m in request):
        lines = []
        for message in request:
            content = message.get("content")
            text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
            lines.append(f"{message.get('role', '?')}: {text}")
        return "\n".join(lines)
    return json.dumps(request, ensure_ascii=False, sort_keys=True)


def side_text(app: Any, example: Example | None, side: PairSide) -> str:
    """What the judge sees of one answer: the application's rendering when it has one, else the
    answer's text and tool calls."""
    if app is not None and example is not None and callable(getattr(app, "render", None)):
        return str(app.render(example, output_from_side(side)))
    parts = []
    if side.content:
        parts.append(side.content)
    for call in side.tool_calls:
        parts.append("tool call: " + json.dumps(call, ensure_ascii=False, sort_keys=True))
    if side.artifact is not None:
        parts.append("artifact: " + json.dumps(side.artifact, ensure_ascii=False, sort_keys=True))
    if side.error:
        parts.append(f"error: {side.error}")
    return "\n".join(parts) or "(empty answer)"


async def analyse_pair(
    pair: MirrorPair,
    *,
    app: Any = None,
    example: Example | None = None,
    judge: Judge | None = None,
    client: ModelClient | None = None,
) -> PairAnalysis:
    """Relation, noise relation and (for a different pair) the pairwise verdict of one pair."""
    if pair.candidate is None:
        raise ValueError(f"pair {pair.id} has no candidate answer")
    found = relate_outputs(app, example, pair.current, pair.candidate)
    noise = (
        relate_outputs(app, example, pair.current, pair.current_again).relation
        if pair.current_again is not None
        else None
    )
    verdict = None
    if found.relation == "different" and judge is not None and client is not None:
        verdict = await _verdict(pair, app, example, judge, client)
    return PairAnalysis(
        relation=found.relation,
        diff=found.diff,
        diff_omitted=found.diff_omitted,
        counterexample=found.counterexample,
        noise_relation=noise,
        verdict=verdict,
    )


async def _verdict(
    pair: MirrorPair, app: Any, example: Example | None, judge: Judge, client: ModelClient
) -> PairVerdictRecord:
    assert pair.candidate is not None
    context = request_text(pair.request)
    first = side_text(app, example, pair.current)
    second = side_text(app, example, pair.candidate)
    result = await judge_pairwise(client, judge, context, first, second)
    cost = sum(v.cost_usd for v in (result.first, result.swapped) if v is not None)
    rationale = result.first.rationale if result.first is not None else None
    return PairVerdictRecord(
        judge=f"{judge.name}@{judge.version[:12]}",
        winner=_WINNER.get(result.winner) if result.winner and not result.error else None,
        consistent=None if result.error else result.consistent,
        first=result.first.label if result.first is not None else None,
        swapped=result.swapped.label if result.swapped is not None else None,
        rationale=rationale,
        error=result.error,
        cost_usd=cost,
    )


async def analyse_mirror(
    store: Store,
    mirror: str,
    *,
    app: Any = None,
    examples: dict[str, Example] | None = None,
    judge: Judge | None = None,
    client: ModelClient | None = None,
    concurrency: int = 4,
    redo: bool = False,
    on_pair: Callable[[int, int], None] | None = None,
) -> int:
    """Analyse the mirror's pairs not analysed yet (all of them with ``redo``); returns how many
    were analysed now. ``on_pair(done, total)`` reports progress after each stored analysis.
    Given a judge, a different pair without a verdict (compared with no judge, or the judge call
    failed: a budget stop, an outage) is analysed again, so resuming finishes the judging."""
    repo = MirrorPairRepository(store)
    pending = [
        p
        for p in repo.pairs(mirror)
        if p.candidate is not None and (redo or _needs_analysis(p, judge is not None))
    ]
    total, done = len(pending), 0
    if on_pair:
        on_pair(0, total)
    gate = asyncio.Semaphore(concurrency)

    async def one(pair: MirrorPair) -> None:
        nonlocal done
        async with gate:
            example = (examples or {}).get(pair.example_id)
            analysis = await analyse_pair(
                pair, app=app, example=example, judge=judge, client=client
            )
        await asyncio.to_thread(repo.set_analysis, mirror, pair.id, analysis)
        done += 1
        if on_pair:
            on_pair(done, total)

    await asyncio.gather(*(one(p) for p in pending))
    return done


def _needs_analysis(pair: MirrorPair, judging: bool) -> bool:
    analysis = pair.analysis
    if analysis is None:
        return True
    if not judging or analysis.relation != "different":
        return False
    return analysis.verdict is None or analysis.verdict.error is not None
