"""The fine-tune itself: TRL's SFTTrainer with a PEFT LoRA adapter, on the CPU or a GPU.

- CPU: fp32 (SFTConfig's bf16 and gradient checkpointing defaults are turned off: the first is
  slow or missing on CPUs, the second costs time a 135M model does not need), batch 4, one torch
  thread per core. GPU (when torch sees one): bf16 where supported, batch 16.
- Resumable: a checkpoint every ``save_steps`` under ``OUTPUT/checkpoints``; a call with the same
  output, settings and rows resumes from the last one and does not redo its steps. Another
  training in the same output is refused rather than mixed in.
- Ctrl-C stops at once and keeps the last checkpoint (``Interrupted``, exit 130).
- Writes ``OUTPUT/adapter`` (PEFT), ``OUTPUT/loss.json`` (the loss curve), ``OUTPUT/result.json``
  and, for a base the embedded model serves (its GGUF), ``OUTPUT/adapter.gguf`` for llama.cpp.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalwheel.core.hashing import content_hash
from evalwheel.errors import ConflictError, InputError
from evalwheel.interrupts import Interrupted
from evalwheel.training.models import (
    LossPoint,
    TokenStats,
    TrainConfig,
    TrainProgress,
    TrainResult,
)
from evalwheel.training.weights import BaseWeights, file_sha256, load_base

ProgressFn = Callable[[TrainProgress], None]
CPU_BATCH, GPU_BATCH = 4, 16


@dataclass
class TrainJob:
    """Everything one fine-tune needs, resolved: the rows, the base, the settings, the output."""

    rows: list[dict[str, Any]]
    examples: int
    base: BaseWeights
    config: TrainConfig
    output: Path
    system: str
    data: str
    params: dict[str, Any] = field(default_factory=dict)

    def identity(self, batch: int) -> dict[str, Any]:
        """What decides the trained adapter (not where or how fast it runs)."""
        settings = self.config.model_dump(mode="json", exclude={"device", "threads", "save_steps"})
        return {
            "base": self.base.identity,
            "config": {**settings, "batch": batch},
            "rows": content_hash(self.rows),
        }


def peak_rss_mb() -> float:
    """This process's peak resident memory (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def fine_tune(job: TrainJob, on_progress: ProgressFn | None = None) -> TrainResult:
    """Run (or resume) the fine-tune of ``job`` and describe what it produced."""
    started = time.perf_counter()
    import torch

    gpu = job.config.device != "cpu" and torch.cuda.is_available()
    if job.config.device == "cuda" and not gpu:
        raise InputError("torch sees no GPU", field="device")
    if not gpu:
        torch.set_num_threads(job.config.threads or os.cpu_count() or 1)
    batch = job.config.batch or (GPU_BATCH if gpu else CPU_BATCH)
    job.output.mkdir(parents=True, exist_ok=True)
    _claim_output(job.output, job.identity(batch))
    model, tokenizer = load_base(job.base, torch.float32)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    tokens = _token_stats(job.rows, tokenizer, job.config.max_length)
    trainer, progress = _trainer(job, model, tokenizer, batch, gpu, on_progress)
    checkpoints = job.output / "checkpoints"
    last = _last_checkpoint(checkpoints)
    resumed = int(last.name.rsplit("-", 1)[1]) if last is not None else None
    try:
        trainer.train(resume_from_checkpoint=str(last) if last is not None else None)
    except KeyboardInterrupt:
        kept = _last_checkpoint(checkpoints)
        where = f"{kept} is kept" if kept is not None else "no checkpoint was reached yet"
        raise Interrupted(
            f"training stopped at step {trainer.state.global_step}; {where}; run the same "
            "training again to resume"
        ) from None
    train_seconds = time.perf_counter() - progress.started
    adapter = job.output / "adapter"
    trainer.model.save_pretrained(adapter)
    tokenizer.save_pretrained(adapter)
    curve = _loss_curve(trainer.state.log_history)
    (job.output / "loss.json").write_text(
        json.dumps([p.model_dump() for p in curve], indent=1) + "\n", encoding="utf-8"
    )
    gguf = _write_gguf(adapter, job.output / "adapter.gguf", job.base.gguf)
    result = TrainResult(
        system=job.system,
        data=job.data,
        output=str(job.output),
        adapter_dir=str(adapter),
        adapter_sha256=file_sha256(adapter / "adapter_model.safetensors"),
        base=job.base.identity,
        base_sha256=job.base.sha256,
        config=job.config.model_copy(update={"batch": batch}),
        examples=job.examples,
        rows=len(job.rows),
        tokens=tokens,
        device="cuda" if gpu else "cpu",
        steps_total=trainer.state.max_steps,
        steps_run=progress.steps,
        resumed_from_step=resumed,
        loss_curve=curve,
        train_seconds=round(train_seconds, 3),
        wall_seconds=round(time.perf_counter() - started, 3),
        rows_per_s=round(progress.steps * batch * job.config.grad_accum / train_seconds, 4)
        if train_seconds > 0
        else 0.0,
        peak_rss_mb=round(peak_rss_mb(), 1),
        gguf_adapter=str(gguf) if gguf else None,
        gguf_adapter_sha256=file_sha256(gguf) if gguf else None,
    )
    (job.output / "result.json").write_text(result.model_dump_json(indent=1) + "\n", "utf-8")
    return result


