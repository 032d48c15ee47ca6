"""Evaluating a condition against event data, with Flow's semantics.

- String comparisons are case-insensitive; numbers compare numerically, also when the data holds a
  decimal as a string ("200.00"); ISO dates compare in time order (as strings, which ISO keeps).
- A missing value (nil) equals only ``nil``; ordering tests on nil are false; string tests treat nil
  as the empty string.
- ``in?`` / ``not_in?`` test membership in a comma-separated literal.
- ``any?`` is false and ``all?`` / ``none?`` are true over an empty or missing list.
"""

from __future__ import annotations

from typing import Any

from evalwheel_flow.conditions.ast import Comparison, Expr, Logical, Path, Quantifier, Unary

_MISSING = None


def lookup(env: dict[str, Any], path: Path) -> Any:
    value: Any = env
    for part in path.parts:
        if isinstance(value, dict):
            value = value.get(part, _MISSING)
        else:
            return _MISSING
        if value is _MISSING:
            return _MISSING
    return value


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).lower()


def equal(value: Any, literal: Any) -> bool:
    if literal is None or value is None:
        return value is None and literal is None
    if isinstance(literal, bool) or isinstance(value, bool):
        return isinstance(value, bool) and isinstance(literal, bool) and value == literal
    a, b = _number(value), _number(literal)
    if (
        a is not None
        and b is not None
        and not (isinstance(value, str) and isinstance(literal, str))
    ):
        return a == b
    return _text(value) == _text(literal)


def _order(value: Any, literal: Any) -> int | None:
    if value is None or literal is None:
        return None
    a, b = _number(value), _number(literal)
    if a is not None and b is not None:
        return (a > b) - (a < b)
    if isinstance(value, (list, dict)):
        return None
    x, y = _text(value), _text(literal)
    return (x > y) - (x < y)


def compare(value: Any, op: str, literal: Any) -> bool:
    if isinstance(value, list):  # a list compared as a scalar never matches (use any?)
        return op in ("!=", "not_include?", "not_start_with?", "not_end_with?", "not_in?")
    if op == "==":
        return equal(value, literal)
    if op == "!=":
        return not equal(value, literal)
    if op in (">", ">=", "<", "<="):
        order = _order(value, literal)
        if order is None:
            return False
        return {">": order > 0, ">=": order >= 0, "<": order < 0, "<=": order <= 0}[op]
    text, needle = _text(value), _text(literal)
    if op in ("include?", "not_include?"):
        result = needle in text
    elif op in ("start_with?", "not_start_with?"):
        result = text.startswith(needle)
    elif op in ("end_with?", "not_end_with?"):
        result = text.endswith(needle)
    elif op in ("in?", "not_in?"):
        members = {m.strip().lower() for m in str(literal or "").split(",")}
        result = value is not None and text in members
    else:
        raise ValueError(f"unknown operator {op!r}")
    return not result if op.startswith("not_") else result


def unary(value: Any, op: str) -> bool:
    empty = value is None or value == "" or value == [] or value == {}
    if op == "empty_or_nil?":
        return empty
    if op == "not_empty_and_not_nil?":
        return not empty
    if op == "nil?":
        return value is None
    if op == "not_nil?":
        return value is not None
    raise ValueError(f"unknown operator {op!r}")


def evaluate(expr: Expr, env: dict[str, Any]) -> bool:
    if isinstance(expr, Comparison):
        return compare(lookup(env, expr.lhs), expr.op, expr.rhs.value)
    if isinstance(expr, Unary):
        return unary(lookup(env, expr.lhs), expr.op)
    if isinstance(expr, Quantifier):
        items = lookup(env, expr.path)
        items = items if isinstance(items, list) else []
        results = (evaluate(expr.body, {**env, expr.var: item}) for item in items)
        if expr.op == "any?":
            return any(results)
        if expr.op == "all?":
            return all(results)
        return not any(results)
    if isinstance(expr, Logical):
        if expr.op == "&&":
            return all(evaluate(item, env) for item in expr.items)
        return any(evaluate(item, env) for item in expr.items)
    raise TypeError(f"not a condition: {expr!r}")
