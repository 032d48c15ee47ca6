"""Scorers: deterministic checks of one output. The application's own checks come first; generic
ones (exact and JSON match, regex, latency and cost thresholds) are here, and users add their own
with ``@scorer("name")`` or ship them in a package through the ``evalwheel.scorers`` entry point.

A scorer takes (example, output) and returns a ``CheckResult``. It must not raise for a bad output:
a failed check is ``passed=False`` with the reason in ``details``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from importlib.metadata import entry_points
from typing import Any

from evalwheel.apps.interface import AppOutput, CheckResult
from evalwheel.core.example import Example

Scorer = Callable[[Example, AppOutput], CheckResult]
# Scorers that call a model (judges, panels): (app, example, output, "run/item/repetition").
AsyncScorer = Callable[[Any, Example, AppOutput, str], Awaitable[CheckResult]]
_REGISTRY: dict[str, Scorer] = {}


def scorer(name: str) -> Callable[[Scorer], Scorer]:
    def register(fn: Scorer) -> Scorer:
        _REGISTRY[name] = fn
        return fn

    return register


def registry() -> dict[str, Scorer]:
    for ep in entry_points(group="evalwheel.scorers"):
        if ep.name not in _REGISTRY:
            _REGISTRY[ep.name] = ep.load()
    return dict(_REGISTRY)


def _text(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


@scorer("exact_match")
def exact_match(example: Example, output: AppOutput) -> CheckResult:
    if example.reference is None:
        return CheckResult(scorer="exact_match", passed=None, details={"reason": "no reference"})
    ok = output.error is None and _text(output.artifact).strip() == _text(example.reference).strip()
    return CheckResult(scorer="exact_match", passed=ok)


@scorer("json_match")
def json_match(example: Example, output: AppOutput) -> CheckResult:
    """Equal as JSON values (key order and whitespace ignored); a string artifact is parsed first."""
    if example.reference is None:
        return CheckResult(scorer="json_match", passed=None, details={"reason": "no reference"})
    artifact = output.artifact
    if isinstance(artifact, str):
        try:
            artifact = json.loads(artifact)
        except json.JSONDecodeError as exc:
            return CheckResult(
                scorer="json_match", passed=False, details={"reason": f"not JSON: {exc.msg}"}
            )
    return CheckResult(
        scorer="json_match", passed=output.error is None and artifact == example.reference
    )


def regex(pattern: str, name: str | None = None) -> Scorer:
    compiled = re.compile(pattern)
    label = name or f"regex:{pattern}"

    def check(example: Example, output: AppOutput) -> CheckResult:
        return CheckResult(
            scorer=label,
            passed=output.error is None and bool(compiled.search(_text(output.artifact))),
        )

    return check


def max_latency(seconds: float) -> Scorer:
    def check(example: Example, output: AppOutput) -> CheckResult:
        latency = output.latency_s
        return CheckResult(
            scorer=f"latency<={seconds:g}s",
            passed=latency is not None and latency <= seconds,
            value=latency,
        )

    return check


def max_cost(usd: float) -> Scorer:
    def check(example: Example, output: AppOutput) -> CheckResult:
        return CheckResult(
            scorer=f"cost<=${usd:g}", passed=output.cost_usd <= usd, value=output.cost_usd
        )

    return check
