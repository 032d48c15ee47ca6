"""The three verification stages of a candidate row (APIGen's format, execution, semantic).

- ``format``: the request is text of sane length, not an echo of the description the writer saw,
  and mentions every fact the application lists for the target (a ``vague`` request must leave at
  least one out, or it is not vague); the trajectory is well-formed chat messages whose tool calls
  name the application's tools with JSON arguments that match their schemas, each answered.
- ``execution``: the trajectory's tool calls, run through the application's real tools, produce
  an artifact that passes the application's check against the row's reference (the truth oracle).
- ``semantic``: a judge model says whether a model reading the request would build this artifact.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from jsonschema import Draft202012Validator
from pydantic import BaseModel, Field

from evalwheel.apps import hooks
from evalwheel.apps.interface import AppOutput
from evalwheel.core.example import Example
from evalwheel.datasets.contamination import containment, ngrams, words
from evalwheel.llm.client import ModelClient
from evalwheel.llm.errors import BudgetExceeded, DeadlineExceeded, InvalidOutput, ModelCallError
from evalwheel.llm.structured import StructuredMode, generate
from evalwheel.llm.types import ChatRequest
from evalwheel.synth.models import StageVerdict
from evalwheel.synth.writer import VAGUE

MIN_CHARS, MAX_CHARS = 12, 1500
REPEATS = 3
ECHO_CONTAINMENT = 0.8  # share of either text's word 4-grams found in the other
_ROLES = {"system", "user", "assistant", "tool"}
JUDGE_PROMPT_VERSION = "synth-judge-1"


def provenance(row: Example) -> dict[str, Any]:
    value = row.metadata.get("provenance")
    return value if isinstance(value, dict) else {}


def mentions(text: str, fact: str) -> bool:
    """Whether ``text`` mentions ``fact``: its words in order (case-insensitive), a number as a
    whole number (``200`` in ``$200`` or ``200.00``, not in ``2000``)."""
    if re.fullmatch(r"-?\d+(\.\d+)?", fact):
        number = re.escape(fact)
        return re.search(rf"(?<![\d.]){number}(\.0+)?(?![\d])", text.replace(",", "")) is not None
    wanted = words(fact)
    if not wanted:
        return fact.casefold() in text.casefold()
    have = words(text)
    n = len(wanted)
    return any(have[i : i + n] == wanted for i in range(len(have) - n + 1))


def repeated_sentence(text: str) -> str | None:
    """A sentence or line said ``REPEATS`` times or more: a small model stuck in a loop, whose
    text no person would send."""
    parts = [p.strip().casefold() for p in re.split(r"[\n.!?]+", text) if len(p.strip()) > 3]
    seen: dict[str, int] = {}
    for part in parts:
        seen[part] = seen.get(part, 0) + 1
        if seen[part] >= REPEATS:
            return part[:60]
    return None


def check_request(app: Any, row: Example) -> list[str]:
    """What is wrong with the row's request (empty: nothing)."""
    request = row.input
    if not isinstance(request, str):
        return ["the request is not text"]
    problems = []
    if not MIN_CHARS <= len(request.strip()) <= MAX_CHARS:
        problems.append(
            f"the request has {len(request.strip())} characters (sane: {MIN_CHARS}-{MAX_CHARS})"
        )
    repeated = repeated_sentence(request)
    if repeated is not None:
        problems.append(f"the request repeats itself ({repeated!r} {REPEATS}+ times)")
    description = provenance(row).get("description")
    if isinstance(description, str):
        grams, described = ngrams(words(request), 4), ngrams(words(description), 4)
        echo = max(containment(grams, described), containment(described, grams))
        if grams and echo >= ECHO_CONTAINMENT:
            problems.append(f"the request echoes the description ({echo:.0%} of 4-grams shared)")
    if provenance(row).get("source") != "synth":
        return problems  # a real user's request is not the writer's: no facts to demand of it
    facts = hooks.artifact_facts(app, row.reference)
    missing = [f for f in facts if not mentions(request, f)]
    if provenance(row).get("style") == VAGUE:
        if facts and not missing:
            problems.append("a vague request that states every value")
    elif missing:
        problems.append("the request does not mention " + ", ".join(repr(f) for f in missing))
    return problems


def check_trajectory(messages: Any, tools: list[dict[str, Any]] | None) -> list[str]:
    """What is wrong with the trajectory's shape and its tool calls (empty: nothing)."""
    if not isinstance(messages, list) or not messages:
        return ["no trajectory"]
    schemas = {
        t["function"]["name"]: t["function"].get("parameters") or {}
        for t in tools or []
        if isinstance(t, dict) and isinstance(t.get("function"), dict)
    }
    problems: list[str] = []
    pending: set[str] = set()
    for number, message in enumerate(messages, start=1):
        role = message.get("role") if isinstance(message, dict) else None
        if role not in _ROLES:
            problems.append(f"message {number}: role {role!r}")
            continue
        if role == "tool":
            call_id = message.get("tool_call_id")
            if call_id not in pending:
                problems.append(f"message {number}: answers no open tool call ({call_id!r})")
            pending.discard(call_id)
            continue
        if pending:
            problems.append(f"message {number}: tool calls {sorted(pending)} have no result")
            pending.clear()
        for call in message.get("tool_calls") or [] if role == "assistant" else []:
            problems += _check_call(number, call, schemas, tools is not None)
            if isinstance(call, dict):
                pending.add(str(call.get("id")))
    first = next((m for m in messages if isinstance(m, dict) and m.get("role") != "system"), {})
    if first.get("role") != "user":
        problems.append("the conversation does not start with the user")
    last = messages[-1] if isinstance(messages[-1], dict) else {}
    if last.get("role") != "assistant" or last.get("tool_calls"):
        problems.append("the conversation does not end with the assistant's answer")
    return problems


