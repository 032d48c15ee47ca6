"""The condition as the export format stores it: a tree of Comparison, Logical and Array nodes
whose leaves are environment paths and literals. ``from_export_tree(to_export_tree(e)) == e``.

    {"type": "Comparison", "operator": ">", "lhs": {"type": "EnvironmentPath", "path": "order.x"},
     "rhs": {"type": "Literal", "value": 200}}
    {"type": "Logical", "operator": "AND" | "OR", "conditions": [...]}
    {"type": "Array", "operator": "ANY" | "ALL" | "NONE", "path": {...}, "item_key": "li", "condition": {...}}

Unary tests are Comparisons without a right-hand side.
"""

from __future__ import annotations

from typing import Any

from evalwheel_flow.conditions.ast import (
    Comparison,
    Expr,
    Literal,
    Logical,
    Path,
    Quantifier,
    Unary,
)

_LOGICAL = {"&&": "AND", "||": "OR"}
_ARRAY = {"any?": "ANY", "all?": "ALL", "none?": "NONE"}


def _path(path: Path) -> dict[str, Any]:
    return {"type": "EnvironmentPath", "path": path.text}


def to_export_tree(expr: Expr) -> dict[str, Any]:
    if isinstance(expr, Comparison):
        return {
            "type": "Comparison",
            "operator": expr.op,
            "lhs": _path(expr.lhs),
            "rhs": {"type": "Literal", "value": expr.rhs.value},
        }
    if isinstance(expr, Unary):
        return {"type": "Comparison", "operator": expr.op, "lhs": _path(expr.lhs), "rhs": None}
    if isinstance(expr, Quantifier):
        return {
            "type": "Array",
            "operator": _ARRAY[expr.op],
            "path": _path(expr.path),
            "item_key": expr.var,
            "condition": to_export_tree(expr.body),
        }
    return {
        "type": "Logical",
        "operator": _LOGICAL[expr.op],
        "conditions": [to_export_tree(i) for i in expr.items],
    }


def from_export_tree(node: dict[str, Any]) -> Expr:
    kind = node.get("type")
    if kind == "Comparison":
        lhs = Path(tuple(node["lhs"]["path"].split(".")))
        if node.get("rhs") is None:
            return Unary(lhs, node["operator"])
        return Comparison(lhs, node["operator"], Literal(node["rhs"]["value"]))
    if kind == "Array":
        op = {v: k for k, v in _ARRAY.items()}[node["operator"]]
        return Quantifier(
            op,
            Path(tuple(node["path"]["path"].split("."))),
            node["item_key"],
            from_export_tree(node["condition"]),
        )
    if kind == "Logical":
        op = {v: k for k, v in _LOGICAL.items()}[node["operator"]]
        return Logical(op, tuple(from_export_tree(c) for c in node["conditions"]))  # type: ignore[arg-type]
    raise ValueError(f"not a condition node: {kind!r}")
