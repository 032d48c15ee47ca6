"""Flow's condition mini-language: parse, print, type-check and evaluate."""

from evalwheel_flow.conditions.ast import (
    Comparison,
    Expr,
    Literal,
    Logical,
    Path,
    Quantifier,
    Unary,
)
from evalwheel_flow.conditions.parser import ConditionSyntaxError, parse
from evalwheel_flow.conditions.printer import to_text

__all__ = [
    "Comparison",
    "ConditionSyntaxError",
    "Expr",
    "Literal",
    "Logical",
    "Path",
    "Quantifier",
    "Unary",
    "parse",
    "to_text",
]
