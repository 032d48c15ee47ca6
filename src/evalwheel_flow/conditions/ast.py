"""The condition tree. It mirrors the export format's tree (Comparison, Logical, Array) with unary
tests split out, so the printed text and the tree are two views of one thing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal as Lit

COMPARISON_OPS = ("==", "!=", ">", ">=", "<", "<=")
STRING_OPS = (
    "include?",
    "not_include?",
    "start_with?",
    "not_start_with?",
    "end_with?",
    "not_end_with?",
)
MEMBERSHIP_OPS = ("in?", "not_in?")
UNARY_OPS = ("empty_or_nil?", "not_empty_and_not_nil?", "nil?", "not_nil?")
QUANTIFIERS = ("any?", "all?", "none?")
BINARY_OPS = COMPARISON_OPS + STRING_OPS + MEMBERSHIP_OPS


@dataclass(frozen=True)
class Path:
    parts: tuple[str, ...]

    @property
    def text(self) -> str:
        return ".".join(self.parts)


@dataclass(frozen=True)
class Literal:
    value: str | int | float | bool | None


@dataclass(frozen=True)
class Comparison:
    lhs: Path
    op: str
    rhs: Literal


@dataclass(frozen=True)
class Unary:
    lhs: Path
    op: str


@dataclass(frozen=True)
class Quantifier:
    op: str
    path: Path
    var: str
    body: Expr


@dataclass(frozen=True)
class Logical:
    op: Lit["&&", "||"]
    items: tuple[Expr, ...]


Expr = Comparison | Unary | Quantifier | Logical


def atoms(expr: Expr) -> list[Comparison | Unary]:
    """Every leaf test, in order (inside quantifiers too)."""
    if isinstance(expr, (Comparison, Unary)):
        return [expr]
    if isinstance(expr, Quantifier):
        return atoms(expr.body)
    return [a for item in expr.items for a in atoms(item)]
