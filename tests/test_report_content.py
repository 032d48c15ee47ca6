"""What the HTML and Markdown reports say, on runs made by the real runner and store: the headline
first, pass^k for repeated runs, small slices folded instead of drawn, and the comparison with a
baseline per slice as well as overall (the JSON had all of this before the reports did)."""

from __future__ import annotations

import asyncio
import html
import re
from collections import Counter
from pathlib import Path

from evalwheel.apps.interface import AppOutput, CheckResult
from evalwheel.core.example import Example
from evalwheel.core.system import System
from evalwheel.llm.client import ModelClient
from evalwheel.llm.registry import ModelSpec
from evalwheel.project import Project
from evalwheel.report.data import report_data
from evalwheel.report.render import to_html, to_markdown
from evalwheel.runner.runner import RunPlan, create_run, execute_run
from evalwheel.runner.scorers import registry
from evalwheel.store.datasets import DatasetRepository
from evalwheel.store.db import Store
from tests.helpers import cli, write_jsonl

# Never called: the application below answers without a model.
SPEC = ModelSpec(name="none", base_url="http://127.0.0.1:9/v1", model="m", max_retries=0)


class CoinApp:
    """Passes an item when its input says "pass"; an input with "flaky" passes on its first try
    only, so a repeated run has pass^2 below its pass rate; "fixed" fails unless the app is the
    candidate."""

    name = "coin"

    def __init__(self, candidate: bool = False) -> None:
        self.candidate = candidate
        self.tries: Counter[str] = Counter()

    def example_datasets(self) -> list[tuple[str, str, Path]]:
        return []

    def field_maps(self) -> dict[str, dict[str, str]]:
        return {}

    async def run(self, example: Example, client: ModelClient, params: dict) -> AppOutput:
        text = str(example.input)
        self.tries[example.id] += 1
        ok = "pass" in text or ("flaky" in text and self.tries[example.id] == 1)
        ok = ok or ("fixed" in text and self.candidate)
        return AppOutput(outcome="answer", artifact="ok" if ok else "no")

    def check(self, example: Example, output: AppOutput) -> list[CheckResult]:
        return [CheckResult(scorer="coin.pass", passed=output.artifact == "ok")]

    def render(self, example: Example, output: AppOutput) -> str:
        return str(output.artifact)

    def same(self, a: AppOutput, b: AppOutput) -> bool:
        return a.artifact == b.artifact

    def ideal_trajectory(self, request: object, artifact: object) -> list[object]:
        return []


def _import(tmp_path: Path, rows: list[dict[str, object]]) -> None:
    result = cli(
        "dataset",
        "import",
        write_jsonl(tmp_path / "d.jsonl", rows),
        "-n",
        "coin",
        "-k",
        "benchmark",
    )
    assert result.exit_code == 0, result.stdout


def _run(store: Store, app: CoinApp, repeat: int = 1) -> str:
    version = DatasetRepository(store).resolve("coin")
    run_id = create_run(
        store,
        System(name=f"coin-{app.candidate}", app="coin", model="none"),
        RunPlan(
            dataset=f"coin@{version.version_id}",
            version_id=version.version_id,
            app="coin",
            repeat=repeat,
        ),
    )

    async def go() -> None:
        async with ModelClient(SPEC, store=store) as client:
            await execute_run(store, run_id, app, client, registry())

    asyncio.run(go())
    return run_id


