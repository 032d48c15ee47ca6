"""Parsing condition text into the tree, with lark (an Earley-free LALR parser, so it is fast)."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from lark import Lark, Token, Transformer, UnexpectedInput

from evalwheel_flow.conditions.ast import (
    Comparison,
    Expr,
    Literal,
    Logical,
    Path,
    Quantifier,
    Unary,
)


class ConditionSyntaxError(ValueError):
    def __init__(self, message: str, column: int | None = None) -> None:
        super().__init__(message)
        self.column = column


class _ToTree(Transformer):
    def path(self, items: list[Token]) -> Path:
        return Path(tuple(str(t) for t in items))

    def literal(self, items: list[Token]) -> Literal:
        token = items[0]
        if token.type == "STRING":
            body = str(token)[1:-1]
            return Literal(body.replace("\\'", "'").replace('\\"', '"').replace("\\\\", "\\"))
        if token.type == "TRUE":
            return Literal(True)
        if token.type == "FALSE":
            return Literal(False)
        if token.type == "NIL":
            return Literal(None)
        text = str(token)
        return Literal(int(text) if text.lstrip("-+").isdigit() else float(text))

    def comparison(self, items: list) -> Comparison:
        return Comparison(items[0], str(items[1]), items[2])

    def unary(self, items: list) -> Unary:
        return Unary(items[0], str(items[1]))

    def quantifier(self, items: list) -> Quantifier:
        return Quantifier(str(items[1]), items[0], str(items[2]), items[3])

    def and_expr(self, items: list) -> Logical:
        return Logical("&&", tuple(items))

    def or_expr(self, items: list) -> Logical:
        return Logical("||", tuple(items))


@cache
def _parser() -> Lark:
    grammar = (files("evalwheel_flow.conditions") / "grammar.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", transformer=_ToTree(), maybe_placeholders=False)


def parse(text: str) -> Expr:
    try:
        return _parser().parse(text)  # type: ignore[return-value]
    except UnexpectedInput as exc:
        column = getattr(exc, "column", None)
        if _mixes_connectives(text):
            raise ConditionSyntaxError(
                "&& and || are mixed at one level: group them with parentheses or use two condition steps",
                column,
            ) from None
        context = exc.get_context(text, span=20).splitlines()[0] if text else ""
        raise ConditionSyntaxError(
            f"syntax error at column {column}: ...{context.strip()}...", column
        ) from None


def _mixes_connectives(text: str) -> bool:
    depth_ops: dict[int, set[str]] = {}
    depth = 0
    quote = None
    i = 0
    while i < len(text):
        c = text[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = None
        elif c in "'\"":
            quote = c
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif text.startswith("&&", i) or text.startswith("||", i):
            depth_ops.setdefault(depth, set()).add(text[i : i + 2])
            i += 1
        i += 1
    return any(len(ops) > 1 for ops in depth_ops.values())
