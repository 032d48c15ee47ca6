"""A unit-sized real fine-tune of the embedded model on Flow rows: the loss goes down, the adapter
loads with transformers and answers, Ctrl-C keeps the last checkpoint and the same training run
again resumes from it without redoing steps."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from evalwheel.api.training import train
from evalwheel.core.example import Example
from evalwheel.interrupts import Interrupted
from evalwheel.training.models import TrainProgress
from evalwheel_flow import DATA_DIR

pytestmark = [pytest.mark.slow, pytest.mark.model]

SYSTEM = """

[systems.flow-brief]
app = "flow"
model = "local"
params = { shots = 0, instructions = "brief" }
"""


def flow_rows(n: int) -> list[Example]:
    rows = [json.loads(line) for line in (DATA_DIR / "benchmark.jsonl").read_text().splitlines()]
    picked = [r for r in rows if r.get("expect", "workflow") == "workflow"][:n]
    return [
        Example(
            id=r["id"],
            input=r["request"],
            reference=r["reference"],
            metadata={"expect": "workflow"},
        )
        for r in picked
    ]


class StopAt:
    """Presses Ctrl-C (raises KeyboardInterrupt) once the given step has been logged."""

    def __init__(self, step: int) -> None:
        self.step = step
        self.seen: list[TrainProgress] = []

    def __call__(self, progress: TrainProgress) -> None:
        self.seen.append(progress)
        if progress.step >= self.step:
            raise KeyboardInterrupt


def test_train_resume_and_load(sqlite_project: Any) -> None:
    with sqlite_project.config_path.open("a", encoding="utf-8") as handle:
        handle.write(SYSTEM)
    rows = flow_rows(3)
    output = sqlite_project.root / "out"
    settings: dict[str, Any] = {
        "steps": 6,
        "batch": 1,
        "learning_rate": 1e-3,
        "rank": 8,
        "max_length": 512,
        "project": sqlite_project.root,  # re-read: the system was added above
        "output": output,
    }

    stop = StopAt(4)
    with pytest.raises(Interrupted, match="checkpoint-3"):
        train("flow-brief", rows, config=_save_every(3), on_progress=stop, **settings)
    assert [p.step for p in stop.seen] == [1, 2, 3, 4]
    assert stop.seen[0].total == 6
    assert (output / "checkpoints" / "checkpoint-3").is_dir()
    assert not (output / "adapter").exists()

    result = train("flow-brief", rows, config=_save_every(3), **settings)
    assert result.resumed_from_step == 3
    assert result.steps_run == 3  # steps 1-3 were not redone
    assert result.steps_total == 6
    assert [p.step for p in result.loss_curve] == [1, 2, 3, 4, 5, 6]
    first_epoch = sum(p.loss for p in result.loss_curve[:3])
    second_epoch = sum(p.loss for p in result.loss_curve[3:])
    assert second_epoch < first_epoch, [p.loss for p in result.loss_curve]
    assert result.examples == result.rows == 3
    assert result.tokens.max <= 512
    assert result.peak_rss_mb > 0 and result.rows_per_s > 0
    saved = json.loads((output / "loss.json").read_text())
    assert [p["loss"] for p in saved] == [p.loss for p in result.loss_curve]

    again = train("flow-brief", rows, config=_save_every(3), **settings)
    assert (again.resumed_from_step, again.steps_run) == (6, 0)

    answer = _generate(Path(result.adapter_dir), rows[0])
    assert answer.strip()


def _save_every(steps: int) -> Any:
    from evalwheel.training.models import TrainConfig

    return TrainConfig(save_steps=steps)


def _generate(adapter: Path, example: Example) -> str:
    """Load the saved PEFT adapter on its base with transformers and answer greedily."""
    import torch
    from peft import AutoPeftModelForCausalLM
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(adapter)
    model = AutoPeftModelForCausalLM.from_pretrained(adapter, dtype=torch.float32)
    model.eval()
    prompt = tokenizer.apply_chat_template(
        [{"role": "user", "content": str(example.input)}],
        tokenize=False,
        add_generation_prompt=True,
    )
    inputs = tokenizer(prompt, return_tensors="pt", add_special_tokens=False)
    with torch.no_grad():
        out = model.generate(**inputs, max_new_tokens=24, do_sample=False)
    return str(tokenizer.decode(out[0][inputs["input_ids"].shape[1] :], skip_special_tokens=True))
