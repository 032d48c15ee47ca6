"""Checking a condition against the data the trigger provides: paths exist, operators suit the
field's type, literals have the field's type (and enum literals are allowed values)."""

from __future__ import annotations

from evalwheel_flow.catalog.catalog import Catalog, FieldType, PathError
from evalwheel_flow.conditions.ast import (
    COMPARISON_OPS,
    MEMBERSHIP_OPS,
    STRING_OPS,
    Comparison,
    Expr,
    Logical,
    Quantifier,
    Unary,
)


def check(expr: Expr, catalog: Catalog, scope: dict[str, FieldType]) -> list[str]:
    problems: list[str] = []
    _check(expr, catalog, scope, problems)
    return problems


def _check(expr: Expr, catalog: Catalog, scope: dict[str, FieldType], problems: list[str]) -> None:
    if isinstance(expr, Logical):
        for item in expr.items:
            _check(item, catalog, scope, problems)
        return
    path = expr.path if isinstance(expr, Quantifier) else expr.lhs
    try:
        type_ = catalog.resolve(scope, path.text)
    except PathError as exc:
        problems.append(f"{path.text}: {exc}")
        return
    if isinstance(expr, Quantifier):
        if type_.kind != "list" or type_.item is None:
            problems.append(f"{path.text} is {type_}, not a list: {expr.op} needs a list")
            return
        _check(expr.body, catalog, {**scope, expr.var: type_.item}, problems)
        return
    if isinstance(expr, Unary):
        if expr.op in ("empty_or_nil?", "not_empty_and_not_nil?") and not (
            type_.kind == "list" or (type_.kind == "scalar" and type_.name in ("String", "ID"))
        ):
            problems.append(
                f"{path.text} is {type_}: {expr.op} is for strings and lists (use nil?/not_nil?)"
            )
        return
    _check_comparison(expr, type_, problems)


def _check_comparison(expr: Comparison, type_: FieldType, problems: list[str]) -> None:
    path, op, value = expr.lhs.text, expr.op, expr.rhs.value
    if type_.kind == "list":
        hint = (
            " (membership in a list needs any? with ==)"
            if op in STRING_OPS + MEMBERSHIP_OPS + ("==",)
            else ""
        )
        problems.append(f"{path} is a list {type_}: {op} compares single values{hint}")
        return
    if type_.kind == "object":
        problems.append(f"{path} is an object ({type_}): compare one of its fields")
        return
    if op in STRING_OPS and not (type_.kind == "scalar" and type_.name in ("String", "ID")):
        problems.append(f"{path} is {type_}: {op} is for strings")
        return
    if op in (">", ">=", "<", "<=") and not (type_.is_numeric or type_.name == "Date"):
        problems.append(f"{path} is {type_}: {op} needs a number or a date")
        return
    if value is None:
        if op not in ("==", "!="):
            problems.append(f"{path}: nil can only be compared with == or !=")
        return
    if type_.kind == "enum":
        if not isinstance(value, str):
            problems.append(f"{path} is {type_}: compare with a quoted value")
            return
        allowed = {v.lower() for v in type_.values}
        members = [m.strip() for m in value.split(",")] if op in MEMBERSHIP_OPS else [value]
        bad = [m for m in members if m.lower() not in allowed]
        if bad:
            problems.append(
                f"{path}: {', '.join(repr(b) for b in bad)} not among {', '.join(type_.values)}"
            )
        return
    if type_.is_numeric and op in COMPARISON_OPS and (isinstance(value, (bool, str))):
        problems.append(f"{path} is {type_.name}: compare with a number, not {value!r}")
    elif type_.name == "Boolean" and not isinstance(value, bool):
        problems.append(f"{path} is Boolean: compare with true or false, not {value!r}")
    elif type_.name in ("String", "ID", "Date") and not isinstance(value, str):
        problems.append(f"{path} is {type_.name}: compare with a quoted string, not {value!r}")
