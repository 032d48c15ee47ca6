"""A PEFT LoRA adapter (``adapter_model.safetensors`` + ``adapter_config.json``) written as the GGUF
LoRA file that llama.cpp loads beside the base model (``Llama(lora_path=…)``).

Why our own writer: llama.cpp's converter lives only in the llama-cpp-python source package and
needs torch and transformers; an adapter is just pairs of small matrices, so the ``gguf`` package
(its writer and safetensors reader) and numpy are enough, in about a second.

Facts the file must get right (llama.cpp's format, read from its converter):
- tensors ``blk.N.<attn_q|attn_k|attn_v|attn_output|ffn_gate|ffn_up|ffn_down>.weight.lora_a`` and
  ``….lora_b``, with PEFT's shapes (A: rank × in, B: out × rank);
- llama GGUFs store the q and k projections with their rows permuted for llama.cpp's RoPE, so
  ``lora_b`` of q and k (the factor whose rows are the projection's outputs) gets the same
  permutation; ``lora_a`` is unchanged;
- metadata ``general.type = adapter``, ``adapter.type = lora``, ``adapter.lora.alpha`` (llama.cpp
  scales by alpha / rank, as PEFT does without rsLoRA) and the base model's architecture.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from evalwheel.errors import InputError

CONFIG_NAME = "adapter_config.json"
WEIGHTS_NAME = "adapter_model.safetensors"

_TARGETS = {
    "self_attn.q_proj": "attn_q",
    "self_attn.k_proj": "attn_k",
    "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output",
    "mlp.gate_proj": "ffn_gate",
    "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
}
_PEFT_NAME = re.compile(
    r"^(?:base_model\.model\.)?model\.layers\.(\d+)\.(\w+\.\w+)\.lora_([AB])\.weight$"
)
_DTYPES = {"F32": np.float32, "F16": np.float16}


def write_gguf_lora(
    adapter_dir: Path, out: Path, *, base_gguf: Path | None = None, f16: bool = True
) -> Path:
    """Write ``adapter_dir``'s LoRA as a llama.cpp GGUF adapter at ``out`` (returned).

    ``base_gguf`` is the model the adapter was trained on (default: the embedded SmolLM2); its
    metadata gives the architecture and head counts the q/k permutation needs. ``f16`` halves the
    file (llama.cpp's converter writes f16 too); f32 keeps the trained values exactly.
    """
    import gguf

    adapter_dir = Path(adapter_dir)
    config = _adapter_config(adapter_dir)
    arch, n_head, n_head_kv = _base_shape(base_gguf)
    pairs = _lora_pairs(adapter_dir / WEIGHTS_NAME)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    writer = gguf.GGUFWriter(str(out), arch)
    writer.add_type(gguf.GGUFType.ADAPTER)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, float(config["lora_alpha"]))
    writer.add_name(adapter_dir.name)
    writer.add_quantization_version(gguf.GGML_QUANT_VERSION)
    dtype = np.float16 if f16 else np.float32
    for (layer, module), (lora_a, lora_b) in sorted(pairs.items()):
        name = f"blk.{layer}.{_TARGETS[module]}.weight"
        if module == "self_attn.q_proj":
            lora_b = _rope_rows(lora_b, n_head)
        elif module == "self_attn.k_proj":
            lora_b = _rope_rows(lora_b, n_head_kv)
        writer.add_tensor(f"{name}.lora_a", np.ascontiguousarray(lora_a, dtype=dtype))
        writer.add_tensor(f"{name}.lora_b", np.ascontiguousarray(lora_b, dtype=dtype))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return out


def _adapter_config(adapter_dir: Path) -> dict:
    path = adapter_dir / CONFIG_NAME
    if not path.is_file() or not (adapter_dir / WEIGHTS_NAME).is_file():
        raise InputError(
            f"not a PEFT adapter: needs {CONFIG_NAME} and {WEIGHTS_NAME}", file=str(adapter_dir)
        )
    config = json.loads(path.read_text(encoding="utf-8"))
    if config.get("peft_type") != "LORA":
        raise InputError("only LoRA adapters convert", file=str(path), field="peft_type")
    for flag in ("use_dora", "use_rslora"):
        if config.get(flag):
            raise InputError("llama.cpp serves plain LoRA only", file=str(path), field=flag)
    for pattern in ("rank_pattern", "alpha_pattern"):
        if config.get(pattern):
            raise InputError(
                "per-module ranks or alphas are not supported", file=str(path), field=pattern
            )
    if config.get("modules_to_save"):
        raise InputError(
            "fully trained modules cannot ride in a LoRA file",
            file=str(path),
            field="modules_to_save",
        )
    return config


def _base_shape(base_gguf: Path | None) -> tuple[str, int, int]:
    """The base model's architecture and (query, key/value) head counts, from its GGUF metadata
    (read by llama.cpp with the vocabulary only: gguf's reader takes ~12 s on SmolLM2's 49k-token
    vocabulary arrays)."""
    from evalwheel.llm.embedded import find_gguf

    base = find_gguf(str(base_gguf) if base_gguf is not None else None)
    from llama_cpp import Llama

    model = Llama(model_path=str(base), vocab_only=True, verbose=False)
    try:
        metadata = dict(model.metadata)
    finally:
        model.close()
    arch = metadata.get("general.architecture", "")
    if arch != "llama":
        raise InputError(f"architecture {arch!r}: only llama adapters convert", file=str(base))
    try:
        heads = int(metadata[f"{arch}.attention.head_count"])
        heads_kv = int(metadata.get(f"{arch}.attention.head_count_kv", heads))
    except (KeyError, ValueError):
        raise InputError("no attention head count in the metadata", file=str(base)) from None
    return arch, heads, heads_kv


def _lora_pairs(weights: Path) -> dict[tuple[int, str], tuple[np.ndarray, np.ndarray]]:
    """Every adapted module's (A, B) as float32 arrays, keyed by (layer, module)."""
    from gguf.utility import SafetensorsLocal

    halves: dict[tuple[int, str], dict[str, np.ndarray]] = {}
    with SafetensorsLocal(weights) as tensors:
        for name, tensor in tensors.items():
            match = _PEFT_NAME.match(name)
            if match is None or match.group(2) not in _TARGETS:
                raise InputError(
                    f"tensor {name!r} has no llama.cpp LoRA counterpart", file=str(weights)
                )
            layer, module, half = int(match.group(1)), match.group(2), match.group(3)
            halves.setdefault((layer, module), {})[half] = _as_float32(tensor, weights, name)
    pairs = {}
    for key, found in halves.items():
        if set(found) != {"A", "B"}:
            raise InputError(
                f"layer {key[0]} {key[1]}: lora_A or lora_B is missing", file=str(weights)
            )
        pairs[key] = (found["A"], found["B"])
    return pairs


def _as_float32(tensor, weights: Path, name: str) -> np.ndarray:
    raw = tensor.mmap_bytes()
    if tensor.dtype == "BF16":  # bfloat16 is the top half of a float32
        values = (raw.view(np.uint16).astype(np.uint32) << 16).view(np.float32)
    elif tensor.dtype in _DTYPES:
        values = raw.view(_DTYPES[tensor.dtype]).astype(np.float32)
    else:
        raise InputError(f"tensor {name!r} has dtype {tensor.dtype}", file=str(weights))
    return values.reshape(tensor.shape)


def _rope_rows(lora_b: np.ndarray, n_head: int) -> np.ndarray:
    """Reorder output rows the way llama GGUFs store q/k: within each head, the two halves of the
    rotary dimensions interleaved (HF keeps them as two blocks)."""
    rows, rank = lora_b.shape
    return lora_b.reshape(n_head, 2, rows // n_head // 2, rank).swapaxes(1, 2).reshape(rows, rank)
