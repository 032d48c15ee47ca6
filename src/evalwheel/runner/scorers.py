"""Scorers: deterministic checks of one output. The application's own checks come first; generic
ones (exact and JSON match, regex, latency and cost thresholds) are here, and users add their own
with ``@scorer("name")`` or ship them in a package through the ``evalwheel.scorers`` entry point.

A scorer takes (example, output) and returns a ``CheckResult``. It must not raise for a bad output:
a failed check is ``passed=False`` with the reason in ``details``. Scorers that take an argument
(``regex:PATTERN``, ``max_latency:SECONDS``, ``max_cost:USD``) are named as the user wrote them
and looked up with ``get_scorer(spec)``, so a gate's threshold can name ``regex:^yes`` exactly.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Awaitable, Callable
from importlib.metadata import entry_points
from typing import Any

from evalwheel.apps.interface import AppOutput, CheckResult
from evalwheel.core.example import Example
from evalwheel.errors import InputError

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
    """Passes when the output (text, or JSON text for other values) matches ``pattern``
    anywhere (``re.search``; anchor with ``^…$`` for a full match)."""
    compiled = re.compile(pattern)
    label = name or f"regex:{pattern}"

    def check(example: Example, output: AppOutput) -> CheckResult:
        return CheckResult(
            scorer=label,
            passed=output.error is None and bool(compiled.search(_text(output.artifact))),
        )

    return check


def max_latency(seconds: float, name: str | None = None) -> Scorer:
    """Passes when the item took at most ``seconds`` (the value is the latency)."""
    label = name or f"max_latency:{seconds:g}"

    def check(example: Example, output: AppOutput) -> CheckResult:
        latency = output.latency_s
        return CheckResult(
            scorer=label, passed=latency is not None and latency <= seconds, value=latency
        )

    return check


def max_cost(usd: float, name: str | None = None) -> Scorer:
    """Passes when the item cost at most ``usd`` (a call answered from the cache costs 0)."""
    label = name or f"max_cost:{usd:g}"

    def check(example: Example, output: AppOutput) -> CheckResult:
        return CheckResult(scorer=label, passed=output.cost_usd <= usd, value=output.cost_usd)

    return check


# Scorers that take an argument, written ``NAME:ARGUMENT``: each parses its argument (a
# ``ValueError`` says why it is bad) and builds the scorer under the spec's own name.
ScorerFactory = Callable[[str, str], Scorer]
_FACTORIES: dict[str, tuple[ScorerFactory, str]] = {}


def parametrised_scorer(name: str, usage: str) -> Callable[[ScorerFactory], ScorerFactory]:
    """Register ``factory(argument, spec) -> Scorer`` under ``name``, used as ``name:ARGUMENT``;
    ``usage`` (e.g. ``regex:PATTERN``) is what error messages show."""

    def register(factory: ScorerFactory) -> ScorerFactory:
        _FACTORIES[name] = (factory, usage)
        return factory

    return register


def _number(text: str, what: str, *, positive: bool) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a number of {what}") from None
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        raise ValueError(f"{text!r} must be a {'positive' if positive else 'non-negative'} number")
    return value


@parametrised_scorer("regex", "regex:PATTERN")
def _regex_factory(argument: str, spec: str) -> Scorer:
    if not argument:
        raise ValueError("the pattern is empty")
    try:
        return regex(argument, name=spec)
    except re.error as exc:
        raise ValueError(f"bad pattern: {exc}") from None


@parametrised_scorer("max_latency", "max_latency:SECONDS")
def _latency_factory(argument: str, spec: str) -> Scorer:
    return max_latency(_number(argument.removesuffix("s"), "seconds", positive=True), name=spec)


@parametrised_scorer("max_cost", "max_cost:USD")
def _cost_factory(argument: str, spec: str) -> Scorer:
    return max_cost(_number(argument.removeprefix("$"), "US dollars", positive=False), name=spec)


def scorer_usages() -> list[str]:
    """Every scorer a run can name: the registered ones and the parametrised forms."""
    return sorted(registry()) + sorted(usage for _, usage in _FACTORIES.values())


def get_scorer(spec: str) -> Scorer:
    """The scorer a user named: ``exact_match``, a registered name, or ``NAME:ARGUMENT`` for a
    parametrised one (``regex:^yes``, ``max_latency:2.5``, ``max_cost:0.01``). Its results carry
    ``spec`` itself as their scorer name, so a gate's threshold can name exactly what was written.
    ``InputError`` (field ``scorers``) for an unknown name or a bad argument."""
    known = registry()
    if spec in known:
        return known[spec]
    name, sep, argument = spec.partition(":")
    if name == "judge" and sep:
        raise InputError(
            f"{spec!r} is a judge scorer: the judge tier builds it (--scorer judge:NAME)",
            field="scorers",
        )
    if name in _FACTORIES:
        factory, usage = _FACTORIES[name]
        if not sep:
            raise InputError(f"{name!r} needs an argument: write {usage}", field="scorers")
        try:
            return factory(argument, spec)
        except ValueError as exc:
            raise InputError(f"{spec!r}: {exc} (write {usage})", field="scorers") from None
    raise InputError(
        f"unknown scorer {spec!r}; known: {', '.join(scorer_usages())}", field="scorers"
    )
