"""Serving speed of a tuned model: the shipped SmolLM2-135M Q4_1 alone vs the same file with a LoRA
adapter applied by llama.cpp (``ModelSpec.lora_path``), as a ratio against the base measured in the
same run. Rounds alternate (base, adapter, base, adapter…) so drift on a shared machine hits both.

The adapter is a PEFT folder (converted with evalwheel.training.gguf_lora) or a GGUF LoRA file.
A merged Q8_0 model is not built by evalwheel (no merge path ships), so it is not measured here.

    python bench/serve_tuned.py ADAPTER [--rounds 3] [--max-tokens 128] [--threads 2]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

PROMPTS = [
    "Write a short story about a merchant who automates order tagging.",
    "Explain what a trigger, a condition and an action are in a workflow.",
    "List ten ideas for customer loyalty programmes.",
]


def one_round(llm, max_tokens: int) -> tuple[int, float]:
    tokens, elapsed = 0, 0.0
    for prompt in PROMPTS:
        llm.reset()
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("adapter", type=Path, help="PEFT adapter folder or GGUF LoRA file")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    from llama_cpp import Llama

    from evalwheel.llm.embedded import find_gguf
    from evalwheel.training.gguf_lora import write_gguf_lora

    lora = args.adapter
    if lora.is_dir():
        started = time.perf_counter()
        lora = write_gguf_lora(lora, Path(tempfile.mkdtemp()) / "adapter.gguf")
        print(
            f"converted {args.adapter} -> GGUF LoRA in {time.perf_counter() - started:.2f} s "
            f"({lora.stat().st_size / 1e6:.1f} MB)"
        )
    shipped = str(find_gguf())
    models = {}
    for name, path in (("base", None), ("adapter", str(lora))):
        started = time.perf_counter()
        models[name] = Llama(
            model_path=shipped,
            lora_path=path,
            n_ctx=2048,
            n_threads=args.threads,
            verbose=False,
            seed=0,
        )
        print(f"{name}: load {time.perf_counter() - started:.2f} s")
    totals = {name: [0, 0.0] for name in models}
    for round_no in range(args.rounds):
        line = []
        for name, llm in models.items():
            tokens, elapsed = one_round(llm, args.max_tokens)
            totals[name][0] += tokens
            totals[name][1] += elapsed
            line.append(f"{name} {tokens / elapsed:.1f} tok/s")
        print(f"round {round_no + 1}: " + ", ".join(line))
    base_rate = totals["base"][0] / totals["base"][1]
    for name, (tokens, elapsed) in totals.items():
        rate = tokens / elapsed
        print(
            f"{name:8s} {tokens:5d} tokens in {elapsed:6.1f} s = {rate:6.1f} tok/s "
            f"(ratio vs base {rate / base_rate:.2f})"
        )
    print("merged Q8_0: not built (evalwheel serves base + adapter; no merge path ships)")
    for llm in models.values():
        llm.close()


if __name__ == "__main__":
    main()
