"""Rendering report data as Markdown, as one self-contained HTML file (inline CSS and SVG charts,
no scripts, nothing fetched), or as JSON, with Jinja2.

Both text formats say the same things in the same order as the terminal (``cli/run_text``): the
headline scorer's pass rate with its interval, errors and cost first; every scorer with pass^k,
the judge-corrected rate and means; the headline's slices that differ most (small ones folded,
see ``views``); the comparison overall and per slice; then failures, cost, latency and items.

Everything in a report is untrusted: item ids, inputs, model output, errors, judge rationales,
tags, scorer names and details all come from datasets, models or applications. The HTML
environment therefore escapes every interpolation unconditionally (``autoescape=True``, not a
choice by file extension, which once silently matched nothing for ``report.html.j2``). The only
markup that reaches a page unescaped is what ``charts`` builds (the SVG charts), returned as
``markupsafe.Markup`` after escaping each value that goes into it. Markdown gets its own
environment; see ``_md_text`` for what it escapes and why.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from jinja2 import Environment, PackageLoader

from evalwheel.stats.estimate import Estimate
from evalwheel.stats.paired import PairedDifference

from .charts import finite, histogram, interval_bars
from .data import ReportData
from .views import MAX_SLICES, MIN_SLICE_N

__all__ = [
    "histogram",
    "html_environment",
    "interval_bars",
    "markdown_environment",
    "to_html",
    "to_json",
    "to_markdown",
]


def _pct(value: object) -> str:
    """A fraction as a percentage; a dash for a missing or non-finite value."""
    number = finite(value)
    return "–" if number is None else f"{100 * number:.1f}%"


def _pp(value: object) -> str:
    """A difference of two fractions in percentage points, signed; a dash when not a number."""
    number = finite(value)
    return "–" if number is None else f"{100 * number:+.1f} pp"


def _num(value: object, digits: int = 3) -> str:
    """A number with ``digits`` decimals; a dash for a missing or non-finite value."""
    number = finite(value)
    return "–" if number is None else f"{number:.{digits}f}"


def _pvalue(value: object) -> str:
    """A p-value, or n/a when there was nothing to test (no discordant pairs)."""
    number = finite(value)
    return "n/a" if number is None else f"{number:.4f}"


def _usd(value: object) -> str:
    """Dollars to the micro-dollar (local models cost fractions of a cent)."""
    number = finite(value)
    return "–" if number is None else f"${number:.6f}"


def _passed_of(estimate: Estimate) -> str:
    """``3/4``: the passes behind a small slice's rate, which say more than a 75% would."""
    rate = finite(estimate.estimate)
    return f"n={estimate.n}" if rate is None else f"{round(rate * estimate.n)}/{estimate.n}"


def _difference(difference: PairedDifference) -> str:
    """B − A with its paired-bootstrap interval, in percentage points; n/a when not measured."""
    value = finite(difference.difference)
    if value is None:
        return "n/a"
    low, high = finite(difference.ci_low), finite(difference.ci_high)
    if low is None or high is None:
        return _pp(value)
    return f"{_pp(value)} (95% CI {100 * low:+.1f} to {100 * high:+.1f})"


def _tojson_pretty(value: Any) -> str:
    """Indented JSON text; it is escaped like any other value by the environment it is used in."""
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)


_FILTERS: dict[str, Callable[..., str]] = {
    "pct": _pct,
    "pp": _pp,
    "num": _num,
    "pvalue": _pvalue,
    "usd": _usd,
    "passed_of": _passed_of,
    "difference": _difference,
}


def _env(**options: Any) -> Environment:
    env = Environment(
        loader=PackageLoader("evalwheel.report", "templates"),
        trim_blocks=True,
        lstrip_blocks=True,
        **options,
    )
    env.filters.update(_FILTERS)
    env.globals.update(MIN_SLICE_N=MIN_SLICE_N, MAX_SLICES=MAX_SLICES)
    return env


def html_environment() -> Environment:
    """The environment for every HTML report (runs, mirrors): autoescape is on for every template
    it loads."""
    env = _env(autoescape=True)
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


def markdown_environment() -> Environment:
    """The environment for every Markdown report: no HTML autoescape (it would write ``&#39;``
    for every apostrophe in prose), but ``_md_text`` on every interpolation instead."""
    env = _env(autoescape=False, finalize=_md_text)
    env.filters["code"] = _md_code
    return env


def to_html(data: ReportData) -> str:
    """The report as one self-contained HTML page."""
    view = data.slices()
    chart = (
        interval_bars([("all", view.overall), *((r.name, r.estimate) for r in view.shown)])
        if view is not None and view.shown
        else None
    )
    return (
        html_environment()
        .get_template("report.html.j2")
        .render(
            data=data,
            summary=data.summary,
            head=data.headline(),
            slices=view,
            slice_chart=chart,
            cmp=data.comparison,
            cmp_slices=data.comparison_slices(),
            cost_chart=histogram(data.cost_usd, "USD"),
            latency_chart=histogram(data.latency_s, "s"),
        )
    )


def to_markdown(data: ReportData) -> str:
    """The report as Markdown for a pull-request comment (no items: they are in the HTML)."""
    return (
        markdown_environment()
        .get_template("report.md.j2")
        .render(
            data=data,
            summary=data.summary,
            head=data.headline(),
            slices=data.slices(),
            cmp=data.comparison,
            cmp_slices=data.comparison_slices(),
        )
    )


def to_json(data: ReportData) -> str:
    """The report's data as JSON (non-finite numbers as null)."""
    return data.model_dump_json(indent=2)
