"""Picking a field out of a JSON response: JMESPath, with the JSONPath habits people bring.

JMESPath (``choices[0].message.content``) is a small, specified, well-kept language, so the
``output`` of an http system can also reshape (``results[*].title``) rather than only pick. Two
spellings people write from JSONPath habit are accepted too: a leading ``$`` / ``$.`` and numeric
segments (``choices.0.message.content`` means ``choices[0].message.content``).
"""

from __future__ import annotations

import re
from typing import Any

import jmespath
from jmespath.exceptions import JMESPathError
from jmespath.parser import ParsedResult

_NUMERIC_SEGMENT = re.compile(r"\.(\d+)(?=\.|\[|$)")


def normalise(path: str) -> str:
    text = path.strip()
    if text == "$":
        return "@"
    if text.startswith("$."):
        text = text[2:]
    elif text.startswith("$["):
        text = "@" + text[1:]
    if '"' not in text and "'" not in text and "`" not in text:
        text = _NUMERIC_SEGMENT.sub(r"[\1]", text)
        if text[:1].isdigit():
            text = re.sub(r"^(\d+)", r"[\1]", text)
    return text


def compile_path(path: str) -> ParsedResult:
    """The compiled path; ``ValueError`` with the parser's message for a bad one."""
    try:
        return jmespath.compile(normalise(path))
    except JMESPathError as exc:
        raise ValueError(f"not a valid path ({exc})") from None


class Missing(LookupError):
    """The response has nothing (or null) at the path."""


def pick(compiled: ParsedResult, path: str, value: Any) -> Any:
    """The value at ``path``; ``Missing`` when there is none, naming what the response had."""
    try:
        found = compiled.search(value)
    except JMESPathError as exc:
        raise Missing(f"cannot apply path {path!r}: {exc}") from None
    if found is None:
        if isinstance(value, dict):
            keys = ", ".join(sorted(map(str, value))[:20]) or "none"
            raise Missing(f"no value at {path!r} in the response (its top-level keys: {keys})")
        raise Missing(f"no value at {path!r} in the response (a {type(value).__name__})")
    return found
