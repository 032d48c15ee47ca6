"""The reviewer's rules on realistic turns: what a real user does is not a simulator error, and
what a careless simulator does is."""

from __future__ import annotations

from evalwheel.simulate.episode import Episode
from evalwheel.simulate.models import Essence, Fact
from evalwheel.simulate.review import literals, review

ESSENCE = Essence(
    goal="tag orders over (a detail you give when asked) dollars",
    facts=[Fact(text="over $1,500", value="1500")],
)


def _kinds(messages: list[dict]) -> list[str]:
    return [f.kind for f in review(ESSENCE, Episode(messages=messages))]


def wrong(text: str = "I created this: tag orders over 100 dollars.") -> dict:
    return {"role": "assistant", "content": text, "outcome": "workflow", "goal_met": False}


def test_correcting_a_guessed_value_is_what_a_user_should_do() -> None:
    kinds = _kinds(
        [
            {"role": "user", "content": "tag the big orders"},
            wrong(),
            {"role": "user", "content": "No, it should be over $1,500"},
            {"role": "assistant", "content": "Fixed.", "outcome": "workflow", "goal_met": True},
            {"role": "user", "content": "thanks", "stop": True},
        ]
    )
    assert kinds == []


def test_giving_a_fact_nobody_asked_for_is_an_error() -> None:
    assert _kinds([{"role": "user", "content": "tag orders over $1,500"}]) == ["unasked_fact"]


def test_giving_up_after_a_failed_correction_is_allowed_accepting_at_once_is_not() -> None:
    gave_up = [
        {"role": "user", "content": "tag the big orders"},
        wrong(),
        {"role": "user", "content": "No, over $1,500"},
        wrong("I created this: tag orders over 150 dollars."),
        {"role": "user", "content": "forget it, thanks anyway", "stop": True},
    ]
    assert _kinds(gave_up) == []
    accepted = [{"role": "user", "content": "tag the big orders"}, wrong()]
    accepted.append({"role": "user", "content": "perfect, thanks", "stop": True})
    assert _kinds(accepted) == ["accepted_wrong"]


def test_apostrophes_are_not_quoted_values_and_numbers_read_whole() -> None:
    assert literals("That's right, it's perfect") == set()
    assert literals('over $1,500,000 on 2024-05-01, tag "vip gold"') == {
        "1500000",
        "2024-05-01",
        "vip gold",
    }
    assert literals("about 1.5k") == set()


def test_an_invented_value_and_a_short_unrelated_answer() -> None:
    asked = {"role": "assistant", "content": "Also email you?", "outcome": "clarify"}
    assert (
        _kinds(
            [
                {"role": "user", "content": "tag the big orders"},
                asked,
                {"role": "user", "content": "No"},
            ]
        )
        == []
    )
    invented = [{"role": "user", "content": "tag the big orders"}, asked]
    invented.append({"role": "user", "content": "make it over 999 I think, yes"})
    assert sorted(_kinds(invented)) == ["ignored_question", "invented_fact"]
