"""The Flow application, as evalwheel's ``App``: run the agent, check with the truth oracle."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from evalwheel.apps.interface import AppOutput, CheckResult
from evalwheel.core.example import Example
from evalwheel.core.mirror import OutputRelation
from evalwheel.datasets.schemas import RowBase
from evalwheel.llm.client import ModelClient
from evalwheel_flow import DATA_DIR, FIELD_MAPS, example_datasets
from evalwheel_flow.agent.agent import FlowAgent
from evalwheel_flow.agent.bank import bank_from_file
from evalwheel_flow.agent.compact import from_workflow
from evalwheel_flow.agent.fewshot import FewShotBank
from evalwheel_flow.catalog import load_catalog
from evalwheel_flow.dataset_kinds import DATASET_KINDS
from evalwheel_flow.relate import relate_flow
from evalwheel_flow.scoring import score
from evalwheel_flow.similarity import similarity
from evalwheel_flow.simulation_summary import simulate_summary
from evalwheel_flow.validator import BUCKETS, validate
from evalwheel_flow.workflow import Workflow

FLOW_QUALITY_JUDGE: dict[str, Any] = {
    "model": "local",
    "rubric": (
        "Judge whether the automation does what the merchant asked: the right trigger, the "
        "right conditions with the right values and operators, and the right actions, with "
        "nothing missing and nothing added."
    ),
    "criteria": [
        "good: it does exactly what was asked.",
        "needs_improvement: it does the main thing, with a minor flaw (an extra harmless step, "
        "a slightly different boundary).",
        "bad: it would do the wrong thing on real orders (wrong trigger, wrong value, a missing "
        "condition, the wrong resource).",
    ],
    "labels": ["good", "needs_improvement", "bad"],
    "pass_labels": ["good"],
    "ordinal": True,
    "max_tokens": 160,
}

FLOW_PAIRWISE_JUDGE: dict[str, Any] = {
    "model": "local",
    "kind": "pairwise",
    "rubric": (
        "Two agents answered the same merchant request. Decide which answer serves the merchant "
        "better: the automation that does what was asked (trigger, conditions, actions) beats "
        "one that does not; a needed clarifying question beats a guess; a refusal of a request "
        "Flow cannot do beats a made-up automation. Say tie when neither is better."
    ),
    "labels": ["A", "B", "tie"],
    "max_tokens": 160,
}


class FlowApp:
    name = "flow"
    artifact_outcome = "workflow"  # what AppOutput.outcome says when the artifact is made
    success_scorer = "flow.pass"  # the check that says a merchant's goal was met (simulation)

    def __init__(self) -> None:
        self._bank: FewShotBank | None = None

    def example_datasets(self) -> list[tuple[str, str, Path]]:
        return example_datasets()

    def field_maps(self) -> dict[str, dict[str, str]]:
        return FIELD_MAPS

    def dataset_kinds(self) -> dict[str, type[RowBase]]:
        """Flow's own kind, ``workflows`` (the platform names none of an application's kinds)."""
        return DATASET_KINDS

    def bank(self) -> FewShotBank:
        if self._bank is None:
            self._bank = bank_from_file(DATA_DIR / "benchmark.jsonl")
        return self._bank

    def describe(self, params: dict[str, Any]) -> dict[str, Any]:
        """The agent's prompt, tools, few-shot bank and settings for these params (no model)."""
        return self._agent(None, params).describe()

    def signature(self, example: Example) -> str | None:
        """The skeleton signature of the item's reference workflow (None without one), so splits
        can keep a template in one split and contamination checks can compare templates."""
        from pydantic import ValidationError

        from evalwheel_flow.signature import signature

        reference = example.reference
        if not isinstance(reference, dict) or "root" not in reference:
            return None
        try:
            return signature(reference)
        except ValidationError:
            return None

    def learned_from(self, params: dict[str, Any]) -> list[Example]:
        """The few-shot bank the agent retrieves from (nothing with ``shots = 0``): each item's
        request as input and its workflow (None for a question or a refusal) as reference."""
        from evalwheel_flow.agent.compact import to_workflow

        if int(params.get("shots", 3)) <= 0:
            return []
        catalog = load_catalog()
        examples = []
        for number, item in enumerate(self.bank().items, start=1):
            reference = item.reference
            if reference is None and item.expect == "workflow":
                reference = to_workflow(item.answer, catalog).to_data()
            examples.append(
                Example(
                    id=item.id or f"bank-{number:04d}",
                    input=item.request,
                    reference=reference,
                    metadata={"expect": item.expect},
                )
            )
        return examples

    def _agent(self, client: ModelClient | None, params: dict[str, Any]) -> FlowAgent:
        return FlowAgent(
            client,  # type: ignore[arg-type]
            mode=params.get("mode", "compact"),
            bank=self.bank(),
            shots=int(params.get("shots", 3)),
            max_turns=int(params.get("max_turns", 8)),
            instructions=params.get("instructions", "full"),
            clarify=bool(params.get("clarify", True)),
        )

    async def run(self, example: Example, client: ModelClient, params: dict[str, Any]) -> AppOutput:
        agent = self._agent(client, params)
        history = example.metadata.get("history")
        result = await agent.run(str(example.input), history if isinstance(history, list) else None)
        return AppOutput(
            outcome=result.outcome,
            artifact=result.workflow
            if result.outcome == "workflow"
            else {"question": result.question, "message": result.message},
            messages=result.messages,
            tool_calls=result.tool_calls,
            input_tokens=result.input_tokens,
            output_tokens=result.output_tokens,
            cost_usd=result.cost_usd,
            error=result.error,
        )

    def check(self, example: Example, output: AppOutput) -> list[CheckResult]:
        expect = str(example.metadata.get("expect") or "workflow")
        workflow = (
            output.artifact
            if output.outcome == "workflow" and isinstance(output.artifact, dict)
            else None
        )
        verdict = score(
            expect,
            example.reference if isinstance(example.reference, dict) else None,
            output.outcome or "error",
            workflow,
        )
        details = verdict.model_dump()
        return [
            CheckResult(
                scorer="flow.outcome",
                passed=verdict.outcome_ok,
                details={"expected": expect, "outcome": output.outcome},
            ),
            CheckResult(
                scorer="flow.valid",
                passed=verdict.valid,
                details={"validation": verdict.validation},
            ),
            CheckResult(
                scorer="flow.equivalent",
                passed=verdict.equivalent,
                details={
                    "events_checked": verdict.events_checked,
                    "counterexample": verdict.counterexample,
                    "limit": verdict.limit,
                },
            ),
            CheckResult(
                scorer="flow.pass",
                passed=verdict.passed,
                details={k: details[k] for k in ("expected", "outcome")},
            ),
            *self._structure(example, workflow, verdict.validation),
        ]

    def _structure(
        self, example: Example, workflow: dict[str, Any] | None, lines: list[str]
    ) -> list[CheckResult]:
        """Per validator bucket (no errors there?) and the structural similarity to the reference."""
        if workflow is None:
            return []
        results = [
            CheckResult(
                scorer=f"flow.bucket.{bucket}",
                passed=not any(line.startswith(bucket + ":") for line in lines),
            )
            for bucket in BUCKETS
        ]
        if isinstance(example.reference, dict):
            value = similarity(Workflow.from_data(example.reference), Workflow.from_data(workflow))
            results.append(CheckResult(scorer="flow.similarity", value=value))
        return results

    def render(self, example: Example, output: AppOutput) -> str:
        """The request, the workflow in its compact form, the validator's findings and what the
        workflow does on simulated events (a judge should not have to re-derive what a
        deterministic check already knows)."""
        lines = [f"Merchant request: {example.input}"]
        artifact = output.artifact
        is_workflow = isinstance(artifact, dict) and "root" in artifact
        outcome = output.outcome or ("workflow" if is_workflow else None)
        lines.append(f"Agent outcome: {outcome}")
        if outcome == "workflow" and is_workflow:
            workflow = Workflow.from_data(artifact)
            compact = from_workflow(workflow, load_catalog())
            lines.append("Workflow: " + json.dumps(compact or artifact, indent=1))
            report = validate(workflow, load_catalog())
            findings = [f"{bucket}: {p.message}" for bucket, p in report.errors()]
            findings += [f"warning: {p.message}" for p in report.warnings]
            lines.append(
                "Validator: " + ("; ".join(findings) if findings else "no errors or warnings")
            )
            try:
                lines.append("Simulator: " + simulate_summary(workflow, load_catalog()))
            except Exception as exc:  # the summary is a hint; a broken workflow says why instead
                lines.append(f"Simulator: could not run ({type(exc).__name__}: {exc})")
        elif isinstance(artifact, dict):
            lines.append(f"Agent said: {artifact.get('question') or artifact.get('message')}")
        if output.error:
            lines.append(f"Error: {output.error}")
        return "\n".join(lines)

    def example_labels(self) -> list[tuple[str, Path]]:
        """(dataset name, long-format label file) for the shipped golden set."""
        return [("flow-golden", DATA_DIR / "golden_labels.jsonl")]

    def default_judges(self) -> dict[str, dict[str, Any]]:
        """``flow-quality``: the pointwise judge of a workflow against the merchant's request;
        ``flow-pairwise``: which of two answers to one request is better (mirroring)."""
        return {"flow-quality": FLOW_QUALITY_JUDGE, "flow-pairwise": FLOW_PAIRWISE_JUDGE}

    def relate(self, example: Example | None, a: AppOutput, b: AppOutput) -> OutputRelation:
        """Two answers by behaviour: the same outcome, and for workflows no shop event on which
        they act differently (the counterexample is kept when there is one)."""
        return relate_flow(a, b)

    def default_systems(self) -> dict[str, dict[str, Any]]:
        """``flow-local-shots6``: the agent with six retrieved examples instead of three, the
        candidate configuration the demo mirrors ``flow-local`` against; ``flow-noclarify``: the
        agent that can never ask the merchant (its answer grammar has no question), the regression
        a single-turn benchmark misses and a simulated merchant catches."""
        return {
            "flow-local-shots6": {"params": {"shots": 6}},
            "flow-noclarify": {"params": {"clarify": False}},
        }

    def same(self, a: AppOutput, b: AppOutput) -> bool:
        return relate_flow(a, b).relation in ("identical", "equivalent")

    def training_conversation(self, example: Example, params: dict[str, Any]) -> Any:
        """The row as the agent with ``params`` sees it at serving, ending with the ideal answer
        (``evalwheel.training.TrainingConversation``; see ``evalwheel_flow.training_format``)."""
        from evalwheel_flow.training_format import training_conversation

        return training_conversation(self, example, params)

    def ideal_trajectory(
        self, request: str, artifact: Any, clarification: str | None = None
    ) -> list[dict[str, Any]]:
        """The agent's tools in the order a good agent uses them, with the real tool results,
        ending in a workflow that validates (see ``synth_hooks``)."""
        from evalwheel_flow.synth_hooks import ideal_trajectory

        return ideal_trajectory(request, artifact, clarification)

    def describe_artifact(self, artifact: Any) -> str:
        """The workflow in plain English, for a request writer."""
        from evalwheel_flow.synth_hooks import describe_artifact

        return describe_artifact(artifact)

    def artifact_facts(self, artifact: Any) -> list[str]:
        """The literals a faithful request for this workflow must mention."""
        from evalwheel_flow.synth_hooks import artifact_facts

        return artifact_facts(artifact)

    def execute_trajectory(self, messages: list[dict[str, Any]]) -> dict[str, Any] | None:
        """The workflow a trajectory's tool calls create through a fresh ToolBox (None: none)."""
        from evalwheel_flow.synth_hooks import execute_trajectory

        return execute_trajectory(messages)

    def agent_reply(self, output: AppOutput) -> str:
        """What the merchant sees of one agent turn: the question, the refusal, or the workflow it
        created in words (a simulated merchant answers this, never the raw JSON)."""
        from evalwheel_flow.synth_hooks import describe_artifact

        if output.error is not None:
            return "Sorry, something went wrong on my side and I could not finish that."
        artifact = output.artifact if isinstance(output.artifact, dict) else {}
        if output.outcome == "workflow":
            try:
                return f"I created this automation. {describe_artifact(artifact)}"
            except Exception:  # a workflow the describer cannot read is still shown
                return "I created an automation, but I cannot describe it."
        if output.outcome == "clarify":
            return str(artifact.get("question") or "Could you tell me more?")
        return str(artifact.get("message") or "Flow cannot do that.")

    def tool_specs(self) -> list[dict[str, Any]]:
        """The agent's tools (OpenAI function specs), to check a trajectory's calls against."""
        from evalwheel_flow.agent.tools import TOOL_SPECS

        return TOOL_SPECS


APP = FlowApp()
