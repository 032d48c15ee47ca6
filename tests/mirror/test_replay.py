"""The offline mirror end to end: two Python-function systems over stored traffic, a scripted
pairwise judge on a real HTTP server, the noise floor, win/loss with intervals, the review queue
(grouped near-duplicates), human verdicts becoming labels, failure cases, readiness and resuming."""

from __future__ import annotations

import pytest

import evalwheel as ew
from evalwheel.api import mirroring
from evalwheel.errors import InputError, NotFoundError
from evalwheel.labels import api as labels_api
from evalwheel.mirror.readiness import ReadinessRule
from evalwheel.project import Project
from evalwheel.store.datasets import DatasetRepository
from tests.helpers import cli
from tests.mirror.conftest import DAYS, ROWS
from tests.mirror.pairwise_server import PairwiseJudgeServer


def _replay(project: Project, **kw: object) -> mirroring.MirrorResult:
    return mirroring.mirror_replay(
        "traffic",
        "cur",
        "cand",
        judge="pair",
        allow_untrusted_judge=True,
        project=project.root,
        **kw,  # type: ignore[arg-type]
    )


def test_replay_compares_judges_and_counts_honestly(
    mirror_project: Project, judge_url: PairwiseJudgeServer
) -> None:
    result = _replay(mirror_project)
    s = result.summary
    assert result.complete and s.pairs == len(ROWS) == s.analysed
    assert s.relations == {"different": 9, "equivalent": 2, "failed": 1, "identical": 6}
    # The current system disagrees with itself on the two flaky items only: the noise floor.
    assert s.noise_floor is not None and s.noise_floor.estimate == pytest.approx(2 / 18)
    assert s.difference_rate.estimate == pytest.approx(10 / 18)
    assert s.beyond_noise is not None and s.beyond_noise.only_a == 8
    pref = s.preference
    # improve ×4 win; regress ×2 lose; the candidate's error is a loss, never dropped.
    assert (pref.wins, pref.losses, pref.undecided) == (4, 3, 0)
    assert pref.ties == 11 and pref.decided == 18
    assert pref.net.estimate == pytest.approx(1 / 18)
    assert pref.sign_test_p == pytest.approx(1.0)
    assert s.judge is not None and s.judge.judged == 9
    # The biased verdict flips with the order: 8 of 9 consistent.
    assert s.judge.consistent.estimate == pytest.approx(8 / 9)
    assert judge_url.judge.requests == 18
    assert s.slices["kind:improve"].preference.wins == 4

    # Near-duplicates share one review item; the order-inconsistent pair is the most uncertain.
    queue = labels_api.review_queue(project=mirror_project.root)
    groups = {len(i.details["label_items"]): i for i in queue}
    improve = next(i for i in queue if "improve" in str(i.details["request"]))
    assert len(improve.details["label_items"]) == 4
    assert improve.priority == pytest.approx(4 * 0.2)
    biased = next(i for i in queue if "biased" in str(i.details["request"]))
    assert biased.priority == pytest.approx(1.0)
    assert result.review is not None and result.review.groups == len(queue) and groups

    # A human overrules the judge on the improve group: that verdict labels all four pairs and
    # decides their failure cases.
    labels_api.resolve_review(improve.id, "current", "ann", project=mirror_project.root)
    golden = mirroring.mirror_export(result.mirror.id, "golden", "mg", project=mirror_project.root)
    assert golden.items == 4
    failures = mirroring.mirror_export(
        result.mirror.id, "failures", "mf", project=mirror_project.root
    )
    assert failures.items == 7  # 4 human-decided + 2 judge-decided + 1 error
    store = mirror_project.open_store()
    try:
        repo = DatasetRepository(store)
        items = {e.id: e for e in repo.iter_examples(repo.resolve("mf").version_id)}
    finally:
        store.close()
    first = items["t00"]
    assert "decided_by:human" in first.tags
    assert first.reference == "ok improve order 1 please"
    assert first.output == "GOOD improve order 1 please"
    assert "decided_by:error" in items[f"t{len(ROWS) - 1:02d}"].tags


def test_replay_resumes_without_repaying(
    mirror_project: Project, judge_url: PairwiseJudgeServer
) -> None:
    first = _replay(mirror_project)
    asked = judge_url.judge.requests
    again = _replay(mirror_project)
    assert again.mirror.id == first.mirror.id and again.mirror.runs == first.mirror.runs
    assert judge_url.judge.requests == asked
    assert again.summary == first.summary
    assert again.review is not None and again.review.enqueued == 0


