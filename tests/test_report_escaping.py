"""Reports treat every field of a run as text: a dataset, a model or an application that writes
markup into an id, an input, an output, an error, a judge's rationale or a scorer's details must
not put that markup into the HTML page (or into Markdown that a viewer renders as HTML).

The browser test builds the run through the real runner and store and opens the page in headless
Chromium; the unit tests check the raw text of both formats without a browser."""

from __future__ import annotations

import asyncio
import json
import math
import re
import shutil
import subprocess
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from markupsafe import Markup

from evalwheel.apps.interface import AppOutput, CheckResult
from evalwheel.core.example import Example
from evalwheel.core.judge import Judge
from evalwheel.core.system import System
from evalwheel.judges.prompt import instructions
from evalwheel.llm.client import ModelClient
from evalwheel.llm.registry import ModelSpec
from evalwheel.project import Project
from evalwheel.report.data import ItemScore, ReportData, ReportItem, report_data
from evalwheel.report.render import histogram, interval_bars, to_html, to_markdown
from evalwheel.runner.compare import Comparison, ComparisonBlock
from evalwheel.runner.results import RunSummary, ScorerSummary, SystemRef
from evalwheel.runner.runner import RunPlan, create_run, execute_run
from evalwheel.runner.scorers import registry
from evalwheel.stats.intervals import Estimate
from evalwheel.stats.paired import McNemar, PairedDifference
from evalwheel.store.datasets import DatasetRepository
from evalwheel.testing.openai_stub import StubServer
from tests.helpers import cli, write_jsonl

# What a script would do if it ran: the page title becomes "owned". The literal word never appears
# in the payloads themselves, so finding it in <title> means code executed.
JS = "document.title='own'+'ed'"
PAYLOADS = [
    f"<script>{JS}</script>",
    f'<img src=x onerror="{JS}">',
    f'"><svg onload="{JS}">',
    f"</pre><script>{JS}</script>",
    f'\'><iframe srcdoc="<script>{JS}</script>"></iframe>',
    "{{7*7}}",
    "[link](javascript:alert(1)) *em* `tick` | cell & more",
]
HOSTILE = " ".join(PAYLOADS)
SCORER = f"{PAYLOADS[0]}.pass"  # ends with .pass, so --vs compares on it
JUDGED = f"{PAYLOADS[1]} judge"
SYSTEM = f"{PAYLOADS[0]} {PAYLOADS[2]}"  # a system name fits its 128-character column
# Elements and attributes the report itself never uses; any of them in the DOM was injected.
FORBIDDEN_TAGS = {"script", "img", "iframe", "object", "embed", "a", "em", "base", "form", "input"}


class HostileApp:
    """A fake application whose every output field is hostile; one item crashes with an
    exception whose class name is hostile too (so the failure category is)."""

    name = "hostile"

    def example_datasets(self) -> list[Any]:
        return []

    def field_maps(self) -> dict[str, dict[str, str]]:
        return {}

    async def run(self, example: Example, client: ModelClient, params: dict) -> AppOutput:
        if "crash" in str(example.input):
            raise type(PAYLOADS[1], (RuntimeError,), {})(HOSTILE)
        return AppOutput(outcome="answer", artifact={"html": HOSTILE, "list": PAYLOADS})

    def check(self, example: Example, output: AppOutput) -> list[CheckResult]:
        return [
            CheckResult(
                scorer=SCORER,
                passed=False,
                details={"counterexample": {"event": HOSTILE}, "note": HOSTILE},
            ),
            CheckResult(
                scorer=JUDGED,
                passed=True,
                details={
                    "judge_label": HOSTILE,
                    "rationale": HOSTILE,
                    "judge_error": HOSTILE,
                    "decided_by": HOSTILE,
                },
            ),
        ]

    def render(self, example: Example, output: AppOutput) -> str:
        return f"rendered: {HOSTILE}\n{output.artifact}"

    def same(self, a: AppOutput, b: AppOutput) -> bool:
        return a.artifact == b.artifact

    def ideal_trajectory(self, request: Any, artifact: Any) -> list[Any]:
        return []


@pytest.fixture
def stub() -> Iterator[StubServer]:
    server = StubServer()
    server.__enter__()
    yield server
    server.__exit__(None, None, None)


