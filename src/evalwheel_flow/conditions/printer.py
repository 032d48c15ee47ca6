"""Printing the tree back as Flow writes it: every test and group in parentheses, strings in single
quotes. ``parse(to_text(tree)) == tree`` for every tree (a hypothesis property test)."""

from __future__ import annotations

from evalwheel_flow.conditions.ast import Comparison, Expr, Literal, Logical, Quantifier, Unary


def literal_text(literal: Literal) -> str:
    value = literal.value
    if value is None:
        return "nil"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return repr(value)


def to_text(expr: Expr) -> str:
    if isinstance(expr, Comparison):
        return f"({expr.lhs.text} {expr.op} {literal_text(expr.rhs)})"
    if isinstance(expr, Unary):
        return f"({expr.lhs.text} {expr.op})"
    if isinstance(expr, Quantifier):
        return f"({expr.path.text} {expr.op} |{expr.var}| {to_text(expr.body)})"
    if isinstance(expr, Logical):
        return "(" + f" {expr.op} ".join(to_text(item) for item in expr.items) + ")"
    raise TypeError(f"not a condition: {expr!r}")
