"""``kind = "prompt"``: a Jinja2 template over the example plus a named model.

The simplest thing to evaluate: a prompt and a model, no agent code. The template (inline, or in a
file next to evalwheel.toml) sees ``input``, ``metadata``, ``tags`` and ``id``; never the
reference. The reply's text is the output. The call goes through the runner's ``ModelClient``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from jinja2.exceptions import TemplateError
from pydantic import Field, model_validator

from evalwheel.apps.interface import AppOutput
from evalwheel.core.example import Example
from evalwheel.errors import InputError
from evalwheel.inputfiles import read_text
from evalwheel.llm.client import ModelClient
from evalwheel.llm.types import Message
from evalwheel.systems import chat, templates
from evalwheel.systems.base import ConfiguredSystem, KindConfig, field_error


class PromptConfig(KindConfig):
    kind: Literal["prompt"]
    model: str = Field(min_length=1, description="A [models.NAME] table, or local.")
    template: str | None = Field(default=None, description="Jinja2 text of the user message.")
    template_file: str | None = Field(default=None, description="…or a file holding it.")
    system_prompt: str | None = Field(default=None, description="Also a template.")
    params: dict[str, Any] = Field(default_factory=dict, description="Request parameters.")

    @model_validator(mode="after")
    def _one_template(self) -> PromptConfig:
        if (self.template is None) == (self.template_file is None):
            raise ValueError("set exactly one of template or template_file")
        return self


class PromptSystem(ConfiguredSystem):
    kind = "prompt"
    config_model = PromptConfig
    config: PromptConfig

    def __init__(self, system_name: str, config: Any, project_root: Path | None) -> None:
        super().__init__(system_name, config, project_root)
        problem = chat.check_params(self.config.params)
        if problem:
            raise field_error(system_name, f"params.{problem[0]}", problem[1], project_root)
        self.template_field = "template" if self.config.template is not None else "template_file"
        self.template = self._load_template()
        for field, source in (
            (self.template_field, self.template),
            ("system_prompt", self.config.system_prompt),
        ):
            problem_text = templates.check_template(source) if source is not None else None
            if problem_text:
                raise field_error(system_name, field, problem_text, project_root)

    def _load_template(self) -> str:
        if self.config.template is not None:
            return self.config.template
        path = Path(self.config.template_file or "")
        if not path.is_absolute() and self.project_root is not None:
            path = self.project_root / path
        try:
            return read_text(path)
        except InputError as exc:
            raise field_error(
                self.system_name, "template_file", f"{path}: {exc.detail}", self.project_root
            ) from None

    def describe(self, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "model": self.config.model,
            "template": self.template,
            "system_prompt": self.config.system_prompt,
            "params": self.config.params,
        }

    def messages(self, values: dict[str, Any]) -> list[Message]:
        """The rendered conversation; a template error names this system and the field."""
        messages: list[Message] = []
        field = "system_prompt"
        try:
            if self.config.system_prompt is not None:
                messages.append(
                    {
                        "role": "system",
                        "content": templates.render(self.config.system_prompt, values),
                    }
                )
            field = self.template_field
            messages.append({"role": "user", "content": templates.render(self.template, values)})
        except TemplateError as exc:
            raise InputError(str(exc), field=f"systems.{self.system_name}.{field}") from None
        return messages

    async def run(self, example: Example, client: ModelClient, params: dict[str, Any]) -> AppOutput:
        messages = self.messages(templates.context(example))
        response = await client.chat(chat.request(messages, self.config.params))
        return chat.to_output(messages, response)

    def ideal_trajectory(self, request: str, artifact: Any) -> list[dict[str, Any]]:
        """The prompt as the model would see it for ``request`` (the template applied, when it
        needs nothing but the input), then the answer."""
        try:
            messages = self.messages(templates.request_context(request))
        except InputError:
            messages = [{"role": "user", "content": request}]
        content = (
            artifact
            if isinstance(artifact, str)
            else super().ideal_trajectory(request, artifact)[-1]["content"]
        )
        return [*messages, {"role": "assistant", "content": content}]
