"""Running a judge over labelled items, concurrently, with progress.

Every call goes through the model client's call cache, so an interrupted calibration re-run with the
same judge and items answers the finished items from the cache instead of calling again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from evalwheel.core.judge import Judge
from evalwheel.judges.config import require_pointwise
from evalwheel.judges.golden import GoldenItem
from evalwheel.judges.judging import JudgeVerdict, judge_pointwise
from evalwheel.llm.client import ModelClient


async def judge_items(
    client: ModelClient,
    judge: Judge,
    items: Sequence[GoldenItem],
    *,
    concurrency: int = 4,
    on_item: Callable[[], None] | None = None,
) -> dict[str, JudgeVerdict]:
    require_pointwise(judge, "scoring golden items")
    semaphore = asyncio.Semaphore(max(1, concurrency))
    verdicts: dict[str, JudgeVerdict] = {}

    async def one(item: GoldenItem) -> None:
        async with semaphore:
            verdicts[item.id] = await judge_pointwise(client, judge, item.material)
        if on_item:
            on_item()

    try:
        await asyncio.gather(*(one(i) for i in items))
    finally:
        client.flush()
    return verdicts
