"""GCRA reservations under Telegram's flood limits, pure: waits and theoretical arrival times."""

from __future__ import annotations

import pytest

from tgpass.domain.pacing import Limit, limits_for, reserve, ttl_of


def test_a_limit_has_an_interval_and_a_burst_tolerance() -> None:
    assert Limit(4.0).interval == 0.25
    assert Limit(4.0).tolerance == 0.0
    assert Limit(4.0, burst=3).tolerance == 0.5
    assert Limit(2.0, burst=0).tolerance == 0.0  # a burst below one is one


def test_the_first_send_goes_at_once() -> None:
    assert reserve(None, 100.0, Limit(1.0)) == (0.0, 101.0)


def test_sends_queue_one_interval_apart() -> None:
    limit = Limit(2.0)
    tat = None
    waits = []
    for _ in range(4):
        wait, tat = reserve(tat, 10.0, limit)
        waits.append(wait)
    assert waits == [0.0, 0.5, 1.0, 1.5]
    assert tat == 12.0


def test_a_burst_goes_at_once_then_the_rate_holds() -> None:
    limit = Limit(1.0, burst=3)
    tat = None
    waits = []
    for _ in range(5):
        wait, tat = reserve(tat, 0.0, limit)
        waits.append(wait)
    assert waits == [0.0, 0.0, 0.0, 1.0, 2.0]


def test_a_quiet_spell_resets_the_limit() -> None:
    # A tat in the past counts from now, not from the old tat.
    assert reserve(5.0, 50.0, Limit(1.0)) == (0.0, 51.0)
    assert reserve(50.0, 50.0, Limit(1.0)) == (0.0, 51.0)
    assert reserve(50.5, 50.0, Limit(1.0)) == (0.5, 51.5)


def test_limits_for_a_private_chat() -> None:
    limits = limits_for(7, bot_rate=30.0, chat_rate=1.0, chat_burst=3, group_per_minute=20)
    assert limits == [("bot", Limit(30.0, 1)), ("chat:7", Limit(1.0, 3))]


def test_limits_for_a_group_are_per_minute() -> None:
    limits = limits_for(-100, bot_rate=30.0, chat_rate=1.0, chat_burst=3, group_per_minute=20)
    assert limits == [("bot", Limit(30.0, 1)), ("chat:-100", Limit(20 / 60.0, 3))]
    # The burst never exceeds the per-minute allowance, and is at least one.
    few = limits_for(-1, bot_rate=30.0, chat_rate=1.0, chat_burst=5, group_per_minute=2)
    assert few[1] == ("chat:-1", Limit(2 / 60.0, 2))
    none = limits_for(-1, bot_rate=30.0, chat_rate=1.0, chat_burst=0, group_per_minute=20)
    assert none[1] == ("chat:-1", Limit(20 / 60.0, 1))


def test_chat_zero_is_not_a_group() -> None:
    limits = limits_for(0, bot_rate=30.0, chat_rate=1.0, chat_burst=3, group_per_minute=20)
    assert limits[1] == ("chat:0", Limit(1.0, 3))


@pytest.mark.parametrize(
    ("tat", "now", "ttl"),
    [(10.0, 10.0, 1.0), (10.0, 20.0, 1.0), (10.5, 10.0, 2.0), (12.0, 10.0, 3.0), (11.0, 10.0, 2.0)],
)
def test_state_lives_a_second_past_the_tat(tat: float, now: float, ttl: float) -> None:
    assert ttl_of(tat, now) == ttl
