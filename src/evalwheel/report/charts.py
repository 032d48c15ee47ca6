"""Charts as inline SVG, built here from escaped labels and finite numbers only.

They are the one markup that reaches a report page unescaped, so they are returned as
``markupsafe.Markup`` after escaping every label (slice and scorer names are data) and formatting
every coordinate from a number checked to be finite: a NaN, an infinity, ``None`` or a string in
the data gives a label without a bar, never text inside an attribute.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from markupsafe import Markup, escape

from evalwheel.stats.estimate import Estimate

__all__ = ["finite", "histogram", "interval_bars"]


def finite(value: object) -> float | None:
    """``value`` as a float when it is a finite number, else None: NaN, infinities, None, strings
    and booleans never reach a chart coordinate or a percentage."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _field(estimate: Estimate | Mapping[str, object], key: str) -> float | None:
    value = estimate.get(key) if isinstance(estimate, Mapping) else getattr(estimate, key, None)
    return finite(value)


def _unit(value: float) -> float:
    return min(1.0, max(0.0, value))


def interval_bars(
    rows: Sequence[tuple[str, Estimate | Mapping[str, object]]], width: int = 640
) -> Markup:
    """Horizontal bars with 95% interval whiskers and each row's n, as inline SVG."""
    height = 22 * len(rows) + 10
    label_w, plot_w = 230, width - 290
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{int(width)}" height="{int(height)}" role="img">'
    ]
    for i, (label, est) in enumerate(rows):
        y = 8 + 22 * i
        n = _field(est, "n")
        parts.append(
            f'<text x="0" y="{y + 12}" font-size="12">{escape(str(label)[:34])}'
            f" (n={'?' if n is None else int(n)})</text>"
        )
        estimate = _field(est, "estimate")
        if estimate is None:
            continue
        estimate = _unit(estimate)
        parts.append(
            f'<rect x="{label_w}" y="{y}" width="{plot_w * estimate:.1f}" height="14" fill="#6a9fd8"/>'
        )
        low, high = _field(est, "ci_low"), _field(est, "ci_high")
        if low is not None and high is not None:
            lo, hi = label_w + plot_w * _unit(low), label_w + plot_w * _unit(high)
            parts.append(
                f'<line x1="{lo:.1f}" x2="{hi:.1f}" y1="{y + 7}" y2="{y + 7}" stroke="#222" stroke-width="1.5"/>'
            )
        parts.append(
            f'<text x="{label_w + plot_w + 4}" y="{y + 12}" font-size="11">{100 * estimate:.0f}%</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def histogram(values: Sequence[object], unit: str, bins: int = 12, width: int = 640) -> Markup:
    """A histogram as inline SVG; values that are not finite numbers are left out."""
    numbers = [v for v in map(finite, values) if v is not None]
    if not numbers:
        return Markup("<p>no data</p>")
    lo, hi = min(numbers), max(numbers)
    span = (hi - lo) or 1.0
    counts = [0] * bins
    for v in numbers:
        counts[min(bins - 1, int((v - lo) / span * bins))] += 1
    top = max(counts)
    bar_w = (width - 20) / bins
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{int(width)}" height="150" role="img">'
    ]
    for i, c in enumerate(counts):
        h = 110 * c / top if top else 0
        parts.append(
            f'<rect x="{10 + i * bar_w:.1f}" y="{120 - h:.1f}" width="{bar_w - 2:.1f}" height="{h:.1f}" fill="#8fbf7f"/>'
        )
    parts.append(f'<text x="10" y="140" font-size="11">{lo:.3g} {escape(unit)}</text>')
    parts.append(
        f'<text x="{int(width) - 90}" y="140" font-size="11">{hi:.3g} {escape(unit)}</text></svg>'
    )
    return Markup("".join(parts))
