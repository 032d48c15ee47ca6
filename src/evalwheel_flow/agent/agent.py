"""The Flow agent: multi-turn, on any OpenAI-compatible tool-calling model or the embedded one.

Two modes:
- ``tools``: the model works through the tools (search, describe, data paths, validate, create,
  ask) over several turns until it creates a valid workflow, asks the merchant, or gives up;
- ``compact``: for tiny models, one grammar-constrained answer in the compact form, with the most
  similar solved requests from a few-shot bank as examples.

The result always says what happened (``workflow``, ``clarify``, ``refuse`` or ``error``) and
keeps the messages and tool calls, so a failed attempt is evidence, not a missing row.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from evalwheel.core.hashing import content_hash
from evalwheel.core.system import System
from evalwheel.llm.client import ModelClient
from evalwheel.llm.errors import BudgetExceeded, DeadlineExceeded, ModelCallError
from evalwheel.llm.types import ChatRequest
from evalwheel_flow.agent.compact import to_workflow
from evalwheel_flow.agent.compact_schema import COMPACT_MAX_TOKENS, compact_schema
from evalwheel_flow.agent.fewshot import FewShotBank
from evalwheel_flow.agent.tools import TOOL_SPECS, ToolBox
from evalwheel_flow.catalog.catalog import Catalog, load_catalog
from evalwheel_flow.validator import validate
from evalwheel_flow.workflow import Workflow

Outcome = Literal["workflow", "clarify", "refuse", "error"]

COMPACT_PROMPT = """You build Shopify Flow automations from a merchant's request.
Answer with JSON: the trigger (what starts it), conditions (Flow condition expressions such as
(order.totalPriceSet.shopMoney.amount > 200), all of which must hold), the actions to run then,
and else_actions to run when the last condition does not hold. A step can also wait
({{"action": "wait", "duration_minutes": 60}}) or repeat for each item of a list
({{"action": "foreach", "list": "order.lineItems", "item": "li", "conditions": [], "actions": [...]}}).
If the request is too vague to automate, answer {{"outcome": "clarify", "question": "..."}}.
If Flow cannot do it, answer {{"outcome": "refuse", "message": "..."}}.
Triggers: {triggers}
Actions: {actions}"""

BRIEF_PROMPT = """You build Shopify Flow automations from a merchant's request. Answer with the automation as
JSON, ask one question when the request is too vague, or refuse what Flow cannot do."""

CLARIFY_LINE = """If the request is too vague to automate, answer {{"outcome": "clarify", "question": "..."}}.
"""
ASK_BRIEF = ", ask one question when the request is too vague,"
ASK_LINE = "If the request is ambiguous, ask_merchant one question. "

TOOLS_PROMPT = """You build Shopify Flow automations from a merchant's request, using tools.
Find the trigger and actions (search_tasks, describe_task), find data paths for conditions
(search_data_paths), check your workflow (validate_workflow), then create it (create_workflow).
Conditions use Flow's language, e.g. (order.totalPriceSet.shopMoney.amount > 200) or
(order.lineItems any? |li| (li.product.tags any? |t| (t == 'presale'))).
If the request is ambiguous, ask_merchant one question. If it cannot be automated, say so."""


@dataclass
class AgentResult:
    outcome: Outcome
    workflow: dict[str, Any] | None = None
    question: str | None = None
    message: str | None = None
    error: str | None = None
    messages: list[dict[str, Any]] = field(default_factory=list)
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    finish_reason: str | None = None

    def to_data(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class FlowAgent:
    client: ModelClient
    mode: Literal["tools", "compact"] = "compact"
    bank: FewShotBank | None = None
    shots: int = 3
    max_turns: int = 8
    max_tokens: int = COMPACT_MAX_TOKENS
    catalog: Catalog = field(default_factory=load_catalog)
    instructions: Literal["full", "brief"] = "full"
    clarify: bool = True

    @property
    def prompt(self) -> str:
        if self.mode == "tools":
            return TOOLS_PROMPT if self.clarify else TOOLS_PROMPT.replace(ASK_LINE, "")
        if self.instructions == "brief":
            return BRIEF_PROMPT if self.clarify else BRIEF_PROMPT.replace(ASK_BRIEF, "")
        triggers = ", ".join(sorted(t.handle for t in self.catalog.by_type("TRIGGER")))
        actions = ", ".join(sorted(t.handle for t in self.catalog.by_type("ACTION")))
        prompt = COMPACT_PROMPT if self.clarify else COMPACT_PROMPT.replace(CLARIFY_LINE, "")
        return prompt.format(triggers=triggers, actions=actions)

    @property
    def tool_specs(self) -> list[dict[str, Any]]:
        """The tools the model is offered (without ``ask_merchant`` when it may not ask)."""
        if self.clarify:
            return TOOL_SPECS
        return [t for t in TOOL_SPECS if t["function"]["name"] != "ask_merchant"]

    def system_params(self) -> dict[str, Any]:
        """What a System record versions for this agent (see evalwheel.core.System). The brief
        prompt is named only when chosen, so the default agent keeps its version."""
        extra: dict[str, Any] = (
            {"instructions": self.instructions} if self.instructions != "full" else {}
        )
        if not self.clarify:
            extra["clarify"] = False
        return {
            **extra,
            "mode": self.mode,
            "prompt_hash": content_hash(self.prompt),
            "shots": self.shots,
            "max_turns": self.max_turns,
            "max_tokens": self.max_tokens,
            "tools": [t["function"]["name"] for t in self.tool_specs],
            "catalog": self.catalog.version,
        }

    def describe(self) -> dict[str, Any]:
        """Everything that decides this agent's behaviour besides its model, for the System record
        of a run: the prompt, the tools, the few-shot bank, the catalog and the loop settings."""
        bank = None
        if self.bank is not None and self.mode == "compact":
            bank = self.bank.content_hash()
        return {
            **self.system_params(),
            "prompt": self.prompt,
            "tools": [t["function"]["name"] for t in self.tool_specs]
            if self.mode == "tools"
            else [],
            "fewshot_bank": bank,
        }

    def system(self, name: str = "flow-agent") -> System:
        """This agent as a versioned System: model + prompt + tools + few-shot bank + mode."""
        spec = self.client.spec
        described = self.describe()
        return System(
            name=name,
            app="flow",
            model=spec.name,
            prompt=self.prompt,
            tools=tuple(described["tools"]),
            fewshot_bank=described["fewshot_bank"],
            params=self.system_params(),
            description=described,
            model_identity=spec.identity,
        )

    async def run(self, request: str, history: list[dict[str, Any]] | None = None) -> AgentResult:
        if self.mode == "compact":
            return await self._compact(request, history or [])
        return await self._tools(request, history or [])

    def _usage(self, result: AgentResult, response: Any) -> None:
        result.input_tokens += response.usage.input_tokens
        result.output_tokens += response.usage.output_tokens
        result.cost_usd += response.cost_usd

    async def _compact(self, request: str, history: list[dict[str, Any]]) -> AgentResult:
        messages: list[dict[str, Any]] = [{"role": "system", "content": self.prompt}]
        for shot in self.bank.retrieve(request, self.shots) if self.bank else []:
            messages.append({"role": "user", "content": shot.request})
            messages.append({"role": "assistant", "content": json.dumps(shot.answer)})
        messages += [*history, {"role": "user", "content": request}]
        result = AgentResult(outcome="error", messages=messages)
        schema = compact_schema(self.catalog, clarify=self.clarify)
        try:
            response = await self.client.chat(
                ChatRequest(
                    messages=messages,
                    temperature=0,
                    max_tokens=self.max_tokens,
                    response_format={
                        "type": "json_schema",
                        "json_schema": {"name": "workflow", "schema": schema},
                    },
                )
            )
        except (BudgetExceeded, DeadlineExceeded):
            raise  # not a failure of this item: the run stops and a resume does it
        except ModelCallError as exc:
            result.error = f"{exc.kind}: {exc}"
            return result
        self._usage(result, response)
        result.messages = [*messages, {"role": "assistant", "content": response.content}]
        result.finish_reason = response.finish_reason
        if response.finish_reason == "length":
            result.error = cut_off(self.max_tokens)
            return result
        try:
            # strict=False: the grammar lets raw control characters into strings; the intent is clear.
            answer = json.loads(response.content or "", strict=False)
        except json.JSONDecodeError as exc:
            result.error = f"unreadable answer ({exc.msg}); finish_reason={response.finish_reason}"
            return result
        return self._finish(result, answer)

    def _finish(self, result: AgentResult, answer: Any) -> AgentResult:
        if not isinstance(answer, dict):
            result.error = "the answer is not a JSON object"
            return result
        outcome = answer.get("outcome", "workflow")
        if outcome == "clarify":
            result.outcome, result.question = (
                "clarify",
                answer.get("question") or "Could you say more?",
            )
            return result
        if outcome == "refuse":
            result.outcome, result.message = (
                "refuse",
                answer.get("message") or "This cannot be automated.",
            )
            return result
        try:
            workflow = to_workflow(answer, self.catalog)
        except ValueError as exc:
            result.error = f"could not build the workflow: {exc}"
            return result
        result.outcome, result.workflow = "workflow", workflow.to_data()
        return result

    async def _tools(self, request: str, history: list[dict[str, Any]]) -> AgentResult:
        toolbox = ToolBox(self.catalog)
        messages: list[dict[str, Any]] = [
            {"role": "system", "content": self.prompt},
            *history,
            {"role": "user", "content": request},
        ]
        result = AgentResult(outcome="error", messages=messages, tool_calls=toolbox.calls)
        for _ in range(self.max_turns):
            try:
                response = await self.client.chat(
                    ChatRequest(
                        messages=messages,
                        tools=self.tool_specs,
                        tool_choice="auto",
                        temperature=0,
                        max_tokens=self.max_tokens,
                    )
                )
            except (BudgetExceeded, DeadlineExceeded):
                raise
            except ModelCallError as exc:
                result.error = f"{exc.kind}: {exc}"
                return result
            self._usage(result, response)
            result.finish_reason = response.finish_reason
            if response.finish_reason == "length":
                result.error = cut_off(self.max_tokens)
                return result
            if not response.tool_calls:
                messages.append({"role": "assistant", "content": response.content})
                result.outcome, result.message = "refuse", response.content
                return result
            messages.append(
                {
                    "role": "assistant",
                    "content": response.content,
                    "tool_calls": [
                        {
                            "id": c.id,
                            "type": "function",
                            "function": {"name": c.name, "arguments": c.arguments},
                        }
                        for c in response.tool_calls
                    ],
                }
            )
            for call in response.tool_calls:
                output = toolbox.call(call.name, call.arguments)
                messages.append({"role": "tool", "tool_call_id": call.id, "content": output})
            if toolbox.created is not None:
                result.outcome, result.workflow = "workflow", toolbox.created.to_data()
                return result
            if toolbox.question is not None:
                result.outcome, result.question = "clarify", toolbox.question
                return result
        result.error = f"no workflow after {self.max_turns} turns"
        return result


def cut_off(max_tokens: int) -> str:
    """The error of an answer that hit the token budget: a failure of the budget or of a model
    that ran on, never a question or a refusal, and distinct from an unreadable answer."""
    return f"cut off: the answer reached max_tokens={max_tokens} (finish_reason=length)"


def result_is_valid(result: AgentResult, catalog: Catalog | None = None) -> bool:
    return result.workflow is not None and validate(Workflow.from_data(result.workflow), catalog).ok
