"""Rendering report data as Markdown or as one self-contained HTML file (inline CSS and SVG charts,
no scripts, nothing fetched), with Jinja2."""

from __future__ import annotations

import difflib
import html
import json
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape


def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("evalwheel.report", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = lambda v: "–" if v is None else f"{100 * v:.1f}%"
    env.filters["tojson_pretty"] = lambda v: json.dumps(
        v, indent=2, ensure_ascii=False, sort_keys=True, default=str
    )
    return env


def interval_bars(rows: list[tuple[str, dict[str, Any]]], width: int = 640) -> str:
    """Horizontal bars with 95% interval whiskers, as inline SVG."""
    height = 22 * len(rows) + 10
    label_w, plot_w = 230, width - 290
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img">'
    ]
    for i, (label, est) in enumerate(rows):
        y = 8 + 22 * i
        parts.append(
            f'<text x="0" y="{y + 12}" font-size="12">{html.escape(label[:34])} (n={est["n"]})</text>'
        )
        if est["estimate"] is None:
            continue
        x0 = label_w
        parts.append(
            f'<rect x="{x0}" y="{y}" width="{plot_w * est["estimate"]:.1f}" height="14" fill="#6a9fd8"/>'
        )
        lo, hi = x0 + plot_w * est["ci_low"], x0 + plot_w * est["ci_high"]
        parts.append(
            f'<line x1="{lo:.1f}" x2="{hi:.1f}" y1="{y + 7}" y2="{y + 7}" stroke="#222" stroke-width="1.5"/>'
        )
        parts.append(
            f'<text x="{x0 + plot_w + 4}" y="{y + 12}" font-size="11">{100 * est["estimate"]:.0f}%</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def histogram(values: list[float], unit: str, bins: int = 12, width: int = 640) -> str:
    if not values:
        return "<p>no data</p>"
    lo, hi = min(values), max(values)
    span = (hi - lo) or 1.0
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, int((v - lo) / span * bins))] += 1
    top = max(counts)
    bar_w = (width - 20) / bins
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="150" role="img">']
    for i, c in enumerate(counts):
        h = 110 * c / top if top else 0
        parts.append(
            f'<rect x="{10 + i * bar_w:.1f}" y="{120 - h:.1f}" width="{bar_w - 2:.1f}" height="{h:.1f}" fill="#8fbf7f"/>'
        )
    parts.append(f'<text x="10" y="140" font-size="11">{lo:.3g} {unit}</text>')
    parts.append(f'<text x="{width - 90}" y="140" font-size="11">{hi:.3g} {unit}</text></svg>')
    return "".join(parts)


def reference_diff(reference: Any, artifact: Any) -> str:
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
        _env()
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
    return _env().get_template("report.md.j2").render(data=data, summary=data["summary"])
