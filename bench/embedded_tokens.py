"""(b) Embedded model generation speed through evalwheel vs raw llama-cpp-python (target >= 0.95).

Both sides run the same SmolLM2-135M GGUF with the same prompts, temperature 0 and max_tokens;
tokens/s is completion tokens divided by wall time, summed over the prompts. Rounds alternate
(raw, evalwheel, raw, evalwheel…) so drift on a shared machine hits both equally.

    python bench/embedded_tokens.py [--rounds 3] [--max-tokens 128]
"""

from __future__ import annotations

import argparse
import asyncio
import time

PROMPTS = [
    "Write a short story about a merchant who automates order tagging.",
    "Explain what a trigger, a condition and an action are in a workflow.",
    "List ten ideas for customer loyalty programmes.",
]


def raw_round(llm, max_tokens: int) -> tuple[int, float]:
    tokens, elapsed = 0, 0.0
    for prompt in PROMPTS:
        started = time.perf_counter()
        result = llm.create_chat_completion(
            messages=[{"role": "user", "content": prompt}],
            temperature=0.0,
            max_tokens=max_tokens,
            seed=0,
        )
        elapsed += time.perf_counter() - started
        tokens += result["usage"]["completion_tokens"]
    return tokens, elapsed


async def evalwheel_round(client, max_tokens: int) -> tuple[int, float]:
    from evalwheel.llm.types import ChatRequest

    tokens, elapsed = 0, 0.0
    for prompt in PROMPTS:
        started = time.perf_counter()
        response = await client.chat(
            ChatRequest(
                messages=[{"role": "user", "content": prompt}],
                temperature=0.0,
                max_tokens=max_tokens,
                seed=0,
            )
        )
        elapsed += time.perf_counter() - started
        tokens += response.usage.output_tokens
    return tokens, elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=128)
    args = parser.parse_args()

    # A separate Llama instance for the baseline, with the same settings evalwheel uses.
    import os

    from llama_cpp import Llama

    from evalwheel.llm.cache import CacheMode
    from evalwheel.llm.client import ModelClient
    from evalwheel.llm.embedded import find_gguf
    from evalwheel.llm.registry import builtin_models

    raw = Llama(
        model_path=str(find_gguf()),
        n_ctx=4096,
        n_threads=min(4, os.cpu_count() or 1),
        verbose=False,
        seed=0,
    )

    async def run() -> tuple[list, list]:
        raws, ours = [], []
        async with ModelClient(builtin_models()["local"], cache_mode=CacheMode.OFF) as client:
            await evalwheel_round(client, 8)  # load + warm-up
            raw_round(raw, 8)
            for _ in range(args.rounds):
                raws.append(raw_round(raw, args.max_tokens))
                ours.append(await evalwheel_round(client, args.max_tokens))
        return raws, ours

    raws, ours = asyncio.run(run())
    raw_tps = sum(t for t, _ in raws) / sum(s for _, s in raws)
    our_tps = sum(t for t, _ in ours) / sum(s for _, s in ours)
    print(f"{args.rounds} rounds x {len(PROMPTS)} prompts, max_tokens {args.max_tokens}")
    print(f"raw llama-cpp-python   {raw_tps:7.1f} tokens/s")
    print(f"evalwheel (local)      {our_tps:7.1f} tokens/s   ratio {our_tps / raw_tps:.2f}")


if __name__ == "__main__":
    main()
