"""Rendering report data as Markdown or as one self-contained HTML file (inline CSS and SVG charts,
no scripts, nothing fetched), with Jinja2.

Everything in a report is untrusted: item ids, inputs, model output, errors, judge rationales,
tags, scorer names and details all come from datasets, models or applications. The HTML
environment therefore escapes every interpolation unconditionally (``autoescape=True``, not a
choice by file extension, which once silently matched nothing for ``report.html.j2``). The only
markup that reaches a page unescaped is what this module builds itself (the SVG charts), returned
as ``markupsafe.Markup`` after escaping each value that goes into it. Markdown gets its own
environment; see ``_md_text`` for what it escapes and why.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from typing import Any

from jinja2 import Environment, PackageLoader
from markupsafe import Markup, escape


def _pct(value: Any) -> str:
    """A fraction as a percentage; a dash for a missing or non-finite value."""
    number = _finite(value)
    return "–" if number is None else f"{100 * number:.1f}%"


def _tojson_pretty(value: Any) -> str:
    """Indented JSON text; it is escaped like any other value by the environment it is used in."""
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)


def _finite(value: Any) -> float | None:
    """``value`` as a float when it is a finite number, else None: NaN, infinities, None, strings
    and booleans never reach a chart coordinate or a percentage."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _html_env() -> Environment:
    """The environment for HTML templates: autoescape is on for every template it loads."""
    env = Environment(
        loader=PackageLoader("evalwheel.report", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = _pct
    env.filters["tojson_pretty"] = _tojson_pretty
    return env


class _Markdown(str):
    """Markdown this module built from escaped parts; ``_md_text`` passes it through unchanged."""


_MD_PUNCTUATION = re.compile(r"([\\`*_\[\]|~])")
_MD_CODE_SAFE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@:\-]*")


def _md_text(value: Any) -> str:
    """Every ``{{ … }}`` in the Markdown template, as literal text.

    Markdown reports are pasted into pull requests and rendered to HTML by viewers that pass raw
    HTML through (some sanitise, some do not), so data must not become markup there either:
    ``&``, ``<`` and ``>`` become entities (Markdown renders them back as the characters, and
    entities are the one form every renderer treats as text); the punctuation that starts code,
    emphasis, links, strikethrough or a table cell (``\\ ` * _ [ ] | ~``) is backslash-escaped;
    line breaks become spaces so that a value can neither end a table row nor start a block.
    """
    if isinstance(value, _Markdown):
        return str(value)
    text = str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_PUNCTUATION.sub(r"\\\1", text)
    return re.sub(r"[\r\n]+", " ", text)


def _md_code(value: Any) -> _Markdown:
    """An identifier as a code span when it is plainly one (run ids, versions, ``name@version``);
    anything else as escaped text, because entities are not decoded inside code spans and a
    backtick in the value could close the span early."""
    text = str(value)
    if _MD_CODE_SAFE.fullmatch(text):
        return _Markdown(f"`{text}`")
    return _Markdown(_md_text(text))


def _md_env() -> Environment:
    """The environment for the Markdown template: no HTML autoescape (it would write ``&#39;``
    for every apostrophe in prose), but ``_md_text`` on every interpolation instead."""
    env = Environment(
        loader=PackageLoader("evalwheel.report", "templates"),
        autoescape=False,
        finalize=_md_text,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = _pct
    env.filters["code"] = _md_code
    return env


def interval_bars(rows: list[tuple[str, dict[str, Any]]], width: int = 640) -> Markup:
    """Horizontal bars with 95% interval whiskers, as inline SVG.

    Labels (scorer and slice names: data) are escaped; every coordinate is a number formatted
    here, and a row without a finite estimate gets its label only."""
    height = 22 * len(rows) + 10
    label_w, plot_w = 230, width - 290
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{int(width)}" height="{int(height)}" role="img">'
    ]
    for i, (label, est) in enumerate(rows):
        y = 8 + 22 * i
        n = _finite(est.get("n"))
        parts.append(
            f'<text x="0" y="{y + 12}" font-size="12">{escape(str(label)[:34])}'
            f" (n={'?' if n is None else int(n)})</text>"
        )
        estimate = _finite(est.get("estimate"))
        if estimate is None:
            continue
        estimate = min(1.0, max(0.0, estimate))
        x0 = label_w
        parts.append(
            f'<rect x="{x0}" y="{y}" width="{plot_w * estimate:.1f}" height="14" fill="#6a9fd8"/>'
        )
        low, high = _finite(est.get("ci_low")), _finite(est.get("ci_high"))
        if low is not None and high is not None:
            lo = x0 + plot_w * min(1.0, max(0.0, low))
            hi = x0 + plot_w * min(1.0, max(0.0, high))
            parts.append(
                f'<line x1="{lo:.1f}" x2="{hi:.1f}" y1="{y + 7}" y2="{y + 7}" stroke="#222" stroke-width="1.5"/>'
            )
        parts.append(
            f'<text x="{x0 + plot_w + 4}" y="{y + 12}" font-size="11">{100 * estimate:.0f}%</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def histogram(values: list[float], unit: str, bins: int = 12, width: int = 640) -> Markup:
    """A histogram as inline SVG; values that are not finite numbers are left out."""
    finite = [v for v in map(_finite, values) if v is not None]
    if not finite:
        return Markup("<p>no data</p>")
    lo, hi = min(finite), max(finite)
    span = (hi - lo) or 1.0
    counts = [0] * bins
    for v in finite:
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


def reference_diff(reference: Any, artifact: Any) -> str:
    """A unified diff of the reference against the artifact, as plain text (escaped when shown)."""
    if reference is None:
        return ""
    a = json.dumps(reference, indent=1, sort_keys=True, default=str).splitlines()
    b = json.dumps(artifact, indent=1, sort_keys=True, default=str).splitlines()
    return "\n".join(difflib.unified_diff(a, b, "reference", "produced", lineterm="", n=2))


def to_html(data: dict[str, Any]) -> str:
    summary = data["summary"]
    charts = {}
    for name, entry in summary["scorers"].items():
        if not entry["pass_rate"]["n"]:
            continue
        rows = [("all", entry["pass_rate"]), *entry["slices"].items()]
        charts[name] = interval_bars(rows[:40])
    for item in data["items"]:
        item["diff"] = reference_diff(item["reference"], item["artifact"])
        item["counterexample"] = next(
            (
                s["details"].get("counterexample")
                for s in item["scores"]
                if isinstance(s.get("details"), dict) and s["details"].get("counterexample")
            ),
            None,
        )
    return (
        _html_env()
        .get_template("report.html.j2")
        .render(
            data=data,
            summary=summary,
            charts=charts,
            cost_chart=histogram(data["cost_usd"], "USD"),
            latency_chart=histogram(data["latency_s"], "s"),
        )
    )


def to_markdown(data: dict[str, Any]) -> str:
    return _md_env().get_template("report.md.j2").render(data=data, summary=data["summary"])
