"""Realism figures of simulated against real conversations, on hand-made sets with known answers."""

import pytest
from statsmodels.stats.proportion import confint_proportions_2indep

from evalwheel.errors import InputError
from evalwheel.simulate.realism import realism, shape


def user(text: str) -> dict:
    return {"role": "user", "content": text}


def agent(text: str, outcome: str | None = None) -> dict:
    message = {"role": "assistant", "content": text}
    if outcome is not None:
        message["outcome"] = outcome
    if outcome == "workflow":
        message["artifact"] = {"trigger": "order_created"}
    return message


CLARIFIED = [  # asks, gets the value, builds, thanks
    user("tag big spenders please"),
    agent("What order total counts as big?", "clarify"),
    user("over $250"),
    agent("Done.", "workflow"),
    user("perfect thanks"),
]
CORRECTED = [  # builds, the merchant asks for a change, rebuilds, thanks
    user("tag orders over 100 as big"),
    agent("Done.", "workflow"),
    user("no, make it 200"),
    agent("Updated.", "workflow"),
    user("thanks"),
]
REFUSED = [user("can flow send an sms"), agent("Flow cannot send SMS.", "refuse")]
ASKED_WITHOUT_OUTCOME = [
    {"role": "system", "content": "ignored"},
    user("hello there friend"),
    agent("What would you like to automate?"),
    user("nothing"),
]
REAL = [CLARIFIED, CORRECTED, REFUSED, ASKED_WITHOUT_OUTCOME]

DIRECT = [user("tag vips over 500"), agent("Done.", "workflow"), user("thanks")]
LAST_WORD_COMPLAINT = [  # artifact without outcome is a workflow; the complaint ends it
    user("tag vips"),
    {"role": "assistant", "content": "Here it is.", "artifact": {"trigger": "x"}},
    user("that is the wrong tag"),
]
ANSWER_WITH_QUESTION_MARK = [user("hi"), agent("Anything else?", "answer")]
SIMULATED = [DIRECT, LAST_WORD_COMPLAINT, ANSWER_WITH_QUESTION_MARK]


def test_shapes_of_hand_made_conversations() -> None:
    clarified, corrected, refused, asked = (shape(c) for c in REAL)
    assert (clarified.user_turns, clarified.opening_words) == (3, 4)
    assert clarified.user_words == pytest.approx((4 + 2 + 2) / 3)
    assert (clarified.asked, clarified.corrected, clarified.closed) == (True, False, True)
    assert (corrected.asked, corrected.corrected, corrected.closed) == (False, True, True)
    assert (refused.asked, refused.corrected, refused.closed) == (False, False, False)
    assert (asked.user_turns, asked.asked, asked.closed) == (2, True, True)
    complaint = shape(LAST_WORD_COMPLAINT)
    assert (complaint.corrected, complaint.closed) == (False, True)
    assert shape(ANSWER_WITH_QUESTION_MARK).asked is False  # the outcome decides, not the "?"


def test_realism_report_of_hand_made_sets() -> None:
    report = realism(REAL, SIMULATED, resamples=500)
    assert (report.n_real, report.n_simulated) == (4, 3)
    turns = report.figure("user_turns")
    assert (turns.real, turns.simulated) == (pytest.approx(9 / 4), pytest.approx(5 / 3))
    assert (turns.real_median, turns.simulated_median) == (2.5, 2)
    assert turns.real_distribution == {1: 1, 2: 1, 3: 2}
    assert turns.simulated_distribution == {1: 1, 2: 2}
    assert turns.difference == pytest.approx(5 / 3 - 9 / 4)
    assert turns.ci_low <= turns.difference <= turns.ci_high
    assert 0 < turns.p_value <= 1
    assert report.figure("clarification_rate").real == pytest.approx(2 / 4)
    assert report.figure("clarification_rate").simulated == 0
    assert report.figure("correction_rate").real == pytest.approx(1 / 4)
    assert report.figure("correction_rate").simulated == 0
    closing = report.figure("closing_rate")
    assert (closing.real, closing.simulated) == (pytest.approx(3 / 4), pytest.approx(2 / 3))
    assert closing.difference == pytest.approx(2 / 3 - 3 / 4)