class _Dom(HTMLParser):
    """Tags, attribute names, classes and visible text of a serialised DOM."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.classes: list[tuple[str, str | None]] = []
        self.attributes: set[str] = set()
        self.text: list[str] = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.classes.append((tag, dict(attrs).get("class")))
        self.attributes.update(name for name, _ in attrs)
        self._in_title = tag == "title"

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._in_title:
            self.title += data


def _hostile_run(project: Project, stub: StubServer, tmp_path: Path) -> ReportData:
    """Report data for a run on a hostile dataset, compared against a baseline run."""
    rows = [
        {
            "id": f"{payload} #{i}",
            "input": f"crash {HOSTILE}" if i == 2 else HOSTILE,
            "reference": {"html": PAYLOADS[i % len(PAYLOADS)]},
            "tags": [payload, HOSTILE],
        }
        for i, payload in enumerate(PAYLOADS)
    ]
    cli(
        "dataset",
        "import",
        write_jsonl(tmp_path / "d.jsonl", rows),
        "-n",
        "hostile",
        "-k",
        "benchmark",
    )
    store = project.open_store()
    version = DatasetRepository(store).resolve("hostile")
    spec = ModelSpec(name="stub", base_url=stub.url, model="m", max_retries=0)
    runs = []
    for name in ("baseline", SYSTEM):
        run_id = create_run(
            store,
            System(name=name, app="hostile", model="stub"),
            RunPlan(
                dataset=f"hostile@{version.version_id}",
                version_id=version.version_id,
                app="hostile",
                scorers=["exact_match"],
            ),
        )

        async def go(run_id: str = run_id) -> None:
            async with ModelClient(spec, store=store) as client:
                await execute_run(store, run_id, HostileApp(), client, registry())

        asyncio.run(go())
        runs.append(run_id)
    data = report_data(store, runs[1], HostileApp(), vs=runs[0])
    store.close()
    assert data.comparison is not None and data.comparison.scorer == SCORER
    assert len(data.items) == len(PAYLOADS)
    # Dataset names are refused unless they match NAME_PATTERN and splits come from the plan, so
    # the store cannot hold hostile ones today; the renderer must not rely on that.
    data.summary.dataset = f"{PAYLOADS[2]}@v1"
    data.summary.split = PAYLOADS[3]
    return data


def _assert_raw_is_escaped(page: str, markdown: str) -> None:
    for raw in (page, markdown):
        assert "&lt;script&gt;" in raw
        for needle in ("<script", "<img", "<iframe", "<svg onload", "</pre><script"):
            assert needle not in raw
    assert page.count("<svg") == page.count('<svg xmlns="http://www.w3.org/2000/svg" width=')


def _chromium() -> str:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip(
            "Debian's chromium is not installed (apt-get install chromium; .ci/run installs it)"
        )
    return chromium


@pytest.mark.slow
def test_hostile_run_report_executes_nothing_in_headless_chromium(
    project: Project, stub: StubServer, tmp_path: Path
) -> None:
    chromium = _chromium()
    data = _hostile_run(project, stub, tmp_path)
    run_id = data.summary.run_id
    html_text = to_html(data)
    page = tmp_path / "report.html"
    page.write_text(html_text, encoding="utf-8")
    result = subprocess.run(
        [
            chromium,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=3000",  # let onerror/onload handlers fire before the dump
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    dom = _Dom()
    dom.feed(result.stdout)
    # Nothing ran: the title is the report's, and nothing logged (a CSP refusal would).
    assert dom.title == f"evalwheel report {run_id}"
    console = [
        line for line in result.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line
    ]
    assert console == []
    # Nothing was injected: no element or handler the report does not write itself.
    assert not FORBIDDEN_TAGS & set(dom.tags), sorted(FORBIDDEN_TAGS & set(dom.tags))
    assert not {a for a in dom.attributes if a.startswith("on") or a == "srcdoc"}
    assert dom.tags.count("svg") == html_text.count('<svg xmlns="http://www.w3.org/2000/svg"')
    assert [c for t, c in dom.classes if t == "details" and c == "item"] == ["item"] * len(PAYLOADS)
    # And the hostile text is on the page as text, in every place it was put.
    text = "".join(dom.text)
    for payload in PAYLOADS:
        assert payload in text, payload
    assert f"{PAYLOADS[0]} #0: {HOSTILE[:100]}" in text  # item id and input (cut to 100)
    assert f"rendered: {HOSTILE}" in text  # what the application rendered of the output
    assert f'+ "html": {json.dumps(HOSTILE)},' in text  # the diff of output against reference
    assert json.dumps({"event": HOSTILE}, indent=2, ensure_ascii=False) in text  # counterexample
    assert f"System {SYSTEM} (" in text  # system name
    assert f"Error: {PAYLOADS[1]}: {HOSTILE}" in text  # error
    assert f"{JUDGED}: {HOSTILE}: {HOSTILE} (judge error: {HOSTILE}) [{HOSTILE}]" in text
    assert f"{PAYLOADS[2]}@v1" in text and f"split {PAYLOADS[3]}" in text
    assert f"error: {PAYLOADS[1]}" in text  # failure category from the exception's class name
    assert f"{PAYLOADS[0][:34]} (n=" in text  # a slice label, cut to fit the chart
    assert f"Against {data.comparison.a}" in text and SCORER in text
    assert f"{PAYLOADS[0]} (0/1)" in text  # a one-item slice, folded and listed as text
    _assert_raw_is_escaped(html_text, to_markdown(data))


def _estimate(value: float | None, n: int) -> Estimate:
    return Estimate(estimate=value, ci_low=value, ci_high=value, n=n, method="test")


def _block(a: float | None, b: float | None, n: int) -> ComparisonBlock:
    return ComparisonBlock(
        n=n,
        pass_rate_a=a,
        pass_rate_b=b,
        mcnemar=McNemar(n=n, only_a=0, only_b=0, both=0, neither=n, p_value=None),
        paired_bootstrap=PairedDifference(n=n, difference=None, ci_low=None, ci_high=None),
    )


def _hostile_data() -> ReportData:
    """Report data, as ``report_data`` makes it, with markup in every string."""
    return ReportData(
        summary=RunSummary(
            run_id=f"run-{PAYLOADS[0]}",
            status=PAYLOADS[1],
            system=SystemRef(name=HOSTILE, version=PAYLOADS[2]),
            dataset=f"{PAYLOADS[3]}@v1",
            split=PAYLOADS[4],
            repeat=2,
            planned=1,
            done=1,
            errors=1,
            headline=SCORER,
            scorers={
                SCORER: ScorerSummary(
                    pass_rate=_estimate(0.5, 2),
                    not_scored=1,
                    mean=Estimate(estimate=0.5, ci_low=0.1, ci_high=0.9, n=2, method="bootstrap"),
                    pass_hat_k={1: _estimate(0.5, 2), 2: _estimate(0.25, 2)},
                    slices={
                        HOSTILE: _estimate(0.5, 6),
                        PAYLOADS[1]: _estimate(None, 1),
                        PAYLOADS[5]: _estimate(1.0, 1),
                    },
                )
            },
        ),
        comparison=Comparison(
            a=f"run-{PAYLOADS[2]}",
            b=f"run-{PAYLOADS[0]}",
            scorer=SCORER,
            shared_items=6,
            only_in_a=0,
            only_in_b=0,
            overall=_block(0.0, 0.5, 6),
            improvements=[HOSTILE],
            slices={HOSTILE: _block(0.0, 0.5, 6), PAYLOADS[1]: _block(0.0, 1.0, 1)},
        ),
        failure_categories={HOSTILE: 1, f"error: {PAYLOADS[1]}": 1},
        cost_usd=[0.0, 0.25],
        latency_s=[1.5],
        items=[
            ReportItem(
                id=HOSTILE,
                repetition=0,
                error=HOSTILE,
                input={"text": HOSTILE},
                tags=[HOSTILE],
                reference={"html": HOSTILE},
                artifact=HOSTILE,
                rendered=HOSTILE,
                passed=False,
                scores=[
                    ItemScore(
                        scorer=SCORER,
                        passed=False,
                        details={
                            "counterexample": {"event": HOSTILE},
                            "judge_label": HOSTILE,
                            "rationale": HOSTILE,
                            "judge_error": HOSTILE,
                            "decided_by": HOSTILE,
                        },
                    )
                ],
                cost_usd=0.25,
                latency_s=1.5,
            )
        ],
    )


def test_report_text_is_escaped_in_html_and_markdown() -> None:
    data = _hostile_data()
    page, markdown = to_html(data), to_markdown(data)
    _assert_raw_is_escaped(page, markdown)
    assert "{{7*7}}" in page  # data is never compiled as a template
    assert "&lt;/pre&gt;&lt;script&gt;" in page and "&#34;&gt;&lt;svg onload=" in page
    assert "content=\"default-src 'none'" in page  # no script could run even if one slipped in
    # Markdown: entities for <, >, &; backslashes before what would start code, emphasis, a link
    # or a table cell; so the payloads render as text in a pull-request comment too.
    assert "&lt;img src=x onerror=" in markdown and "&amp; more" in markdown
    assert r"\[link\](javascript:alert(1)) \*em\* \`tick\` \| cell" in markdown
    assert f"run-{PAYLOADS[0]}" not in markdown and "`run-" not in markdown
    rows = [line for line in markdown.splitlines() if line.startswith("| &lt;script&gt;")]
    assert rows and all(len(re.findall(r"(?<!\\)\|", row)) == 5 for row in rows)  # four cells


def test_markdown_keeps_plain_identifiers_in_code_spans() -> None:
    data = _hostile_data()
    data.summary.run_id, data.summary.dataset = "run-20260101-000000-abc123", "bench@v1"
    data.summary.split = "test"
    data.summary.system = SystemRef(name="flow-local", version="0123456789abcdef")
    assert data.comparison is not None
    data.comparison.a = "run-20251231-000000-def456"
    markdown = to_markdown(data)
    assert "## evalwheel run `run-20260101-000000-abc123`" in markdown
    assert "System **flow-local** (`0123456789ab`) on `bench@v1` (test)" in markdown
    assert "Against `run-20251231-000000-def456`" in markdown


def test_charts_are_built_escaped_and_survive_missing_numbers() -> None:
    bars = interval_bars(
        [
            (PAYLOADS[0], _estimate(float("nan"), 3)),
            (PAYLOADS[1], {"estimate": 0.4, "ci_low": None, "ci_high": math.inf, "n": None}),
            ("ok", _estimate(1.7, 2)),
        ]
    )
    hist = histogram([float("nan"), math.inf, 1.0, 3.0], unit=PAYLOADS[2])
    for svg in (bars, hist):
        assert isinstance(svg, Markup)  # marked safe where it is built, not in the template
        assert "nan" not in svg.lower() and "inf" not in svg.lower()
        assert "<script" not in svg and "<img" not in svg and "<svg onload" not in svg
    assert "&lt;script&gt;" in bars and "(n=?)" in bars
    assert 'width="350.0"' in bars and 'width="595.0"' not in bars  # 1.7 is drawn as 100%
    assert histogram([float("nan")], "s") == "<p>no data</p>"
    # The same through a whole report: no chart coordinate or percentage reads "nan".
    data = _hostile_data()
    data.summary.scorers[SCORER].slices[HOSTILE] = _estimate(float("nan"), 6)
    assert data.comparison is not None
    data.comparison.overall.pass_rate_a = float("nan")
    data.comparison.slices[HOSTILE].pass_rate_b = float("nan")
    data.cost_usd, data.latency_s = [0.0, float("nan"), math.inf], [float("nan")]
    page, markdown = to_html(data), to_markdown(data)
    assert "nan" not in page.lower() and "nan" not in markdown.lower()


def test_judge_prompts_are_text_not_html() -> None:
    """Judge prompt templates render text for a model: nothing in them is HTML-escaped."""
    judge = Judge(
        name="j",
        model="m",
        rubric="Is it <b>valid</b> & 'safe'?",
        criteria=('uses "quotes" & <tags>',),
    )
    text = instructions(judge)
    assert "Is it <b>valid</b> & 'safe'?" in text and '1. uses "quotes" & <tags>' in text
    assert "&lt;" not in text and "&amp;" not in text and "&#39;" not in text
