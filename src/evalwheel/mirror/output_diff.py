"""The generic comparison of two answers to one request, for systems whose application has no
opinion: exact first, then after normalisation, then field by field.

An answer is compared as its outcome, text content, tool calls and artifact. ``identical``: all
four are exactly equal, tool-call ids aside (each side's ids are its own). ``equivalent``: they
agree once normalised: content that is a JSON object or array is compared as JSON (key order and
whitespace do not count), other text with runs of whitespace collapsed and the ends trimmed (case
counts), tool-call ``arguments`` strings are parsed as JSON, and numbers compare by value (``1``
and ``1.0`` agree, ``true`` and ``1`` do not). Otherwise ``different``, with one ``FieldDiff``
per differing leaf, e.g. ``tool_calls[1].arguments.amount``.

The diff is a small recursive walk rather than a library such as deepdiff: deepdiff reports
``1`` against ``1.0`` as a type change, and its numeric switch makes ``true`` equal to ``1``;
it compares lists of objects (tool calls) by position just the same; and mapping its five report
kinds onto ``FieldDiff`` takes as much code as the walk.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import JsonValue

from evalwheel.core.mirror import FieldDiff, OutputRelation, PairSide, Relation

MAX_FIELD_DIFFS = 50
"""Field diffs kept per pair: enough to read, bounded against a runaway answer."""

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def relate_sides(current: PairSide, candidate: PairSide | None) -> OutputRelation:
    """How the candidate's answer relates to the current one (``failed`` when either side failed
    or the candidate gave none: a failure is never a difference in content)."""
    if candidate is None:
        return OutputRelation(relation="failed")
    if current.error is not None or candidate.error is not None:
        diff = (
            []
            if current.error == candidate.error
            else [FieldDiff(path="error", current=current.error, candidate=candidate.error)]
        )
        return OutputRelation(relation="failed", diff=diff)
    if sides_identical(current, candidate):
        return OutputRelation(relation="identical")
    diffs = side_diff(current, candidate)
    return capped("different" if diffs else "equivalent", diffs)


def sides_identical(current: PairSide, candidate: PairSide) -> bool:
    """Exactly the same answer (key order included), tool-call ids aside."""
    return _dumps(_exact_view(current)) == _dumps(_exact_view(candidate))


def side_diff(current: PairSide, candidate: PairSide) -> list[FieldDiff]:
    """Every leaf where the normalised answers differ (empty: they are equivalent). A differing
    plain-text ``content`` is reported as each side wrote it, not as normalised."""
    diffs = json_diff(_normal_view(current), _normal_view(candidate))
    for item in diffs:
        if item.path == "content" and item.missing is None:
            item.current, item.candidate = current.content, candidate.content
    return diffs


def json_diff(current: Any, candidate: Any, path: str = "") -> list[FieldDiff]:
    """One ``FieldDiff`` per differing leaf of two JSON values. A key on one side only is
    reported once, with ``missing`` naming the side without it; a longer list's extra items are
    reported one by one the same way; the common part of two lists is compared by position."""
    if isinstance(current, dict) and isinstance(candidate, dict):
        found: list[FieldDiff] = []
        for key in [*current, *(k for k in candidate if k not in current)]:
            where = _join(path, key)
            if key not in candidate:
                found.append(FieldDiff(path=where, current=current[key], missing="candidate"))
            elif key not in current:
                found.append(FieldDiff(path=where, candidate=candidate[key], missing="current"))
            else:
                found += json_diff(current[key], candidate[key], where)
        return found
    if isinstance(current, list) and isinstance(candidate, list):
        found = []
        for index, (a, b) in enumerate(zip(current, candidate, strict=False)):
            found += json_diff(a, b, f"{path}[{index}]")
        for index in range(len(candidate), len(current)):
            found.append(
                FieldDiff(path=f"{path}[{index}]", current=current[index], missing="candidate")
            )
        for index in range(len(current), len(candidate)):
            found.append(
                FieldDiff(path=f"{path}[{index}]", candidate=candidate[index], missing="current")
            )
        return found
    if _same_leaf(current, candidate):
        return []
    return [FieldDiff(path=path, current=current, candidate=candidate)]


def capped(
    relation: Relation, diffs: list[FieldDiff], counterexample: JsonValue = None
) -> OutputRelation:
    """A relation keeping at most ``MAX_FIELD_DIFFS`` diffs, counting the ones left off."""
    return OutputRelation(
        relation=relation,
        diff=diffs[:MAX_FIELD_DIFFS],
        diff_omitted=max(0, len(diffs) - MAX_FIELD_DIFFS),
        counterexample=counterexample,
    )


def _join(path: str, key: str) -> str:
    if _NAME.fullmatch(key):
        return f"{path}.{key}" if path else key
    return f"{path}[{json.dumps(key, ensure_ascii=False)}]"


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def _same_leaf(a: Any, b: Any) -> bool:
    return _kind(a) == _kind(b) and a == b


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _exact_view(side: PairSide) -> dict[str, Any]:
    return {
        "outcome": side.outcome,
        "content": side.content,
        "tool_calls": [_without_id(call) for call in side.tool_calls],
        "artifact": side.artifact,
    }


def _normal_view(side: PairSide) -> dict[str, Any]:
    """The answer as compared for equivalence; an absent part (None) is left out, so a diff
    reports it as missing on that side."""
    view: dict[str, Any] = {
        "outcome": side.outcome,
        "content": None if side.content is None else _normal_text(side.content),
        "tool_calls": [_normal_call(call) for call in side.tool_calls],
        "artifact": _normal_text(side.artifact)
        if isinstance(side.artifact, str)
        else side.artifact,
    }
    return {key: value for key, value in view.items() if value is not None}


def _normal_text(text: str) -> Any:
    stripped = text.strip()
    if stripped[:1] in ("{", "["):
        try:
            return json.loads(stripped)
        except json.JSONDecodeError:
            pass
    return " ".join(text.split())


def _without_id(call: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in call.items() if key != "id"}


def _normal_call(call: dict[str, Any]) -> dict[str, Any]:
    """A tool call without its id, its ``arguments`` (top level or under ``function``) parsed."""
    normal = _without_id(call)
    if isinstance(normal.get("arguments"), str):
        normal["arguments"] = _parsed(normal["arguments"])
    function = normal.get("function")
    if isinstance(function, dict) and isinstance(function.get("arguments"), str):
        normal["function"] = {**function, "arguments": _parsed(function["arguments"])}
    return normal


def _parsed(arguments: str) -> Any:
    try:
        return json.loads(arguments)
    except json.JSONDecodeError:
        return arguments
