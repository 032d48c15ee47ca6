"""A PEFT adapter written as llama.cpp's GGUF LoRA (evalwheel.training.gguf_lora): names, the q/k
row order, refusals, and the served answer equal to the adapter applied in transformers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from evalwheel.errors import InputError
from evalwheel.training.gguf_lora import write_gguf_lora

gguf = pytest.importorskip("gguf")
safetensors_numpy = pytest.importorskip("safetensors.numpy")

HIDDEN, HEADS, KV_HEADS, RANK = 576, 9, 3, 2  # SmolLM2-135M: head size 64, k/v width 192
PREFIX = "base_model.model.model.layers.0"


def _adapter(folder: Path, **config: object) -> Path:
    """A rank-2 adapter on layer 0's q_proj and k_proj whose B rows count up (row i holds i)."""
    folder.mkdir(parents=True, exist_ok=True)
    tensors = {}
    for module, rows in (("q_proj", HIDDEN), ("k_proj", HIDDEN // HEADS * KV_HEADS)):
        tensors[f"{PREFIX}.self_attn.{module}.lora_A.weight"] = np.ones((RANK, HIDDEN), np.float32)
        counting = np.repeat(np.arange(rows, dtype=np.float32)[:, None], RANK, axis=1)
        tensors[f"{PREFIX}.self_attn.{module}.lora_B.weight"] = counting
    safetensors_numpy.save_file(tensors, str(folder / "adapter_model.safetensors"))
    settings = {"peft_type": "LORA", "r": RANK, "lora_alpha": 4, **config}
    (folder / "adapter_config.json").write_text(json.dumps(settings))
    return folder


def _tensors(path: Path) -> dict[str, np.ndarray]:
    return {t.name: np.array(t.data) for t in gguf.GGUFReader(str(path)).tensors}


def test_names_metadata_and_the_rope_row_order_of_q_and_k(tmp_path: Path) -> None:
    out = write_gguf_lora(_adapter(tmp_path / "a"), tmp_path / "a.gguf", f16=False)
    reader = gguf.GGUFReader(str(out))
    assert reader.fields["general.type"].contents() == "adapter"
    assert reader.fields["adapter.type"].contents() == "lora"
    assert reader.fields["adapter.lora.alpha"].contents() == 4.0
    assert reader.fields["general.architecture"].contents() == "llama"
    tensors = _tensors(out)
    assert sorted(tensors) == [
        "blk.0.attn_k.weight.lora_a",
        "blk.0.attn_k.weight.lora_b",
        "blk.0.attn_q.weight.lora_a",
        "blk.0.attn_q.weight.lora_b",
    ]
    assert tensors["blk.0.attn_q.weight.lora_a"].shape == (RANK, HIDDEN)
    q_rows = tensors["blk.0.attn_q.weight.lora_b"][:, 0]
    k_rows = tensors["blk.0.attn_k.weight.lora_b"][:, 0]
    # Within a 64-wide head, HF keeps rotary halves as blocks [0..31][32..63]; llama.cpp interleaves.
    assert q_rows[:6].tolist() == [0, 32, 1, 33, 2, 34]
    assert q_rows[64:68].tolist() == [64, 96, 65, 97]
    assert k_rows.shape == (192,) and k_rows[128:132].tolist() == [128, 160, 129, 161]
    assert sorted(q_rows.tolist()) == list(range(HIDDEN))


def test_f16_is_the_default_and_rounds_like_numpy(tmp_path: Path) -> None:
    out = write_gguf_lora(_adapter(tmp_path / "a"), tmp_path / "a.gguf")
    lora_a = _tensors(out)["blk.0.attn_q.weight.lora_a"]
    assert lora_a.dtype == np.float16 and np.all(lora_a == 1)


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"use_dora": True}, "use_dora"),
        ({"use_rslora": True}, "use_rslora"),
        ({"peft_type": "IA3"}, "peft_type"),
    ],
)
def test_adapters_llama_cpp_cannot_serve_are_refused(
    tmp_path: Path, config: dict, field: str
) -> None:
    with pytest.raises(InputError) as caught:
        write_gguf_lora(_adapter(tmp_path / "a", **config), tmp_path / "a.gguf")
    assert caught.value.field == field and not (tmp_path / "a.gguf").exists()


def test_a_folder_without_an_adapter_names_itself(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"adapter_config\.json") as caught:
        write_gguf_lora(tmp_path, tmp_path / "a.gguf")
    assert caught.value.file == str(tmp_path)


@pytest.mark.model
@pytest.mark.slow
def test_served_adapter_answers_like_the_adapter_in_transformers(tmp_path: Path) -> None:
    """A random (seeded) LoRA on every projection: llama.cpp serving our file greedily writes the
    same words as transformers + PEFT, and not what the base model writes."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    peft = pytest.importorskip("peft")
    from llama_cpp import Llama

    from evalwheel.llm.embedded import find_gguf

    shipped = find_gguf()
    torch.manual_seed(0)
    base = transformers.AutoModelForCausalLM.from_pretrained(
        str(shipped.parent), gguf_file=shipped.name, dtype=torch.float32
    )
    tokenizer = transformers.AutoTokenizer.from_pretrained(
        str(shipped.parent), gguf_file=shipped.name
    )
    config = peft.LoraConfig(
        r=4,
        lora_alpha=8,
        target_modules=[
            "q_proj",
            "k_proj",
            "v_proj",
            "o_proj",
            "gate_proj",
            "up_proj",
            "down_proj",
        ],
        init_lora_weights=False,  # random A and B: the adapter changes the answer from the start
        task_type="CAUSAL_LM",
    )
    tuned = peft.get_peft_model(base, config).eval()
    tuned.save_pretrained(str(tmp_path / "adapter"))
    prompt = "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n"
    ids = tokenizer(prompt, return_tensors="pt").input_ids
    with torch.no_grad():
        generated = tuned.generate(ids, max_new_tokens=12, do_sample=False)
    expected = tokenizer.decode(generated[0, ids.shape[1] :], skip_special_tokens=True)

    adapter = write_gguf_lora(tmp_path / "adapter", tmp_path / "adapter.gguf")

    def served(lora: Path | None) -> str:
        llm = Llama(
            model_path=str(shipped),
            lora_path=str(lora) if lora else None,
            n_ctx=512,
            n_threads=2,
            seed=0,
            verbose=False,
        )
        try:
            result = llm.create_completion(prompt, max_tokens=12, temperature=0.0)
        finally:
            llm.close()
        return result["choices"][0]["text"]

    assert served(adapter) == expected
    assert served(None) != expected