def test_sample_is_deterministic_and_status_reads_windows(mirror_project: Project) -> None:
    a = _replay(mirror_project, sample=9, seed=3)
    assert a.summary.pairs == 9 and len(a.mirror.items) == 9
    b = _replay(mirror_project, sample=9, seed=3)
    assert b.mirror.items == a.mirror.items
    full = _replay(mirror_project)
    status = mirroring.mirror_status(
        full.mirror.id, rule=ReadinessRule(windows=3, min_pairs=5), project=mirror_project.root
    )
    assert [w.start.date().isoformat() for w in status.windows] == DAYS
    assert sum(w.pairs for w in status.windows) == len(ROWS)
    assert all(w.counts for w in status.windows)
    # The candidate loses on some days: its lower bound is below 0 there, so it is not ready.
    assert status.ready is False
    lenient = mirroring.mirror_status(
        full.mirror.id,
        rule=ReadinessRule(windows=3, min_pairs=5, min_net=-1.0),
        project=mirror_project.root,
    )
    assert lenient.ready is True


def test_refusals(mirror_project: Project) -> None:
    with pytest.raises(NotFoundError):
        mirroring.mirror_summary("mir-nope", project=mirror_project.root)
    text = mirror_project.config_path.read_text()
    mirror_project.config_path.write_text(
        text + '\n[judges.point]\nmodel = "judge"\nrubric = "ok?"\n'
    )
    with pytest.raises(InputError, match="pairwise"):
        mirroring.mirror_replay(
            "traffic",
            "cur",
            "cand",
            judge="point",
            allow_untrusted_judge=True,
            project=mirror_project.root,
        )
    with pytest.raises(ew.EvalwheelError, match="not trusted"):
        mirroring.mirror_replay("traffic", "cur", "cand", judge="pair", project=mirror_project.root)


def test_cli_replay_show_and_status(mirror_project: Project) -> None:
    result = cli(
        "mirror",
        "replay",
        "--traffic",
        "traffic",
        "--current",
        "cur",
        "--candidate",
        "cand",
        "--judge",
        "pair",
        "--allow-untrusted-judge",
    )
    assert result.exit_code == 0, result.stderr
    assert "noise floor (current vs itself):        0.111" in result.stdout
    assert "order-swap consistency 0.889" in result.stdout
    listed = cli("mirror", "list")
    name = listed.stdout.split()[0]
    status = cli("mirror", "status", name, "--min-pairs", "5")
    assert status.exit_code == 1 and "not ready" in status.stdout
    bad = cli("mirror", "replay", "--traffic", "nope", "--current", "cur", "--candidate", "cand")
    assert bad.exit_code == 2


def test_a_pointwise_judge_gives_each_windows_pass_rates(mirror_project: Project) -> None:
    text = mirror_project.config_path.read_text()
    mirror_project.config_path.write_text(
        text + '\n[judges.point]\nmodel = "judge"\nrubric = "Good?"\nlabels = ["good", "bad"]\n'
    )
    result = _replay(mirror_project, pointwise_judge="point")
    assert result.mirror.pointwise_judge == "point" and result.mirror.pointwise_version
    plain = _replay(mirror_project)
    assert plain.mirror.id != result.mirror.id  # another mirror: its runs are scored differently
    status = mirroring.mirror_status(
        result.mirror.id, rule=ReadinessRule(windows=3, min_pairs=5), project=mirror_project.root
    )
    current = [w.current_pass for w in status.windows]
    candidate = [w.candidate_pass for w in status.windows]
    assert all(e is not None and e.n == 6 for e in current + candidate)
    # The current system says GOOD on the two regress items, the candidate on the four improve
    # items; the judge is not calibrated, so the rates are its raw ones.
    assert sum(round(e.estimate * e.n) for e in current if e and e.estimate is not None) == 2
    assert sum(round(e.estimate * e.n) for e in candidate if e and e.estimate is not None) == 4
    assert not any(w.pass_corrected for w in status.windows)
    shown = cli("mirror", "status", result.mirror.id, "--min-pairs", "5")
    assert "pass rate (raw judge): current" in shown.stdout


def test_readiness_uses_the_judges_correction_when_it_has_one(mirror_project: Project) -> None:
    from evalwheel.mirror.readiness import readiness
    from evalwheel.stats.estimate import Estimate
    from evalwheel.store.mirrors import MirrorPairRepository

    result = _replay(mirror_project)
    store = mirror_project.open_store()
    try:
        pairs = MirrorPairRepository(store).pairs(result.mirror.id)
    finally:
        store.close()
    for pair in pairs:
        pair.current.passed = "regress" in str(pair.request)
        assert pair.candidate is not None
        pair.candidate.passed = "improve" in str(pair.request)
    seen: list[list[bool]] = []

    def correct(verdicts: list[bool]) -> Estimate | None:
        seen.append(verdicts)
        return Estimate(estimate=0.5, n=len(verdicts), ci_low=0.1, ci_high=0.9, method="test")

    report = readiness(result.mirror.id, pairs, correct=correct)
    assert all(
        w.pass_corrected and w.current_pass and w.current_pass.estimate == 0.5
        for w in report.windows
    )
    assert sum(len(v) for v in seen) == 2 * len(ROWS)
    raw = readiness(result.mirror.id, pairs, correct=lambda verdicts: None)
    assert not any(w.pass_corrected for w in raw.windows)
