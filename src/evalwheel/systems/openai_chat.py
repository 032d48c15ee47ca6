"""``kind = "openai"``: an agent behind an OpenAI-compatible chat endpoint.

Messages in, one assistant message out (content, tool calls, or both). The example's input is the
user's message, or the conversation itself when the input is a list of chat messages (or an
object with a ``messages`` list). The endpoint is a named model (``model = "NAME"``, a
``[models.NAME]`` table or the embedded ``local``), and the call goes through the ``ModelClient``
the runner passes in, so it is cached, budgeted, retried and priced like every other call.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator

from evalwheel.apps.interface import AppOutput
from evalwheel.core.example import Example
from evalwheel.errors import InputError
from evalwheel.inputfiles import load_json_file
from evalwheel.llm.client import ModelClient
from evalwheel.llm.types import Message
from evalwheel.systems import chat
from evalwheel.systems.base import ConfiguredSystem, KindConfig, SystemCallError, field_error


class OpenAIConfig(KindConfig):
    kind: Literal["openai"]
    model: str = Field(min_length=1, description="A [models.NAME] table, or local.")
    system_prompt: str | None = None
    tools: list[dict[str, Any]] | str | None = Field(
        default=None, description="OpenAI tool definitions, inline or a JSON file's path."
    )
    tool_choice: str | dict[str, Any] | None = None
    params: dict[str, Any] = Field(default_factory=dict, description="Request parameters.")

    @field_validator("tools")
    @classmethod
    def _tools_shape(cls, value: Any) -> Any:
        if isinstance(value, list):
            check_tools(value)
        return value


def check_tools(tools: Any) -> list[dict[str, Any]]:
    """OpenAI tool definitions: ``{"type": "function", "function": {"name": …, …}}`` each."""
    if not isinstance(tools, list):
        raise ValueError("must be a list of tool definitions")
    for i, tool in enumerate(tools):
        function = tool.get("function") if isinstance(tool, dict) else None
        if (
            not isinstance(tool, dict)
            or tool.get("type", "function") != "function"
            or not isinstance(function, dict)
            or not isinstance(function.get("name"), str)
            or not function["name"]
        ):
            raise ValueError(
                f"tool {i + 1} is not an OpenAI tool definition "
                '({"type": "function", "function": {"name": ..., "parameters": {...}}})'
            )
    return tools


def is_message_list(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(m, dict) and isinstance(m.get("role"), str) for m in value)
    )


def input_messages(value: Any, system_prompt: str | None) -> list[Message]:
    """The conversation an example's input stands for, with the system prompt first."""
    if isinstance(value, dict) and is_message_list(value.get("messages")):
        value = value["messages"]
    if value is None or value == "":
        raise SystemCallError("the example has no input")
    if is_message_list(value):
        messages: list[Message] = [dict(m) for m in value]
    else:
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        messages = [{"role": "user", "content": text}]
    if system_prompt and messages[0].get("role") != "system":
        messages.insert(0, {"role": "system", "content": system_prompt})
    return messages


class OpenAIChatSystem(ConfiguredSystem):
    kind = "openai"
    config_model = OpenAIConfig
    config: OpenAIConfig

    def __init__(self, system_name: str, config: Any, project_root: Path | None) -> None:
        super().__init__(system_name, config, project_root)
        problem = chat.check_params(self.config.params)
        if problem:
            raise field_error(system_name, f"params.{problem[0]}", problem[1], project_root)
        self.tools = self._load_tools()

    def _load_tools(self) -> list[dict[str, Any]] | None:
        tools = self.config.tools
        if not isinstance(tools, str):
            return tools
        path = Path(tools)
        if not path.is_absolute() and self.project_root is not None:
            path = self.project_root / path
        if not path.is_file():
            raise field_error(self.system_name, "tools", f"no such file: {path}", self.project_root)
        try:
            return check_tools(load_json_file(path))
        except ValueError as exc:
            message = exc.detail if isinstance(exc, InputError) else str(exc)
            raise field_error(
                self.system_name, "tools", f"{path}: {message}", self.project_root
            ) from None

    def describe(self, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "model": self.config.model,
            "system_prompt": self.config.system_prompt,
            "tools": self.tools,
            "tool_choice": self.config.tool_choice,
            "params": self.config.params,
        }

    async def run(self, example: Example, client: ModelClient, params: dict[str, Any]) -> AppOutput:
        messages = input_messages(example.input, self.config.system_prompt)
        response = await client.chat(
            chat.request(messages, self.config.params, self.tools, self.config.tool_choice)
        )
        return chat.to_output(messages, response)

    def ideal_trajectory(self, request: str, artifact: Any) -> list[dict[str, Any]]:
        """The system prompt, the request, then the answer: content, or the tool calls when the
        artifact is a list of ``{"name", "arguments"}`` calls."""
        messages = input_messages(request, self.config.system_prompt)
        if _is_call_list(artifact):
            calls = [
                {
                    "id": f"call_{i}",
                    "type": "function",
                    "function": {
                        "name": c["name"],
                        "arguments": c["arguments"]
                        if isinstance(c.get("arguments"), str)
                        else json.dumps(c.get("arguments", {})),
                    },
                }
                for i, c in enumerate(artifact)
            ]
            return [*messages, {"role": "assistant", "content": None, "tool_calls": calls}]
        return [*messages, {"role": "assistant", "content": chat_text(artifact)}]


def chat_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _is_call_list(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(c, dict) and isinstance(c.get("name"), str) for c in value)
    )