def _text(page: str) -> str:
    """The visible text of an HTML fragment, entities decoded, whitespace collapsed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def _svgs(page: str) -> str:
    return " ".join(re.findall(r"<svg.*?</svg>", page, flags=re.S))


def test_repeated_run_shows_pass_hat_k_in_html_and_markdown(
    project: Project, tmp_path: Path
) -> None:
    # 6 items pass, 2 pass on their first try only: pass rate 14/16, pass^2 6/8.
    rows = [{"id": f"p{i}", "input": "pass", "tags": ["steady"]} for i in range(6)]
    rows += [{"id": f"f{i}", "input": "flaky", "tags": ["flaky"]} for i in range(2)]
    _import(tmp_path, rows)
    store = project.open_store()
    run_id = _run(store, CoinApp(), repeat=2)
    data = report_data(store, run_id, CoinApp())
    store.close()
    page, markdown = to_html(data), to_markdown(data)
    scorers = _text(page[page.index('id="scorers"') :].split("</table>")[0])
    assert "coin.pass pass^2: all of 2 tries pass (bootstrap) 75.0%" in scorers
    assert "coin.pass pass rate (Wilson) 87.5%" in scorers
    assert "| coin.pass | 87.5% |" in markdown
    assert re.search(
        r"^\| coin\.pass: pass\^2 \| 75\.0% \| \d+\.\d% – \d+\.\d% \| 8 \|$", markdown, re.M
    )
    # The headline carries pass^k for the run's repeat too.
    assert "pass^2 75.0%" in _text(page.split('id="scorers"')[0])


def test_forty_one_item_slices_are_folded_not_drawn(project: Project, tmp_path: Path) -> None:
    rows = [
        {"id": f"e{i}", "input": "pass" if i % 4 else "fail", "tags": [f"t{i}", f"g{i % 2}"]}
        for i in range(40)
    ]
    _import(tmp_path, rows)
    store = project.open_store()
    run_id = _run(store, CoinApp())
    data = report_data(store, run_id, CoinApp())
    store.close()
    page, markdown = to_html(data), to_markdown(data)
    charts = _svgs(page)
    # The two big slices are drawn; none of the forty one-item slices is.
    assert "g0 (n=20)" in charts and "g1 (n=20)" in charts
    assert "(n=1)" not in charts and not re.search(r">t\d+ ", charts)
    text = _text(page)
    assert "40 slices with n < 5 not shown (too small to say anything)" in text
    # Listed, closed, inside a <details>, with what they measured.
    assert '<details class="fold" id="small-slices">' in page  # closed: no "open" attribute
    small = page[page.index('id="small-slices"') :].split("</details>")[0]
    assert "t0 (0/1)" in _text(small) and "t1 (1/1)" in _text(small)
    # Markdown says the same in one line, and draws no table row for them.
    assert "40 slices with n < 5 not shown (too small to say anything): t0 (0/1)" in markdown
    assert not re.search(r"^\| t\d+ \|", markdown, re.M)
    assert re.search(r"^\| g0 \| 50\.0% \(-25\.0 pp\) \|", markdown, re.M)


def test_comparison_shows_the_slices_that_changed(project: Project, tmp_path: Path) -> None:
    rows = [{"id": f"a{i}", "input": "pass", "tags": ["same"]} for i in range(6)]
    rows += [{"id": f"b{i}", "input": "fixed", "tags": ["repaired"]} for i in range(6)]
    rows += [{"id": "c0", "input": "fixed", "tags": ["tiny"]}]
    _import(tmp_path, rows)
    store = project.open_store()
    baseline = _run(store, CoinApp())
    candidate = _run(store, CoinApp(candidate=True))
    data = report_data(store, candidate, CoinApp(True), vs=baseline)
    store.close()
    page, markdown = to_html(data), to_markdown(data)
    table = _text(page[page.index('id="comparison-slices"') :].split("</table>")[0])
    # The slice that changed comes first, with its n and its McNemar p (6 discordant: 2·0.5^6).
    assert table.index("repaired") < table.index("same")
    assert "repaired 0.0% 100.0% +100.0 pp" in table and " 6 0.0312" in table
    assert "same 100.0% 100.0% +0.0 pp" in table and " 6 n/a" in table
    assert "tiny" not in table
    assert "1 slices with n < 5 not compared" in _text(page)
    row = re.search(
        r"^\| repaired \| 0\.0% → 100\.0% \| \+100\.0 pp .*\| n=6, p = 0\.0312 \|$", markdown, re.M
    )
    assert row and row.start() > markdown.index("Against ")


def test_headline_comes_before_the_scorers_table(project: Project, tmp_path: Path) -> None:
    rows = [{"id": f"i{i}", "input": "pass" if i % 4 else "fail", "tags": ["x"]} for i in range(8)]
    _import(tmp_path, rows)
    store = project.open_store()
    run_id = _run(store, CoinApp())
    data = report_data(store, run_id, CoinApp())
    store.close()
    page, markdown = to_html(data), to_markdown(data)
    head = _text(page[: page.index('id="scorers"')])
    assert re.search(r"coin\.pass : 75\.0% \(95% CI \d+\.\d% – \d+\.\d%, n=8\)", head), head
    assert "0 errors (counted as failures)" in head and "judges" in head and "completed" in head
    first = markdown.index("**coin.pass: 75.0%** (95% CI")
    assert first < markdown.index("| scorer |")
    assert "0 errors (counted as failures); cost $0.000000 system + $0.000000 judges" in markdown
