"""Liquid in action fields, through python-liquid, with Flow's restrictions and resource limits.

Allowed: output statements with filters, and the control tags ``if``/``unless``/``case``/``for``/
``assign``/``capture``. Not allowed: tags that reach outside the template (``include``, ``render``)
and anything unknown. Every variable a template reads must exist in the trigger's data (checked
against the catalog), so a typo in ``{{ order.customer.emial }}`` is a validation error rather than
an empty email at run time. Flow's ``date_minus``/``date_plus`` filters are provided.

A template comes from a model under test, so every render is bounded (``evalwheel_flow.limits``):
python-liquid's own limits on nested loops, output and assigned variables, plus what it lacks: loop
iterations counted across sibling loops, and a work count per render (a pass over the field per
iteration, the items handed to filters: ``(1..N) | join`` builds its whole string before any output
limit sees it). Validation trial-renders each field on a sample event, so a template over a limit
is a validator error, not a slow scorer.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Callable, Sized
from functools import cache, lru_cache
from typing import Any

from liquid import BoundTemplate, Environment, RenderContext
from liquid.exceptions import (
    LiquidError,
    LocalNamespaceLimitError,
    LoopIterationLimitError,
    OutputStreamLimitError,
    ResourceLimitError,
)
from liquid.output import LimitedStringIO
from liquid.token import Token

from evalwheel_flow.catalog.catalog import Catalog, FieldType
from evalwheel_flow.limits import (
    LIQUID_LOCALS_BYTES,
    LIQUID_LOOP_ITERATIONS,
    LIQUID_OUTPUT_BYTES,
    LIQUID_RENDER_WORK,
    LIQUID_TEMPLATE_CHARS,
    WorkBudget,
    WorkLimitExceeded,
)
from evalwheel_flow.shop.events import sample_value

ALLOWED_TAGS = {"if", "unless", "case", "for", "assign", "capture"}
_DURATION = re.compile(r"^\s*(\d+)\s*(second|minute|hour|day|week)s?\s*$")


class RenderWorkError(ResourceLimitError):
    """A render over ``LIQUID_RENDER_WORK`` (loop passes over the field, items given to filters)."""


class LiquidLimitError(ValueError):
    """A template over one of the limits; the message is one line naming the limit."""


def _shift(value: Any, duration: str, sign: int) -> str:
    match = _DURATION.match(str(duration))
    if not match:
        raise ValueError(f"bad duration {duration!r}: use e.g. '3 days'")
    amount, unit = int(match.group(1)), match.group(2)
    base = (
        dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        if value not in (None, "now")
        else dt.datetime.now(dt.UTC)
    )
    return (base + sign * dt.timedelta(**{unit + "s": amount})).isoformat()


class _Context(RenderContext):
    """A render context that counts the work of the whole render.

    python-liquid's ``loop_iteration_limit`` multiplies the lengths of nested loops but checks each
    loop nest on its own, so fifty sibling loops of 999 iterations pass it, and nothing bounds what
    a filter is given. Here every loop iteration counts towards ``LIQUID_LOOP_ITERATIONS`` and
    costs one pass over the field (``chars`` units), and every item of a sequence handed to a
    filter one unit, against ``LIQUID_RENDER_WORK``. ``raise_for_loop_limit`` (called once per loop
    entry with the loop's length, before its first iteration) and ``filter`` are the library's
    hooks; the checks run before the work is done.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.chars = 0
        self.iterations = 0
        self.work = 0

    def charge(self, units: int) -> None:
        self.work += units
        if self.work > LIQUID_RENDER_WORK:
            raise RenderWorkError("render work limit reached", token=None)

    def raise_for_loop_limit(self, length: int = 1) -> None:
        super().raise_for_loop_limit(length)
        self.iterations += length
        if self.iterations > LIQUID_LOOP_ITERATIONS:
            raise LoopIterationLimitError("loop iteration limit reached", token=None)
        self.charge(length * self.chars)

    def filter(self, name: str, token: Token | None) -> Callable[..., object]:
        func = super().filter(name, token)

        def bounded(value: object, *args: object, **kwargs: object) -> object:
            self.charge(
                sum(
                    len(arg)
                    for arg in (value, *args, *kwargs.values())
                    if isinstance(arg, Sized) and not isinstance(arg, str)
                )
            )
            return func(value, *args, **kwargs)

        return bounded


class _Template(BoundTemplate):
    context_class = _Context


class _Environment(Environment):
    """python-liquid with its resource limits set (they are off by default)."""

    template_class = _Template
    loop_iteration_limit = LIQUID_LOOP_ITERATIONS
    output_stream_limit = LIQUID_OUTPUT_BYTES
    local_namespace_limit = LIQUID_LOCALS_BYTES


@cache
def environment() -> Environment:
    env = _Environment()
    env.filters["date_minus"] = lambda value, duration: _shift(value, duration, -1)
    env.filters["date_plus"] = lambda value, duration: _shift(value, duration, 1)
    return env


@lru_cache(maxsize=2048)
def _template(text: str) -> BoundTemplate:
    """Parsed once per text: the oracle renders the same few fields on hundreds of events."""
    return environment().from_string(text)


def has_liquid(text: str) -> bool:
    return "{{" in text or "{%" in text


def limit_message(exc: ResourceLimitError) -> str:
    """One line naming the limit a render went over."""
    if isinstance(exc, LoopIterationLimitError):
        return (
            f"more than {LIQUID_LOOP_ITERATIONS:,} loop iterations in one field "
            "(nested loops multiply)"
        )
    if isinstance(exc, OutputStreamLimitError):
        return f"the field renders more than {LIQUID_OUTPUT_BYTES:,} bytes"
    if isinstance(exc, LocalNamespaceLimitError):
        return f"assigned variables take more than {LIQUID_LOCALS_BYTES:,} bytes"
    if isinstance(exc, RenderWorkError):
        return (
            f"the field needs more than {LIQUID_RENDER_WORK:,} work units to render "
            "(its length once per loop iteration, plus the items given to filters)"
        )
    return str(exc.message)


def _too_long(text: str) -> str | None:
    if len(text) > LIQUID_TEMPLATE_CHARS:
        return (
            f"the field has {len(text):,} characters of Liquid (at most {LIQUID_TEMPLATE_CHARS:,})"
        )
    return None


def check(
    text: str,
    catalog: Catalog,
    scope: dict[str, FieldType],
    budget: WorkBudget | None = None,
) -> list[str]:
    """Problems with a Liquid field: syntax, tags, filters, unknown variables, and resource limits
    (a trial render on a sample event, charged to ``budget`` when one is given)."""
    too_long = _too_long(text)
    if too_long:
        return [f"Liquid resource limit: {too_long}"]
    try:
        template = _template(text)
        analysis = template.analyze()
    except LiquidError as exc:
        return [f"Liquid syntax error: {exc}"]
    problems = [
        f"Liquid tag {{% {tag} %}} is not allowed in Flow"
        for tag in analysis.tags
        if tag not in ALLOWED_TAGS
    ]
    problems += [
        f"unknown Liquid filter {name!r}"
        for name in analysis.filters
        if name not in environment().filters
    ]
    for uses in analysis.globals.values():
        for variable in uses:
            problem = _resolve_segments(catalog, scope, list(variable.segments))
            if problem:
                problems.append(problem)
    if problems or (budget is not None and budget.exhausted):
        return problems
    rng = random.Random(0)
    try:
        sample = {
            name: sample_value(catalog, scope[name], rng)
            for name in analysis.globals
            if name in scope
        }
        render(text, sample, budget)
    except (LiquidLimitError, WorkLimitExceeded) as exc:
        return [f"Liquid resource limit: {exc}"]
    except Exception:  # other failures depend on the event; the executor reports them
        return []
    return []


def _resolve_segments(
    catalog: Catalog, scope: dict[str, FieldType], segments: list[Any]
) -> str | None:
    """None when the variable exists; list indexes (``lineItems[0]``) step into the item type."""
    shown = ".".join(str(s) for s in segments)
    head, *rest = segments
    if head not in scope:
        return f"{{{{ {shown} }}}}: {head!r} is not in scope here"
    current = scope[head]
    for segment in rest:
        if isinstance(segment, int) or segment in ("first", "last", "size"):
            if current.kind != "list" or current.item is None:
                return f"{{{{ {shown} }}}}: {segment!r} needs a list"
            if segment == "size":
                return None
            current = current.item
            continue
        fields = catalog.fields_of(current)
        if segment not in fields:
            return f"{{{{ {shown} }}}}: {current} has no field {segment!r}"
        current = fields[segment]
    return None


def variables(text: str) -> list[tuple[str | int, ...]]:
    """The paths of the variables a field reads from its scope (``{{ order.name }}`` gives
    ``("order", "name")``; loop and assigned locals are left out), or none when it has no Liquid
    or does not parse (the validator reports that)."""
    if not has_liquid(text):
        return []
    try:
        analysis = _template(text).analyze()
    except LiquidError:
        return []
    return [tuple(v.segments) for uses in analysis.globals.values() for v in uses]


def render(text: str, env: dict[str, Any], budget: WorkBudget | None = None) -> str:
    """The field rendered against ``env``. A template over a limit raises ``LiquidLimitError``;
    the render's work units are charged to ``budget``, which raises ``WorkLimitExceeded`` when it
    runs out."""
    if not has_liquid(text):
        return text
    too_long = _too_long(text)
    if too_long:
        raise LiquidLimitError(too_long)
    template = _template(text)
    context = _Context(template, globals=template.make_globals(env))
    context.chars = len(text)
    buffer = LimitedStringIO(limit=LIQUID_OUTPUT_BYTES)
    try:
        context.charge(len(text))
        template.render_with_context(context, buffer)
    except ResourceLimitError as exc:
        raise LiquidLimitError(limit_message(exc)) from None
    finally:
        if budget is not None:  # a render stopped by its own limit costs at most that limit
            budget.spend(min(context.work, LIQUID_RENDER_WORK))
    return buffer.getvalue()
