"""`Silence`: a quiet subscription is pinged once, and given up on only if the ping
goes unanswered; anything heard starts the count again."""

from __future__ import annotations

from server.bus.silence import Silence


def test_a_subscription_heard_from_lately_needs_nothing() -> None:
    silence = Silence(quiet_s=5, answer_s=2)
    silence.heard(100.0)
    assert silence.due(104.9) is None


def test_a_quiet_one_is_pinged_once_then_given_up_on_if_it_stays_silent() -> None:
    silence = Silence(quiet_s=5, answer_s=2)
    silence.heard(100.0)
    assert silence.due(105.0) == "ping"
    assert silence.due(106.0) is None  # waiting for the answer: not pinged again
    assert silence.due(106.9) is None
    assert silence.due(107.0) == "give up"


def test_an_answer_starts_the_count_again() -> None:
    silence = Silence(quiet_s=5, answer_s=2)
    silence.heard(100.0)
    assert silence.due(105.0) == "ping"
    silence.heard(105.5)  # the PONG
    assert silence.due(108.0) is None
    assert silence.due(110.5) == "ping"
