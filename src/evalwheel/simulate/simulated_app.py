"""An application seen through a simulated user: each item of an ``essences`` dataset becomes an
episode, so a simulation run is an ordinary run (stored, resumable, aggregated, compared, gated)
whose traces are whole conversations.

A flagged episode (the reviewer found a simulator error) is simulated again with a fresh sample,
up to ``retries`` times; every attempt's flags are kept and the attempt with the fewest is scored,
so the simulator's error rate is the first attempts' and what is left after the retries is
reported beside it.
"""

from __future__ import annotations

from typing import Any

from evalwheel.apps import hooks
from evalwheel.apps.interface import App, AppOutput, CheckResult
from evalwheel.core.example import Example
from evalwheel.llm.client import ModelClient, current_sample, independent_sample
from evalwheel.redaction import redact_text
from evalwheel.simulate.episode import Episode, run_episode
from evalwheel.simulate.models import Essence, ReviewFlag, SimulationSpec
from evalwheel.simulate.review import is_question, judge_review, review
from evalwheel.simulate.user import ReplayUser, SimulatedUser

RETRY_SAMPLE_STRIDE = 10_000


class SimulatedApp:
    """``app`` with its ``run`` replaced by an episode against a simulated user; every other
    hook is the application's own, so checks, signatures and contamination work unchanged."""

    def __init__(
        self,
        app: App,
        spec: SimulationSpec,
        user_client: ModelClient | None,
        reviewer_client: ModelClient | None = None,
    ) -> None:
        self.app = app
        self.name = app.name
        self.spec = spec
        self.user_client = user_client
        self.reviewer_client = reviewer_client

    def __getattr__(self, name: str) -> Any:
        return getattr(self.app, name)

    async def run(self, example: Example, client: ModelClient, params: dict[str, Any]) -> AppOutput:
        """The episode for this essence, re-simulated while the reviewer flags it."""
        essence = Essence.model_validate(example.input)
        attempts: list[list[ReviewFlag]] = []
        episodes: list[Episode] = []
        for attempt in range(self.spec.retries + 1):
            with independent_sample(current_sample() + attempt * RETRY_SAMPLE_STRIDE):
                episode = await run_episode(
                    self.app,
                    example,
                    essence,
                    client,
                    params,
                    self._user(essence),
                    max_turns=self.spec.max_turns,
                    real_opening=self.spec.opening == "real",
                )
                flags = review(essence, episode)
                if self.reviewer_client is not None and episode.simulator_error is None:
                    flags += await judge_review(self.reviewer_client, essence, episode)
            attempts.append(flags)
            episodes.append(episode)
            if not flags:
                break
        # The attempt with the fewest simulator errors is scored (the earliest on a tie).
        kept = min(range(len(attempts)), key=lambda i: len(attempts[i]))
        episode = episodes[kept]
        output = episode.final.model_copy()
        output.messages = episode.messages
        for flags in attempts:
            for flag in flags:
                flag.detail = redact_text(flag.detail)
        output.details = {
            "simulation": {
                "end": episode.end,
                "user_turns": episode.user_turns,
                "agent_turns": episode.agent_turns,
                "attempts": [[f.model_dump() for f in flags] for flags in attempts],
                "kept": kept,
                "simulator_error": redact_text(episode.simulator_error)
                if episode.simulator_error
                else None,
                "user_input_tokens": episode.user_input_tokens,
                "user_output_tokens": episode.user_output_tokens,
                "user_cost_usd": episode.user_cost_usd,
            }
        }
        return output

    def _user(self, essence: Essence) -> SimulatedUser | ReplayUser:
        if self.user_client is None:
            return ReplayUser(essence)
        return SimulatedUser(self.user_client, essence, self.spec.temperature)

    def check(self, example: Example, output: AppOutput) -> list[CheckResult]:
        """The application's checks of the final result and the episode's own scores. An episode
        whose simulator failed on every attempt is not scored (its checks are ``None``, counted as
        not scored): the simulator's failure is not the agent's. An episode that crashed (no
        record) is a failed item like any other: ``sim.success`` is still written."""
        results = list(self.app.check(example, output))
        record = output.details.get("simulation")
        scorer = hooks.success_scorer(self.app)
        primary = next((r for r in results if r.scorer == scorer), None)
        if not isinstance(record, dict):
            if primary is not None:
                results.append(CheckResult(scorer="sim.success", passed=primary.passed))
            return results
        attempts = record.get("attempts") or [[]]
        final_flags = attempts[int(record.get("kept", len(attempts) - 1))]
        simulator_failed = any(f.get("kind") == "simulator_failed" for f in final_flags)
        if simulator_failed:
            results = [
                r.model_copy(
                    update={
                        "passed": None,
                        "value": None,
                        "details": {"not_scored": "simulator failed"},
                    }
                )
                for r in results
            ]
            primary = None
        if scorer is not None:
            results.append(
                CheckResult(
                    scorer="sim.success",
                    passed=None if primary is None else primary.passed,
                    details={"by": scorer},
                )
            )
        asked = any(m.get("role") == "assistant" and is_question(m) for m in output.messages)
        stopped = record.get("end") == "user_stop"
        results += [
            CheckResult(scorer="sim.turns", value=float(record.get("user_turns") or 0)),
            CheckResult(scorer="sim.asked", passed=None if simulator_failed else asked),
            CheckResult(scorer="sim.user_stop", passed=stopped),
            CheckResult(
                scorer="sim.user_ok",
                passed=not final_flags,
                details={
                    "flags": final_flags,
                    "first_attempt_flags": attempts[0],
                    "attempts": len(attempts),
                },
            ),
        ]
        return results

    def render(self, example: Example, output: AppOutput) -> str:
        """The user's goal and the conversation, for a judge or a person."""
        essence = Essence.model_validate(example.input)
        lines = ["=== USER'S GOAL ===", essence.goal]
        if essence.success:
            lines += ["=== SUCCESS MEANS ===", essence.success]
        lines.append("=== CONVERSATION ===")
        for message in output.messages:
            who = "User" if message.get("role") == "user" else "Assistant"
            lines.append(f"{who}: {message.get('content') or ''}")
        if output.error is not None:
            lines += ["=== ERROR ===", output.error]
        lines.append("=== END ===")
        return "\n".join(lines)
