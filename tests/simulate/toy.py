"""A toy application for simulation tests: it tags orders over an amount, asks for the amount when
the conversation has none (unless built not to ask, then it invents 100), and passes when the
amount is the reference's."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from evalwheel.apps.interface import AppOutput, CheckResult
from evalwheel.core.example import Example


class ToyApp:
    artifact_outcome = "artifact"
    success_scorer = "toy.pass"

    def __init__(self, asks: bool = True, name: str = "toy") -> None:
        self.asks = asks
        self.name = name

    def example_datasets(self) -> list[tuple[str, str, Path]]:
        return []

    def field_maps(self) -> dict[str, dict[str, str]]:
        return {}

    def describe(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"asks": self.asks}

    async def run(self, example: Example, client: Any, params: dict[str, Any]) -> AppOutput:
        history = example.metadata.get("history") or []
        said = [m["content"] for m in history if m["role"] == "user"] + [str(example.input)]
        numbers = re.findall(r"\d+", " ".join(said))
        if numbers:
            return AppOutput(outcome="artifact", artifact={"over": int(numbers[-1])})
        if self.asks:
            return AppOutput(outcome="clarify", artifact={"question": "Over what amount?"})
        return AppOutput(outcome="artifact", artifact={"over": 100})

    def check(self, example: Example, output: AppOutput) -> list[CheckResult]:
        made = output.outcome == "artifact" and output.error is None
        return [
            CheckResult(scorer="toy.pass", passed=made and output.artifact == example.reference)
        ]

    def render(self, example: Example, output: AppOutput) -> str:
        return f"{example.input} -> {output.artifact}"

    def same(self, a: AppOutput, b: AppOutput) -> bool:
        return a.artifact == b.artifact

    def ideal_trajectory(self, request: str, artifact: Any) -> list[dict[str, Any]]:
        return []

    def describe_artifact(self, artifact: Any) -> str:
        return f"tag every order over {artifact['over']} dollars"

    def artifact_facts(self, artifact: Any) -> list[str]:
        return [str(artifact["over"])]

    def agent_reply(self, output: AppOutput) -> str:
        if output.outcome == "artifact":
            return f"I created this: {self.describe_artifact(output.artifact)}."
        return str(output.artifact["question"])


def essence_rows(n_vague: int = 6, n_complete: int = 4) -> list[dict[str, Any]]:
    """Essences whose amount is held back (the user gives it when asked) and complete ones."""
    rows = []
    for i in range(n_vague):
        amount = 200 + 10 * i
        rows.append(
            {
                "id": f"vague-{i}",
                "input": {
                    "goal": "tag every order over (a detail you give when asked) dollars",
                    "facts": [{"text": f"over {amount} dollars", "value": str(amount)}],
                },
                "reference": {"over": amount},
                "tags": ["needs:clarify"],
                "expect": "workflow",
                "real_outcome": "success",
            }
        )
    for i in range(n_complete):
        amount = 500 + 10 * i
        rows.append(
            {
                "id": f"complete-{i}",
                "input": {"goal": f"tag every order over {amount} dollars"},
                "reference": {"over": amount},
                "tags": ["complete"],
                "expect": "workflow",
                "real_outcome": "success",
            }
        )
    return rows
