"""``evalwheel train``: LoRA fine-tuning of a system's model on a dataset (see api/training.py)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from evalwheel.cli.context import current_project
from evalwheel.cli.output import emit_json, err, out

if TYPE_CHECKING:
    from evalwheel.training.models import TrainProgress


def _progress_line(progress: TrainProgress) -> None:
    loss = "-" if progress.loss is None else f"{progress.loss:.4f}"
    err.print(
        f"step {progress.step}/{progress.total}  loss {loss}  {progress.rows_per_s:.2f} rows/s  "
        f"ETA {progress.eta_s:.0f}s",
        highlight=False,
    )


def train(
    system: Annotated[str, typer.Option("--system", "-s", help="A configured system.")],
    data: Annotated[
        list[str],
        typer.Option(
            "--data",
            "-d",
            help="NAME[@VERSION][:SPLIT] of a stored dataset, or a data file (repeatable).",
        ),
    ],
    steps: Annotated[int | None, typer.Option(help="Optimiser steps (wins over --epochs).")] = None,
    epochs: Annotated[float | None, typer.Option(help="Passes over the rows (default 1).")] = None,
    lr: Annotated[float | None, typer.Option("--lr", help="Learning rate (default 2e-4).")] = None,
    rank: Annotated[int | None, typer.Option(help="LoRA rank (default 16).")] = None,
    batch: Annotated[
        int | None, typer.Option(help="Rows per step (default 4 on the CPU, 16 on a GPU).")
    ] = None,
    max_length: Annotated[
        int | None, typer.Option("--max-length", help="Longest row in tokens (default 2048).")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Seed (default 0).")] = None,
    base: Annotated[
        str | None,
        typer.Option(help="A Hugging Face model folder or id (default: the system's own GGUF)."),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(help="Output folder (default .evalwheel/training/SYSTEM-KEY; resumable)."),
    ] = None,
    register: Annotated[
        str | None,
        typer.Option(help="Register the adapter as this candidate system (promote gates it)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Fine-tune the system's model with LoRA on DATA in its own serving format; running the same
    command again resumes from the last checkpoint."""
    from evalwheel.api.training import train as run_training

    result = run_training(
        system,
        data,
        output=output,
        steps=steps,
        epochs=epochs,
        learning_rate=lr,
        rank=rank,
        batch=batch,
        max_length=max_length,
        seed=seed,
        base=base,
        register=register,
        project=current_project(),
        on_progress=_progress_line,
    )
    if as_json:
        emit_json(result)
        return
    resumed = (
        f" (resumed at step {result.resumed_from_step})"
        if result.resumed_from_step is not None
        else ""
    )
    lines = [
        f"adapter     {result.adapter_dir}",
        f"base        {result.base}",
        f"data        {result.data}: {result.examples} examples, {result.rows} rows, "
        f"{result.tokens.median:.0f} tokens median, {result.tokens.max} max",
        f"steps       {result.steps_run} run of {result.steps_total}{resumed} on {result.device}",
        f"loss        {result.first_loss} -> {result.last_loss}",
        f"time        {result.train_seconds:.1f}s training, {result.wall_seconds:.1f}s in all, "
        f"{result.rows_per_s:.2f} rows/s",
        f"peak memory {result.peak_rss_mb:.0f} MB",
    ]
    if result.gguf_adapter:
        lines.append(f"gguf        {result.gguf_adapter} (sha256 {result.gguf_adapter_sha256})")
    if result.registered is not None:
        lines.append(
            f"candidate   {result.registered.name} "
            f"(evalwheel trained promote {result.registered.name} gates it)"
        )
    for line in lines:
        out.print(line, highlight=False)
