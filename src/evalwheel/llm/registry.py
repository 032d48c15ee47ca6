"""Named models: ``[models.NAME]`` in evalwheel.toml, plus the built-in embedded model ``local``.

An endpoint names the *environment variable* that holds its key, never the key itself, so keys
stay out of the config file, the store, cache keys, logs and reports.
"""

from __future__ import annotations

import os
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, ValidationError, model_validator

from evalwheel.llm.errors import ModelConfigError
from evalwheel.project.config import problem_lines
from evalwheel.redaction import redact_url, register_secret

EMBEDDED_NAME = "local"


class ModelSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    provider: Literal["openai", "embedded"] = "openai"
    base_url: HttpUrl | None = None
    model: str | None = Field(default=None, description="The model id the endpoint expects.")
    api_key_env: str | None = Field(
        default=None, description="Name of the variable holding the key."
    )
    params: dict[str, Any] = Field(
        default_factory=dict, description="Defaults merged into requests."
    )
    max_concurrency: int = Field(default=16, ge=1, le=4096)
    rpm: float | None = Field(default=None, gt=0, description="Requests per minute.")
    tpm: float | None = Field(default=None, gt=0, description="Tokens per minute (estimated).")
    timeout_s: float = Field(default=60.0, gt=0)
    max_retries: int = Field(default=5, ge=0, le=20)
    input_usd_per_mtok: float | None = Field(default=None, ge=0)
    output_usd_per_mtok: float | None = Field(default=None, ge=0)
    expected_output_tokens: int = Field(default=256, ge=1, description="For pre-run estimates.")
    # embedded only
    n_ctx: int = Field(default=4096, ge=256)
    n_threads: int | None = Field(default=None, ge=1)
    gguf_path: str | None = Field(default=None, description="Another GGUF file instead of SmolLM2.")
    lora_path: str | None = Field(
        default=None, description="A llama.cpp GGUF LoRA adapter applied to the model."
    )
    lora_scale: float = Field(default=1.0, description="The adapter's weight (1: as trained).")
    lora_sha256: str | None = Field(
        default=None,
        description="The adapter's expected SHA-256 (a registered trained model's): a file that "
        "changed since is refused, not served under the registered name.",
    )

    @model_validator(mode="after")
    def _endpoint_fields(self) -> ModelSpec:
        if self.provider == "openai" and (self.base_url is None or not self.model):
            raise ValueError("an OpenAI-compatible model needs base_url and model")
        if self.provider != "embedded" and self.lora_path is not None:
            raise ValueError("lora_path is for the embedded model only")
        return self

    @property
    def identity(self) -> dict[str, Any]:
        """What makes two calls comparable for the cache: endpoint and model, never the key."""
        if self.provider == "embedded":
            from evalwheel.llm.embedded import adapter_identity, model_identity

            identity: dict[str, Any] = {
                "provider": "embedded",
                "model": model_identity(self.gguf_path),
            }
            if self.lora_path is not None:
                digest = adapter_identity(self.lora_path)
                if self.lora_sha256 is not None and digest != self.lora_sha256:
                    raise ModelConfigError(
                        f"model {self.name!r}: the adapter {self.lora_path} has SHA-256 {digest}, "
                        f"not the registered {self.lora_sha256}: it changed after registration"
                    )
                identity["adapter"] = digest
                identity["adapter_scale"] = self.lora_scale
            return identity
        return {
            "provider": "openai",
            "base_url": redact_url(str(self.base_url).rstrip("/")),
            "model": self.model,
        }

    def api_key(self) -> str | None:
        if not self.api_key_env:
            return None
        value = os.environ.get(self.api_key_env)
        if not value:
            raise ModelConfigError(
                f"model {self.name!r} needs an API key in the environment variable {self.api_key_env}"
            )
        register_secret(value)
        return value


def builtin_models() -> dict[str, ModelSpec]:
    return {
        EMBEDDED_NAME: ModelSpec(
            name=EMBEDDED_NAME,
            provider="embedded",
            max_concurrency=1,
            timeout_s=600,
            max_retries=0,
            input_usd_per_mtok=0.0,
            output_usd_per_mtok=0.0,
        )
    }


def load_models(
    config: dict[str, dict[str, Any]], source: str = "evalwheel.toml"
) -> dict[str, ModelSpec]:
    """Models from the ``[models]`` table, over the built-ins (a user may redefine ``local``).

    ``source`` is the configuration file: errors name its line, ``FILE:LINE: models.NAME.field``.
    """
    models = builtin_models()
    for name, table in config.items():
        try:
            models[name] = ModelSpec.model_validate({"name": name, **table})
        except ValidationError as exc:
            lines = problem_lines(exc, ("models", name), source)
            raise ModelConfigError("\n".join(lines)) from None
    return models


def get_model(models: dict[str, ModelSpec], name: str) -> ModelSpec:
    try:
        return models[name]
    except KeyError:
        known = ", ".join(sorted(models))
        raise ModelConfigError(f"unknown model {name!r}; configured: {known}") from None