def _check_call(
    number: int, call: Any, schemas: dict[str, dict[str, Any]], known: bool
) -> list[str]:
    function = call.get("function") if isinstance(call, dict) else None
    if not isinstance(function, dict) or call.get("type") != "function" or not call.get("id"):
        return [f"message {number}: a malformed tool call"]
    name = function.get("name")
    try:
        arguments = json.loads(function.get("arguments") or "")
    except (TypeError, json.JSONDecodeError):
        return [f"message {number}: {name}: arguments are not JSON"]
    if not known:
        return []
    if name not in schemas:
        return [f"message {number}: no tool named {name!r}"]
    errors = sorted(Draft202012Validator(schemas[name]).iter_errors(arguments), key=str)
    return [f"message {number}: {name}: {e.message}" for e in errors[:3]]


def format_verdict(app: Any, row: Example) -> StageVerdict:
    trajectory = row.metadata.get("trajectory")
    problems = check_request(app, row)
    if trajectory is not None or _expects_artifact(app, row):
        problems += check_trajectory(trajectory, hooks.tool_specs(app))
    return StageVerdict(stage="format", passed=not problems, reasons=problems)


def _expects_artifact(app: Any, row: Example) -> bool:
    expect = row.metadata.get("expect") or hooks.artifact_outcome(app)
    return expect == hooks.artifact_outcome(app) or (
        provenance(row).get("style") == VAGUE and row.reference is not None
    )


def execution_verdict(app: Any, row: Example) -> StageVerdict:
    """Runs the trajectory through the application's tools and checks what it made against the
    reference; a row whose target is not an artifact (a question, a refusal) has nothing to run."""
    trajectory = row.metadata.get("trajectory")
    if not _expects_artifact(app, row):
        return StageVerdict(stage="execution", passed=None, reasons=["no artifact to build"])
    if not isinstance(trajectory, list):
        return StageVerdict(stage="execution", passed=False, reasons=["no trajectory"])
    try:
        made = hooks.execute_trajectory(app, trajectory)
    except (ValueError, TypeError, KeyError) as exc:
        return StageVerdict(stage="execution", passed=False, reasons=[f"the tools failed: {exc}"])
    if made is None:
        return StageVerdict(stage="execution", passed=False, reasons=["nothing was created"])
    target = Example(
        id=row.id,
        input=row.input,
        reference=row.reference,
        metadata={"expect": hooks.artifact_outcome(app)},
    )
    checks = app.check(target, AppOutput(outcome=hooks.artifact_outcome(app), artifact=made))
    failed = [c.scorer for c in checks if c.passed is False]
    return StageVerdict(
        stage="execution",
        passed=not failed and any(c.passed for c in checks),
        reasons=[f"{name} failed" for name in failed],
    )


class RoundTrip(BaseModel):
    """The judge's answer: would a model reading the request build this artifact?"""

    answer: Literal["yes", "no"]
    reason: str = Field(default="", max_length=300)


JUDGE_SYSTEM = (
    "You check training data for an assistant that builds Shopify Flow automations. Given a "
    "merchant's request and an automation, answer yes if an assistant reading only the request "
    "(and the merchant's later answers, if any) would build exactly this automation: the same "
    "trigger, conditions with the same values, and the same actions. Answer no if the request "
    "asks for something else, misses a value or adds one."
)


def judge_messages(conversation: str, description: str) -> list[dict[str, Any]]:
    return [
        {"role": "system", "content": JUDGE_SYSTEM},
        {
            "role": "user",
            "content": f"Request:\n{conversation}\n\nAutomation:\n{description}\n\n"
            'Answer as JSON: {"answer": "yes" or "no", "reason": "..."}',
        },
    ]


def user_turns(row: Example) -> str:
    """The request and, for a trajectory that asks, the user's later answers."""
    trajectory = row.metadata.get("trajectory")
    turns = [str(row.input)]
    if isinstance(trajectory, list):
        users = [
            m.get("content") for m in trajectory if isinstance(m, dict) and m.get("role") == "user"
        ]
        turns += [str(t) for t in users[1:]]
    return "\n".join(turns)


async def semantic_verdict(
    client: ModelClient, app: Any, row: Example
) -> tuple[StageVerdict, bool]:
    """The judge's verdict and whether its answer was readable (an unreadable one is a no)."""
    if not _expects_artifact(app, row):
        return StageVerdict(stage="semantic", passed=None, reasons=["no artifact to compare"]), True
    description = hooks.describe_artifact(app, row.reference)
    request = ChatRequest(
        messages=judge_messages(user_turns(row), description), temperature=0, max_tokens=120
    )
    try:
        verdict, _ = await generate(client, request, RoundTrip, StructuredMode.JSON_SCHEMA)
    except (BudgetExceeded, DeadlineExceeded):
        raise
    except InvalidOutput as exc:
        return StageVerdict(stage="semantic", passed=False, reasons=[f"unreadable: {exc}"]), False
    except ModelCallError as exc:
        return StageVerdict(stage="semantic", passed=False, reasons=[f"{exc.kind}: {exc}"]), False
    reasons = [f"judge: {verdict.answer}" + (f" ({verdict.reason})" if verdict.reason else "")]
    return StageVerdict(stage="semantic", passed=verdict.answer == "yes", reasons=reasons), True
