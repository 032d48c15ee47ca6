"""Liquid in action fields, through python-liquid, with Flow's restrictions.

Allowed: output statements with filters, and the control tags ``if``/``unless``/``case``/``for``/
``assign``/``capture``. Not allowed: tags that reach outside the template (``include``, ``render``)
and anything unknown. Every variable a template reads must exist in the trigger's data (checked
against the catalog), so a typo in ``{{ order.customer.emial }}`` is a validation error rather than
an empty email at run time. Flow's ``date_minus``/``date_plus`` filters are provided.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache
from typing import Any

from liquid import Environment
from liquid.exceptions import LiquidError

from evalwheel_flow.catalog.catalog import Catalog, FieldType

ALLOWED_TAGS = {"if", "unless", "case", "for", "assign", "capture"}
_DURATION = re.compile(r"^\s*(\d+)\s*(second|minute|hour|day|week)s?\s*$")


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


@cache
def environment() -> Environment:
    env = Environment()
    env.filters["date_minus"] = lambda value, duration: _shift(value, duration, -1)
    env.filters["date_plus"] = lambda value, duration: _shift(value, duration, 1)
    return env


def has_liquid(text: str) -> bool:
    return "{{" in text or "{%" in text


def check(text: str, catalog: Catalog, scope: dict[str, FieldType]) -> list[str]:
    try:
        template = environment().from_string(text)
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
    return problems


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


def render(text: str, env: dict[str, Any]) -> str:
    if not has_liquid(text):
        return text
    return environment().from_string(text).render(**env)
