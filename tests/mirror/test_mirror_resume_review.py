"""Reviewer's checks of the mirror: a judge that could not give a verdict is asked again on
resume, the review queue follows pairs that arrive after it was filled, and live pairs recorded by
the proxy go through ``mirror compare`` end to end."""

from __future__ import annotations

import socket
from datetime import UTC, datetime

import pytest

from evalwheel.api import mirroring
from evalwheel.core.mirror import MirrorPair, PairAnalysis, PairSide
from evalwheel.labels import api as labels_api
from evalwheel.project import Project
from evalwheel.store.mirrors import MirrorPairRepository
from tests.mirror.pairwise_server import PairwiseJudgeServer


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_unjudged_and_failed_verdicts_are_judged_when_the_replay_resumes(
    mirror_project: Project, judge_url: PairwiseJudgeServer
) -> None:
    text = mirror_project.config_path.read_text()
    mirror_project.config_path.write_text(
        text
        + f"""
[models.deadjudge]
base_url = "http://127.0.0.1:{_closed_port()}/v1"
model = "j"
max_retries = 0

[judges.deadpair]
model = "deadjudge"
kind = "pairwise"
rubric = "Which answer is better?"
labels = ["A", "B", "tie"]
"""
    )
    common = {"project": mirror_project.root, "allow_untrusted_judge": True}
    unjudged = mirroring.mirror_replay("traffic", "cur", "cand", **common)  # type: ignore[arg-type]
    assert unjudged.summary.preference.undecided == 9
    failed = mirroring.mirror_replay("traffic", "cur", "cand", judge="deadpair", **common)  # type: ignore[arg-type]
    assert failed.mirror.id == unjudged.mirror.id
    assert failed.summary.judge is not None and failed.summary.judge.errors == 9
    assert failed.summary.preference.undecided == 9
    judged = mirroring.mirror_replay("traffic", "cur", "cand", judge="pair", **common)  # type: ignore[arg-type]
    pref = judged.summary.preference
    assert (pref.wins, pref.losses, pref.undecided) == (4, 3, 0)
    assert judged.summary.judge is not None and judged.summary.judge.errors == 0
    asked = judge_url.judge.requests
    again = mirroring.mirror_replay("traffic", "cur", "cand", judge="pair", **common)  # type: ignore[arg-type]
    assert judge_url.judge.requests == asked and again.summary == judged.summary


def _live_pair(n: int, answer: str) -> MirrorPair:
    return MirrorPair(
        id=f"p{n}",
        mirror="live",
        source="live",
        example_id=f"e{n}",
        request={"messages": [{"role": "user", "content": f"tag order {n} as vip"}]},
        current=PairSide(system="primary", content="tag vip"),
        candidate=PairSide(system="cand", content=answer),
        created_at=datetime(2026, 11, 1, 10, n, tzinfo=UTC),
        analysis=PairAnalysis(relation="different"),
    )


def test_pairs_arriving_after_the_queue_was_filled_join_their_group(
    mirror_project: Project,
) -> None:
    root = mirror_project.root
    store = mirror_project.open_store()
    try:
        MirrorPairRepository(store).add([_live_pair(1, "x"), _live_pair(2, "y")])
    finally:
        store.close()
    assert mirroring.mirror_review("live", project=root).enqueued == 1
    store = mirror_project.open_store()
    try:
        MirrorPairRepository(store).add([_live_pair(3, "z")])
    finally:
        store.close()
    mirroring.mirror_review("live", project=root)
    (item,) = labels_api.review_queue(project=root)
    assert item.details["label_items"] == ["p1", "p2", "p3"]
    assert item.priority == pytest.approx(3.0)
    labels_api.resolve_review(item.id, "current", "ann", project=root)

    # After the verdict, a fourth near-duplicate is queued again on its own: nothing is lost.
    store = mirror_project.open_store()
    try:
        MirrorPairRepository(store).add([_live_pair(4, "w")])
    finally:
        store.close()
    fill = mirroring.mirror_review("live", project=root)
    assert fill.enqueued == 1
    (fresh,) = labels_api.review_queue(project=root)
    assert fresh.details["label_items"] == ["p4"]
    assert mirroring.mirror_review("live", project=root).enqueued == 0
    assert [i.details["label_items"] for i in labels_api.review_queue(project=root)] == [["p4"]]


