"""Labels as integer codes: category order, missing ratings, pairs and triples of raters.

Every agreement statistic starts here, so that 1 and "1" are told apart the same way everywhere
and a label outside the declared categories is refused rather than silently dropped.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any, Literal, TypeAlias

import numpy as np

Labels: TypeAlias = Sequence[Any] | np.ndarray
Matrix: TypeAlias = Sequence[Sequence[Any]] | np.ndarray
Weights: TypeAlias = Literal["linear", "quadratic"] | None
Level: TypeAlias = Literal["nominal", "ordinal", "interval"]


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float | np.floating):
        return bool(np.isnan(value))
    return False


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool | np.bool_ | int | float | np.integer | np.floating):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _flat(ratings: Labels | Matrix | Iterable[Any]) -> list[Any]:
    if isinstance(ratings, np.ndarray):
        return ratings.ravel().tolist()
    out: list[Any] = []
    for value in ratings:
        if isinstance(value, list | tuple | np.ndarray):
            out.extend(_flat(value))
        else:
            out.append(value)
    return out


def infer_categories(ratings: Labels | Matrix | Iterable[Any]) -> list[Any]:
    """Numeric order when every label reads as a number ("10" after "9"), else sorted by text.

    Sorting, rather than order of first appearance, keeps the category order (and so confusion
    matrices and weighted statistics) independent of the order the rows arrive in. An ordinal
    scale of words ("low" < "mid" < "high") cannot be inferred; pass ``categories``.
    """
    if isinstance(ratings, np.ndarray) and ratings.dtype.kind in "biuf":
        values = ratings[~np.isnan(ratings)] if ratings.dtype.kind == "f" else ratings.ravel()
        return np.unique(values).tolist()
    seen = list(dict.fromkeys(v for v in _flat(ratings) if not _is_missing(v)))
    numbers = [_as_number(v) for v in seen]
    if seen and all(x is not None for x in numbers):
        order = sorted(range(len(seen)), key=lambda i: (numbers[i], str(seen[i])))
        return [seen[i] for i in order]
    return sorted(seen, key=str)


def encode(
    ratings: Labels | Matrix, categories: Sequence[Any] | None = None
) -> tuple[np.ndarray, list[Any]]:
    """Labels (a sequence, or an items × raters matrix) as integer codes, -1 for missing.

    Codes index ``categories``; labels are matched by equality, so 1 and "1" differ. A label
    outside given ``categories`` is an error rather than silently dropped, because dropping it
    would inflate agreement.
    """
    cats = infer_categories(ratings) if categories is None else list(categories)
    if len(set(map(_key, cats))) != len(cats):
        raise ValueError(f"categories must be distinct, got {cats!r}")
    if isinstance(ratings, np.ndarray) and ratings.dtype.kind in "biuf":
        numbers = [_as_number(c) for c in cats]
        if all(
            x is not None and not isinstance(c, str) for x, c in zip(numbers, cats, strict=True)
        ):
            return _encode_numeric(ratings, np.asarray(numbers, dtype=float), cats), cats
        ratings = ratings.astype(object)
    arr = _object_array(ratings)
    index = {_key(c): i for i, c in enumerate(cats)}
    codes = np.empty(arr.size, dtype=np.int64)
    for pos, value in enumerate(arr.ravel()):
        if _is_missing(value):
            codes[pos] = -1
            continue
        code = index.get(_key(value))
        if code is None:
            raise ValueError(f"label {value!r} is not one of the categories {cats!r}")
        codes[pos] = code
    return codes.reshape(arr.shape), cats


def _key(value: Any) -> Any:
    # numpy scalars hash like Python numbers, but numpy strings are kept as str keys.
    return value.item() if isinstance(value, np.generic) else value


def _encode_numeric(ratings: np.ndarray, values: np.ndarray, cats: list[Any]) -> np.ndarray:
    data = ratings.astype(float)
    missing = np.isnan(data)
    codes = np.full(data.shape, -1, dtype=np.int64)
    present = data[~missing]
    if present.size == 0:
        return codes
    if values.size == 0:
        raise ValueError(f"label {present[0]!r} is not one of the categories {cats!r}")
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    pos = np.clip(np.searchsorted(ordered, present), 0, values.size - 1)
    found = ordered[pos] == present
    if not found.all():
        raise ValueError(f"label {present[~found][0]!r} is not one of the categories {cats!r}")
    codes[~missing] = order[pos]
    return codes


def _object_array(ratings: Labels | Matrix) -> np.ndarray:
    if isinstance(ratings, np.ndarray):
        return ratings.astype(object)
    rows = list(ratings)
    if rows and any(isinstance(r, list | tuple | np.ndarray) for r in rows):
        widths = {len(r) for r in rows}
        if len(widths) != 1:
            raise ValueError(
                "every row of a ratings matrix needs one entry per rater (None where missing); "
                f"found rows of lengths {sorted(widths)}"
            )
        out = np.empty((len(rows), widths.pop()), dtype=object)
        for i, row in enumerate(rows):
            out[i, :] = list(row)
        return out
    out = np.empty(len(rows), dtype=object)
    out[:] = rows
    return out


def category_values(categories: Sequence[Any]) -> np.ndarray:
    """Numbers for the interval metric: each category's numeric value when every category reads
    as a number, else its position in ``categories`` (equal spacing is then an assumption)."""
    numbers = [_as_number(c) for c in categories]
    if all(x is not None for x in numbers):
        return np.asarray(numbers, dtype=float)
    return np.arange(len(categories), dtype=float)


def _pair(
    a: Labels, b: Labels, categories: Sequence[Any] | None
) -> tuple[np.ndarray, np.ndarray, list[Any]]:
    """Codes of the items both raters labelled."""
    if len(a) != len(b):
        raise ValueError(f"paired labels need the same length, got {len(a)} and {len(b)}")
    if categories is None:
        categories = _union_categories(a, b)
    ca, cats = encode(a, categories)
    cb, _ = encode(b, cats)
    keep = (ca >= 0) & (cb >= 0)
    return ca[keep], cb[keep], cats


def _union_categories(*seqs: Labels) -> list[Any]:
    if all(isinstance(s, np.ndarray) and s.dtype.kind in "biuf" for s in seqs):
        return infer_categories(np.concatenate([np.asarray(s).ravel() for s in seqs]))
    merged: list[Any] = []
    for s in seqs:
        merged.extend(_flat(s))
    return infer_categories(merged)


def _table(ca: np.ndarray, cb: np.ndarray, k: int) -> np.ndarray:
    return np.bincount(ca * k + cb, minlength=k * k).reshape(k, k)


def _triple(
    a: Labels, b: Labels, ref: Labels, categories: Sequence[Any] | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[Any]]:
    if not len(a) == len(b) == len(ref):
        raise ValueError(
            f"judges and reference need the same length, got {len(a)}, {len(b)}, {len(ref)}"
        )
    if categories is None:
        categories = _union_categories(a, b, ref)
    ca, cats = encode(a, categories)
    cb, _ = encode(b, cats)
    cr, _ = encode(ref, cats)
    keep = (ca >= 0) & (cb >= 0) & (cr >= 0)
    return ca[keep], cb[keep], cr[keep], cats
