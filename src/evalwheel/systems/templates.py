"""Jinja2 templates over an example, sandboxed, strict, and blind to the reference.

A template is user text that runs on every item, so it runs in Jinja2's ``SandboxedEnvironment``
(no attribute tricks reaching Python internals) with ``StrictUndefined`` (a misspelt variable is an
error, never an empty string that quietly changes the prompt). The context holds what the system
may see: ``input``, ``metadata``, ``tags`` and ``id``. The reference (the answer), a produced
output and a human label are never in it, and a template that names them is refused when the
system is configured, before any item runs.
"""

from __future__ import annotations

import json
import re
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, meta
from jinja2.exceptions import TemplateError
from jinja2.runtime import Undefined
from jinja2.sandbox import SandboxedEnvironment

from evalwheel.core.example import Example

#: The names a template may use; everything else (``reference`` above all) is refused.
CONTEXT_NAMES = ("input", "metadata", "tags", "id")
_HIDDEN = ("reference", "output", "label")
_ONE_EXPRESSION = re.compile(r"^\s*\{\{(?P<expr>(?:(?!\}\}|\{\{|\{%|\{#).)*)\}\}\s*$", re.S)

_ENV = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
_ENV.policies["json.dumps_kwargs"] = {"sort_keys": False, "ensure_ascii": False}


def context(example: Example) -> dict[str, Any]:
    """What a template sees of an example (never its reference, output or label)."""
    return {
        "input": example.input,
        "metadata": dict(example.metadata),
        "tags": list(example.tags),
        "id": example.id,
    }


def request_context(request: str) -> dict[str, Any]:
    """The context of a bare request (for ideal trajectories): no metadata, no tags."""
    return {"input": request, "metadata": {}, "tags": [], "id": ""}


def check_template(source: str) -> str | None:
    """The problem with a template's text, or None: a syntax error, or a variable the template
    cannot see (the reference is named as such, so the reason is clear)."""
    try:
        names = meta.find_undeclared_variables(_ENV.parse(source))
    except TemplateSyntaxError as exc:
        return f"template syntax error on its line {exc.lineno}: {exc.message}"
    hidden = sorted(names & set(_HIDDEN))
    if hidden:
        return (
            f"the template uses {', '.join(hidden)}, which a system never sees (it would leak the "
            f"answer into the prompt); it can use {', '.join(CONTEXT_NAMES)}"
        )
    unknown = sorted(names - set(CONTEXT_NAMES))
    if unknown:
        return (
            f"unknown variable(s) {', '.join(unknown)}; a template can use "
            f"{', '.join(CONTEXT_NAMES)} (e.g. {{{{ metadata.topic }}}})"
        )
    return None


def render(source: str, values: dict[str, Any]) -> str:
    """The template rendered; ``TemplateError`` (an undefined name, a sandbox refusal…) escapes
    for the caller to attribute to its field."""
    return _ENV.from_string(source).render(values)


def render_value(value: Any, values: dict[str, Any]) -> Any:
    """A JSON value whose strings are templates, rendered. A string that is one ``{{ expression
    }}`` and nothing else becomes the expression's value itself, so ``"{{ input }}"`` sends an
    object input as an object and a number as a number, not as their text."""
    if isinstance(value, str):
        whole = _ONE_EXPRESSION.match(value)
        if whole:
            result = _ENV.compile_expression(whole.group("expr"), undefined_to_none=False)(**values)
            if isinstance(result, Undefined):
                str(result)  # StrictUndefined raises UndefinedError with its own message
            return _jsonable(result)
        return render(value, values)
    if isinstance(value, list):
        return [render_value(v, values) for v in value]
    if isinstance(value, dict):
        return {k: render_value(v, values) for k, v in value.items()}
    return value


def check_value(value: Any) -> str | None:
    """The first problem among the templates inside a JSON value, or None."""
    if isinstance(value, str):
        return check_template(value)
    if isinstance(value, list):
        return next((p for p in map(check_value, value) if p), None)
    if isinstance(value, dict):
        return next((p for p in map(check_value, value.values()) if p), None)
    return None


def _jsonable(value: Any) -> Any:
    """Tuples and other containers a sandboxed expression can build, as JSON values."""
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError) as exc:
        raise TemplateError(f"the expression's value is not JSON: {exc}") from None