def _claim_output(output: Path, identity: dict[str, Any]) -> None:
    """Mark ``output`` as this training's, or refuse one that holds another training."""
    marker = output / "train.json"
    if marker.exists():
        if json.loads(marker.read_text(encoding="utf-8")) != identity:
            raise ConflictError(
                f"{output} holds another training (its settings, base or rows differ); choose "
                "another output, or delete it to start over"
            )
        return
    marker.write_text(json.dumps(identity, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def _token_stats(rows: list[dict[str, Any]], tokenizer: Any, max_length: int) -> TokenStats:
    """Each row's length as the chat template renders it; a row longer than ``max_length`` is
    refused (TRL would cut its answer off, and the model would learn a half answer)."""
    lengths = []
    for row in rows:
        text = tokenizer.apply_chat_template(row["prompt"] + row["completion"], tokenize=False)
        length = len(tokenizer(text, add_special_tokens=False)["input_ids"])
        if length > max_length:
            raise InputError(
                f"row {row['id']!r}: {length} tokens, more than max_length={max_length}",
                field="max_length",
            )
        lengths.append(length)
    if not lengths:
        raise InputError("no training rows", field="data")
    return TokenStats(
        rows=len(lengths),
        min=min(lengths),
        median=statistics.median(lengths),
        max=max(lengths),
        total=sum(lengths),
    )


class _Progress:
    """Counts this call's steps and reports step/total, loss, rows/s and ETA after each."""

    def __init__(self, rows_per_step: int, on_progress: ProgressFn | None) -> None:
        self.rows_per_step = rows_per_step
        self.on_progress = on_progress
        self.started = time.perf_counter()
        self.steps = 0

    def callback(self) -> Any:
        from transformers import TrainerCallback

        progress = self

        class Callback(TrainerCallback):
            def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
                progress.started = time.perf_counter()

            def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
                progress.steps += 1

            def on_log(
                self, args: Any, state: Any, control: Any, logs: Any = None, **kwargs: Any
            ) -> None:
                if progress.on_progress is None or not logs or "loss" not in logs:
                    return
                progress.report(state.global_step, state.max_steps, float(logs["loss"]))

        return Callback()

    def report(self, step: int, total: int, loss: float | None) -> None:
        assert self.on_progress is not None
        elapsed = time.perf_counter() - self.started
        per_step = elapsed / self.steps if self.steps else 0.0
        self.on_progress(
            TrainProgress(
                step=step,
                total=total,
                loss=loss,
                rows_per_s=round(self.rows_per_step / per_step, 3) if per_step else 0.0,
                eta_s=round(per_step * max(total - step, 0), 1),
                elapsed_s=round(elapsed, 1),
            )
        )


def _trainer(
    job: TrainJob,
    model: Any,
    tokenizer: Any,
    batch: int,
    gpu: bool,
    on_progress: ProgressFn | None,
) -> tuple[Any, _Progress]:
    import torch
    from datasets import Dataset
    from peft import LoraConfig
    from trl import SFTConfig, SFTTrainer

    config = job.config
    dataset = Dataset.from_list(
        [{"prompt": r["prompt"], "completion": r["completion"]} for r in job.rows]
    )
    args = SFTConfig(
        output_dir=str(job.output / "checkpoints"),
        max_steps=config.steps or -1,
        num_train_epochs=config.epochs,
        per_device_train_batch_size=batch,
        gradient_accumulation_steps=config.grad_accum,
        learning_rate=config.learning_rate,
        logging_steps=1,
        save_strategy="steps",
        save_steps=config.save_steps,
        save_total_limit=2,
        report_to="none",
        use_cpu=not gpu,
        bf16=gpu and torch.cuda.is_bf16_supported(),
        fp16=False,
        gradient_checkpointing=False,
        max_length=config.max_length,
        completion_only_loss=True,
        dataloader_num_workers=0,
        disable_tqdm=True,
        seed=config.seed,
        data_seed=config.seed,
    )
    lora = LoraConfig(
        r=config.rank,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.dropout,
        target_modules=list(config.targets),
        task_type="CAUSAL_LM",
    )
    progress = _Progress(batch * config.grad_accum, on_progress)
    trainer = SFTTrainer(
        model=model,
        args=args,
        train_dataset=dataset,
        processing_class=tokenizer,
        peft_config=lora,
        callbacks=[progress.callback()],
    )
    from transformers.trainer_callback import PrinterCallback

    trainer.remove_callback(PrinterCallback)  # our progress lines say it once, on stderr
    return trainer, progress


def _last_checkpoint(folder: Path) -> Path | None:
    if not folder.is_dir():
        return None
    from transformers.trainer_utils import get_last_checkpoint

    found = get_last_checkpoint(str(folder))
    return Path(found) if found else None


def _loss_curve(history: list[dict[str, Any]]) -> list[LossPoint]:
    return [
        LossPoint(
            step=int(entry["step"]),
            loss=float(entry["loss"]),
            learning_rate=entry.get("learning_rate"),
            epoch=entry.get("epoch"),
        )
        for entry in history
        if "loss" in entry and "step" in entry
    ]


def _write_gguf(adapter: Path, out: Path, base_gguf: Path | None) -> Path | None:
    """The adapter as a llama.cpp GGUF LoRA for the GGUF it was trained from (None: the base was
    a Hugging Face model, which the embedded model does not serve)."""
    if base_gguf is None:
        return None
    from evalwheel.training.gguf_lora import write_gguf_lora

    return Path(write_gguf_lora(adapter, out, base_gguf=base_gguf))
