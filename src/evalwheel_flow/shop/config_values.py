"""Config values as Flow reads them, and as the truth oracle compares what they produce.

An exported workflow holds every config value as a string. Flow reads each by its field's type in
the catalog: ``"true"``/``"false"`` for a Boolean, a whole number for an Integer, a decimal number
for a Decimal (Float, Money), and the field's default when an optional field is left out or blank.
So ``notify_customer: "false"`` and no ``notify_customer`` at all ask for the same thing.

What a value produces (a note, an e-mail, an HTTP request) is compared the way the shop, or the
person it reaches, tells values apart: e-mail recipients without regard to case or surrounding
spaces and as a set, HTTP header names without regard to case, a blank value as no value, and a
*free* field (wording the merchant's request leaves to the agent, flagged ``free`` in the catalog:
an e-mail's subject and body, a note) by presence only, since its content is for the judge.
"""

from __future__ import annotations

import json
import re
from typing import Any

from evalwheel_flow.catalog.catalog import ConfigField, Task

DECIMALS = frozenset({"Decimal", "Float", "Money"})
FREE_TEXT = "<free text>"  # what any non-blank free value is compared as

_INTEGER = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


def typed(field: ConfigField, text: str | None) -> Any:
    """One config value as Flow reads it; a value its type does not allow stays a string (the
    validator reports it)."""
    if text is None or not text.strip():
        text = field.default if field.default is not None else text
    if text is None:
        return None
    stripped = text.strip()
    if field.type == "Boolean" and stripped.lower() in ("true", "false"):
        return stripped.lower() == "true"
    if field.type == "Integer" and _INTEGER.fullmatch(stripped):
        return int(stripped)
    if field.type in DECIMALS and _DECIMAL.fullmatch(stripped):
        return float(stripped)
    return text


def typed_config(task: Task, config: dict[str, str]) -> dict[str, Any]:
    """Every field of a step, typed, with defaults for those left out (None when a field has
    none); a key the task does not have is kept as written."""
    values: dict[str, Any] = {k: v for k, v in config.items() if k not in task.config_fields}
    for name, field in task.config_fields.items():
        values[name] = typed(field, config.get(name))
    return values


def compared(field: ConfigField | None, value: Any) -> Any:
    """What the oracle compares for a value a field produced (after Liquid): None for nothing."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if field is None or not isinstance(value, str):
        return value
    if field.free:
        return FREE_TEXT
    if field.type == "Email":
        return sorted({a.strip().lower() for a in value.split(",") if a.strip()})
    if field.type == "Headers":
        return _headers(value)
    return value


def _headers(text: str) -> Any:
    try:
        headers = json.loads(text)
    except ValueError:
        return text
    if not isinstance(headers, list) or not all(
        isinstance(h, dict) and isinstance(h.get("key"), str) for h in headers
    ):
        return text
    pairs = [[h["key"].strip().lower(), h.get("value")] for h in headers]
    return sorted(pairs, key=json.dumps) or None