def test_pairs_recorded_by_the_live_proxy_are_compared_end_to_end(
    mirror_project: Project, judge_url: PairwiseJudgeServer
) -> None:
    from evalwheel.api.mirroring_live import shadow_proxy
    from evalwheel.http_guard import GuardConfig
    from evalwheel.mirror.shadow_proxy import ShadowConfig
    from evalwheel.mirror.shadow_targets import EndpointTarget
    from evalwheel.testing.openai_stub import StubServer
    from evalwheel.testing.server_thread import ServerThread
    from tests.mirror.test_shadow_proxy import chat, post

    store = mirror_project.open_store()
    try:
        with StubServer(seed=1) as primary_url, StubServer(seed=2) as candidate_url:
            proxy = shadow_proxy(
                ShadowConfig(
                    primary=primary_url.removesuffix("/v1"),
                    mirror="shadow",
                    sample=1.0,
                    workers=1,
                    drain_s=30.0,
                ),
                EndpointTarget(candidate_url.removesuffix("/v1")),
                store,
                GuardConfig(token=None),
            )
            with ServerThread(proxy, path="") as url:
                for n in range(8):
                    status, _, _ = post(url, chat(f"order {n} [[coin:GOOD {n}|plain {n}]]"))
                    assert status == 200
                turns = [{"role": "user", "content": "hello [[reply:hi]]"}]
                assert (
                    post(url, {"model": "m", "messages": turns}, {"X-Conversation-Id": "c-7"})[0]
                    == 200
                )
                turns += [
                    {"role": "assistant", "content": "hi"},
                    {"role": "user", "content": "tag it [[reply:done]]"},
                ]
                assert (
                    post(url, {"model": "m", "messages": turns}, {"X-Conversation-Id": "c-7"})[0]
                    == 200
                )
    finally:
        store.close()

    result = mirroring.mirror_compare(
        "shadow", judge="pair", allow_untrusted_judge=True, project=mirror_project.root
    )
    summary = result.summary
    assert result.complete and summary.pairs == summary.analysed == 10
    store = mirror_project.open_store()
    try:
        pairs = MirrorPairRepository(store).pairs("shadow")
    finally:
        store.close()
    assert [(p.conversation_id, p.turn) for p in pairs if p.conversation_id == "c-7"] == [
        ("c-7", 0),
        ("c-7", 1),
    ]
    good = {
        p.id: ("GOOD" in (p.current.content or ""), "GOOD" in (p.candidate.content or ""))
        for p in pairs
        if p.candidate
    }
    differ = sum(1 for a, b in good.values() if a != b)
    assert 0 < differ < len(good)  # the seeds give both kinds of pair
    assert summary.relations.get("different", 0) == differ
    assert summary.preference.wins == sum(1 for a, b in good.values() if b and not a)
    assert summary.preference.losses == sum(1 for a, b in good.values() if a and not b)
    assert summary.preference.undecided == 0
    assert judge_url.judge.requests == 2 * differ
    status = mirroring.mirror_status("shadow", project=mirror_project.root)
    assert sum(w.pairs for w in status.windows) == 10


def test_pairs_are_ordered_and_ranged_by_utc_whatever_their_offset(
    mirror_project: Project,
) -> None:
    from datetime import timedelta, timezone

    later = _live_pair(1, "x").model_copy(
        update={"created_at": datetime(2026, 11, 1, 23, 30, tzinfo=timezone(timedelta(hours=-5)))}
    )
    earlier = _live_pair(2, "y").model_copy(
        update={"created_at": datetime(2026, 11, 2, 1, 0, tzinfo=UTC)}
    )
    store = mirror_project.open_store()
    try:
        repo = MirrorPairRepository(store)
        repo.add([later, earlier])
        assert [p.id for p in repo.pairs("live")] == ["p2", "p1"]  # 04:30 UTC is after 01:00
        since = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
        assert [p.id for p in repo.pairs("live", since=since)] == ["p1"]
    finally:
        store.close()


def test_an_items_value_raises_its_review_priority(mirror_project: Project) -> None:
    import evalwheel as ew

    rows = [
        {"id": "r1", "input": "regress 1", "metadata": {"value": 5}},
        {"id": "r2", "input": "regress 2"},
    ]
    ew.import_examples(rows, "valued", kind="traffic", project=mirror_project.root)
    result = mirroring.mirror_replay(
        "valued",
        "cur",
        "cand",
        judge="pair",
        allow_untrusted_judge=True,
        project=mirror_project.root,
    )
    assert result.summary.preference.losses == 2
    (item,) = labels_api.review_queue(project=mirror_project.root)
    assert sorted(item.details["label_items"]) == ["r1", "r2"]
    assert item.priority == pytest.approx(5 * 0.2 + 1 * 0.2)
