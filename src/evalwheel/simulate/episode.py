"""One episode: a simulated user pursuing one essence against one system, turn by turn.

The system is run exactly as in an ordinary run (the application's ``run``), each turn with the
conversation so far as ``metadata.history``, so a multi-turn agent sees what a real one would.
After each agent turn that produced an artifact the application's success check is run on it; the
user never sees that verdict (it must judge the result from its own goal, as a merchant would),
but the reviewer does, to tell "accepted a wrong result" from "stopped once the goal was met".
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from evalwheel.apps import hooks
from evalwheel.apps.interface import App, AppOutput
from evalwheel.core.example import Example
from evalwheel.llm.client import ModelClient
from evalwheel.simulate.models import Essence
from evalwheel.simulate.user import ReplayUser, SimulatedUser, UserReply

EndReason = Literal["user_stop", "max_turns", "agent_error", "simulator_error"]


class Episode(BaseModel):
    """What happened in one episode. ``messages`` are user and assistant turns in the
    conversations format (assistant turns carry ``outcome``, ``artifact`` and ``goal_met``);
    ``final`` is the agent output the episode is scored on: its last artifact, else its last
    turn."""

    messages: list[dict[str, Any]] = Field(default_factory=list)
    final: AppOutput = Field(default_factory=AppOutput)
    end: EndReason = "max_turns"
    user_turns: int = 0
    agent_turns: int = 0
    simulator_error: str | None = None
    user_input_tokens: int = 0
    user_output_tokens: int = 0
    user_cost_usd: float = 0.0


def goal_met(app: App, example: Example, output: AppOutput) -> bool | None:
    """Does ``output`` pass the application's success check (None: it has none)?"""
    scorer = hooks.success_scorer(app)
    if scorer is None:
        return None
    for check in app.check(example, output):
        if check.scorer == scorer:
            return bool(check.passed)
    return None


def _count(episode: Episode, reply: UserReply) -> None:
    episode.user_input_tokens += reply.input_tokens
    episode.user_output_tokens += reply.output_tokens
    episode.user_cost_usd += reply.cost_usd


async def run_episode(
    app: App,
    example: Example,
    essence: Essence,
    agent_client: ModelClient | None,
    params: dict[str, Any],
    user: SimulatedUser | ReplayUser,
    *,
    max_turns: int,
    real_opening: bool = False,
) -> Episode:
    """Alternate user and agent turns until the user stops, the agent fails, the simulator fails
    or the agent has answered ``max_turns`` user turns (the user then writes a last message the
    agent does not answer)."""
    episode = Episode()
    history: list[dict[str, Any]] = []
    outputs: list[AppOutput] = []
    reply = (
        UserReply(message=essence.opening)
        if real_opening and essence.opening
        else await user.next(episode.messages)
    )
    while True:
        _count(episode, reply)
        if reply.error is not None or not reply.message:
            episode.simulator_error = reply.error or "the simulated user wrote an empty message"
            episode.end = "simulator_error"
            break
        episode.messages.append({"role": "user", "content": reply.message, "stop": reply.stop})
        episode.user_turns += 1
        if reply.stop and episode.agent_turns > 0:
            episode.end = "user_stop"
            break
        turn_example = example.model_copy(
            update={"input": reply.message, "metadata": {**example.metadata, "history": history}}
        )
        output = await app.run(turn_example, agent_client, params)
        outputs.append(output)
        episode.agent_turns += 1
        text = hooks.agent_reply(app, output)
        made = output.error is None and output.outcome == hooks.artifact_outcome(app)
        episode.messages.append(
            {
                "role": "assistant",
                "content": text,
                "outcome": "error" if output.error is not None else output.outcome,
                "artifact": output.artifact if made else None,
                "goal_met": goal_met(app, example, output) if made else None,
            }
        )
        history = [
            *history,
            {"role": "user", "content": reply.message},
            {"role": "assistant", "content": text},
        ]
        if output.error is not None:
            episode.end = "agent_error"
            break
        reply = await user.next(episode.messages)
        if episode.user_turns >= max_turns:
            # The user has the last word (thanks, a complaint, giving up), as in real
            # conversations; the agent does not answer it.
            _count(episode, reply)
            if reply.error is None and reply.message:
                episode.messages.append(
                    {"role": "user", "content": reply.message, "stop": reply.stop}
                )
                episode.user_turns += 1
            episode.end = "user_stop" if reply.stop else "max_turns"
            break
    episode.final = _final(app, outputs)
    return episode


def _final(app: App, outputs: list[AppOutput]) -> AppOutput:
    """The output an episode is scored on, with every turn's tool calls and usage summed."""
    if not outputs:
        return AppOutput()  # the simulator failed first: not scored (see SimulatedApp.check)
    made = [o for o in outputs if o.error is None and o.outcome == hooks.artifact_outcome(app)]
    final = (made or outputs)[-1].model_copy()
    if outputs[-1].error is not None:
        final = outputs[-1].model_copy()
    final.tool_calls = [c for o in outputs for c in o.tool_calls]
    final.input_tokens = sum(o.input_tokens for o in outputs)
    final.output_tokens = sum(o.output_tokens for o in outputs)
    final.cost_usd = sum(o.cost_usd for o in outputs)
    return final