def test_rates_are_shares_of_conversations_not_of_turns() -> None:
    # One conversation asks twice and two never ask: 1/3 of conversations (not 2/5 of agent
    # turns, nor 2 questions / 3 conversations). A refusal has no workflow but still counts in
    # the correction rate's denominator: 1/2, not 1/1.
    asks_twice = [
        user("tag customers"),
        agent("Which tag?", "clarify"),
        user("VIP"),
        agent("Above what total?", "clarify"),
        user("300"),
        agent("Done.", "workflow"),
    ]
    plain = [user("tag customers VIP over 300"), agent("Done.", "workflow")]
    report = realism([asks_twice, plain, plain], [CORRECTED, REFUSED], resamples=100)
    clarify = report.figure("clarification_rate")
    assert (clarify.real, clarify.n_real) == (pytest.approx(1 / 3), 3)
    correction = report.figure("correction_rate")
    assert (correction.simulated, correction.n_simulated) == (pytest.approx(1 / 2), 2)


def test_user_words_average_conversations_not_pooled_messages() -> None:
    long_opening = [user("one two three four five six seven eight nine ten"), agent("ok")]
    chatty = [user("a b"), agent("?"), user("c d"), agent("?"), user("e f"), agent("?")]
    chatty += [user("g h")]
    figure = realism([long_opening, chatty], [long_opening], resamples=100).figure("user_words")
    assert figure.real == pytest.approx((10 + 2) / 2)  # pooled messages would give 18 / 5


def test_identical_sets_show_no_difference() -> None:
    report = realism(REAL, REAL, resamples=500)
    for figure in report.figures:
        assert figure.difference == pytest.approx(0)
        assert figure.p_value == pytest.approx(1)
        assert figure.ci_low <= 0 <= figure.ci_high


def test_a_terse_over_cooperative_simulator_is_detected() -> None:
    real = [CLARIFIED, CORRECTED] * 10
    simulated = [DIRECT] * 20
    report = realism(real, simulated, resamples=2000)
    turns = report.figure("user_turns")
    assert turns.p_value < 0.001
    assert turns.ci_high < 0
    clarify = report.figure("clarification_rate")
    assert clarify.difference == pytest.approx(-0.5)
    assert clarify.p_value < 0.001 and clarify.ci_high < 0


@pytest.mark.parametrize(("a", "n_a", "b", "n_b"), [(3, 10, 7, 12), (0, 5, 5, 5), (9, 40, 2, 3)])
def test_the_rate_interval_is_newcombes(a: int, n_a: int, b: int, n_b: int) -> None:
    real = [CLARIFIED] * b + [DIRECT] * (n_b - b)
    simulated = [CLARIFIED] * a + [DIRECT] * (n_a - a)
    figure = realism(real, simulated, resamples=10).figure("clarification_rate")
    low, high = confint_proportions_2indep(a, n_a, b, n_b, method="newcomb", compare="diff")
    assert (figure.ci_low, figure.ci_high) == (pytest.approx(low), pytest.approx(high))


def test_empty_sets_measure_nothing() -> None:
    report = realism([], [DIRECT], resamples=10)
    for figure in report.figures:
        assert figure.real is None and figure.difference is None and figure.p_value is None


def test_a_malformed_conversation_is_an_input_error() -> None:
    with pytest.raises(InputError, match=r"simulated\[1\]"):
        realism(REAL, [DIRECT, "not a conversation"], resamples=10)
    with pytest.raises(InputError, match=r"real\[0\]\[1\]"):
        realism([[user("hi"), "oops"]], [DIRECT], resamples=10)
