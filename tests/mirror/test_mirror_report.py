"""The mirror's report: a real replay (the conftest's two Python systems and scripted pairwise judge
on a real HTTP server) rendered as HTML, Markdown and JSON with the headline, the gap, readiness,
slices and the pairs worth a look; hostile requests and slice names stay text (raw checks and
headless Chromium); the CLI writes the file."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

import evalwheel as ew
from evalwheel.api import mirroring
from evalwheel.project import Project
from evalwheel.report.mirror_report import MirrorReportData
from tests.helpers import cli
from tests.test_report_escaping import _chromium, _Dom

JS = "document.title='own'+'ed'"  # the page title becomes "owned" only if a script ran
HOSTILE = f"improve <script>alert(1);{JS}</script> </td></tr></table> please"
SLICE = "odd|slice`tick`"


def _replay(project: Project, traffic: str = "traffic") -> str:
    result = mirroring.mirror_replay(
        traffic, "cur", "cand", judge="pair", allow_untrusted_judge=True, project=project.root
    )
    assert result.complete
    return result.mirror.id


def _gap(project: Project) -> ew.Gap:
    """A gap as test_gap makes one: 3 of 4 on the benchmark, the judge passes 2 of 18 on traffic."""
    root = project.root
    text = project.config_path.read_text()
    project.config_path.write_text(
        text + '\n[judges.point]\nmodel = "judge"\nrubric = "Good?"\nlabels = ["good", "bad"]\n'
    )
    bench = [
        {"id": f"b{i}", "input": f"same {i}", "reference": f"ok same {i}"} for i in range(3)
    ] + [{"id": "b3", "input": "same 9", "reference": "something else"}]
    ew.import_examples(bench, "bench", project=root)
    return mirroring.mirror_gap(
        "cur",
        benchmark="bench",
        traffic="traffic",
        judge="point",
        split=None,
        scorers=["exact_match"],
        allow_untrusted_judge=True,
        project=root,
    )


def test_report_says_the_headline_gap_readiness_slices_and_pairs(mirror_project: Project) -> None:
    root = mirror_project.root
    mirror = _replay(mirror_project)
    gap = _gap(mirror_project)
    runs = {"benchmark_run": gap.benchmark_run, "traffic_run": gap.traffic_run, "judge": "point"}
    page = mirroring.render_mirror_report(mirror, "html", project=root, **runs)
    markdown = mirroring.render_mirror_report(mirror, "md", project=root, **runs)
    for text in (page, markdown):
        # difference rate 10/18 beside the noise floor 2/18; the judge consistent on 8 of 9
        assert "55.6% (95% CI" in text and "n=18)" in text
        assert re.search(
            r"noise floor \(current vs itself\).*11\.1% \(95% CI [\d.]+% – [\d.]+%", text
        )
        assert re.search(r"order-swap consistency.*88\.9% \(95% CI .*, n=9\)", text)
        assert "4 / 3 / 11 (0 undecided) of 18 decided" in text
        assert "0.056 (95% CI" in text and "p = 1.0000 (n=7)" in text  # net 1/18, sign test
        assert re.search(r"8 (items differ )?only from the candidate, 0 only from itself", text)
        # the gap: 75% on the benchmark, 11.1% raw judge on traffic, +63.9 pp
        assert "Benchmark vs traffic" in text
        assert re.search(r"\+63\.9 pp(\*\*)? \(95% CI \+[\d.]+ pp – \+[\d.]+ pp, n=4\)", text)
        assert "raw judge" in text and "no calibration usable" in text
        # readiness under the default rule: no window has 20 decided pairs
        assert "not ready" in text and "0 of the 3 windows needed" in text
        assert "kind:improve" in text and "2026-11-01T00:00:00+00:00" in text
    assert re.search(r"<tr><td>kind:improve</td><td>4</td><td>[^<]*</td><td>4 / 0 / 0</td>", page)
    assert re.search(r"^\| kind:improve \| 4 \| .* \| 4 / 0 / 0 \|", markdown, re.M)

    data = MirrorReportData.model_validate_json(
        mirroring.render_mirror_report(mirror, "json", project=root, **runs)
    )
    assert data.summary == mirroring.mirror_summary(mirror, project=root)
    assert data.gap is not None and data.gap.gap == gap.gap
    assert data.readiness is not None and not data.readiness.ready
    # Pairs worth a look, in the review queue's order: the order-inconsistent pair (1.0), the
    # two flaky ties (2 × 0.5), the four improvements (4 × 0.2), two regressions, the failure.
    assert [(e.example_id, e.group_size) for e in data.examples] == [
        ("t14", 1),
        ("t15", 2),
        ("t00", 4),
        ("t04", 2),
        ("t17", 1),
    ]
    assert data.examples[1].priority == pytest.approx(1.0)
    assert data.examples[2].verdict is not None and data.examples[2].verdict.winner == "candidate"
    assert data.examples[4].relation == "failed" and "candidate broke" in str(
        data.examples[4].candidate
    )
    assert "GOOD improve order 1 please" in page and "biased 1" in markdown

    plain = mirroring.render_mirror_report(mirror, "md", project=root)
    assert "Benchmark vs traffic" not in plain and "kind:improve" in plain
    with pytest.raises(ew.InputError, match="all three"):
        mirroring.render_mirror_report(mirror, project=root, benchmark_run=gap.benchmark_run)
    with pytest.raises(ew.InputError, match="html, md or json"):
        mirroring.render_mirror_report(mirror, "pdf", project=root)  # type: ignore[arg-type]


def _hostile_mirror(project: Project) -> str:
    rows = [
        {"id": "h1", "input": HOSTILE, "tags": [SLICE]},
        {"id": "h2", "input": "same thing", "tags": [SLICE]},
    ]
    ew.import_examples(rows, "hostile", kind="traffic", project=project.root)
    return _replay(project, "hostile")


def test_hostile_request_and_slice_name_stay_text(mirror_project: Project) -> None:
    mirror = _hostile_mirror(mirror_project)
    page = mirroring.render_mirror_report(mirror, "html", project=mirror_project.root)
    markdown = mirroring.render_mirror_report(mirror, "md", project=mirror_project.root)
    assert "<script" not in page and "</td></tr></table> please" not in page
    assert "&lt;script&gt;alert(1)" in page and "&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;" in page
    assert "content=\"default-src 'none'" in page
    assert "<script" not in markdown and "&lt;script&gt;alert(1)" in markdown
    # The slice name's | and backticks are escaped: its row still has five cells.
    rows = [line for line in markdown.splitlines() if line.startswith("| odd")]
    assert rows == [rows[0]] and r"odd\|slice\`tick\`" in rows[0]
    assert len(re.findall(r"(?<!\\)\|", rows[0])) == 6
    # The example table's row, with the hostile request and answers, keeps its seven cells.
    example = [line for line in markdown.splitlines() if line.startswith("| h1")]
    assert len(example) == 1 and len(re.findall(r"(?<!\\)\|", example[0])) == 8


@pytest.mark.slow
def test_hostile_mirror_report_executes_nothing_in_headless_chromium(
    mirror_project: Project, tmp_path: Path
) -> None:
    chromium = _chromium()
    mirror = _hostile_mirror(mirror_project)
    path = mirroring.write_mirror_report(
        mirror, "html", output=tmp_path / "mirror.html", project=mirror_project.root
    )
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
            "--virtual-time-budget=3000",
            "--dump-dom",
            path.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    dom = _Dom()
    dom.feed(result.stdout)
    assert dom.title == f"evalwheel mirror {mirror}"  # no script changed it
    console = [
        line for line in result.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line
    ]
    assert console == []
    assert "script" not in dom.tags
    text = "".join(dom.text)
    assert HOSTILE in text and f"GOOD {HOSTILE}" in text  # request and answer, literally
    assert SLICE in text
    # The injected </td></tr></table> closed nothing: every table the report writes is intact.
    assert dom.tags.count("table") == path.read_text().count("<table")


def test_cli_writes_the_report(mirror_project: Project, tmp_path: Path) -> None:
    mirror = _replay(mirror_project)
    target = tmp_path / "m.md"
    result = cli("mirror", "report", mirror, "--format", "md", "-o", str(target))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == str(target.resolve())
    assert "noise floor (current vs itself) | **11.1%" in target.read_text()
    assert cli("mirror", "report", mirror, "--format", "pdf").exit_code == 2
    lone = cli("mirror", "report", mirror, "--benchmark-run", "r1")
    assert lone.exit_code == 2 and "all three" in lone.stderr


def test_many_small_slices_are_folded_into_the_json(mirror_project: Project) -> None:
    from evalwheel.report.mirror_report import FOLD_ABOVE, shown_slices

    replayed = mirroring.mirror_replay(
        "traffic", "cur", "cand", project=mirror_project.root
    ).summary
    assert shown_slices(replayed) == (replayed.slices, 0)  # few slices: all shown
    big, small = replayed.slices["kind:same"], replayed.slices["kind:biased"]
    many = {f"s{i}": small for i in range(FOLD_ABOVE)} | {"big": big}
    kept, folded = shown_slices(replayed.model_copy(update={"slices": many}))
    assert list(kept) == ["big"] and folded == FOLD_ABOVE
