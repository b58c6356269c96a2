"""One contract for the pacers, in memory and on Redis: GCRA reservations, the 429 pause,
and reservations refused when they would come too late."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator

import pytest

from tests.conftest import redis_or_skip
from tgpass.domain.pacing import Limit, limits_for
from tgpass.service.pacing import Pacer
from tgpass.store.pacing import pacer_from_url

TEN = [("bot", Limit(10.0, 1))]  # one every 0.1 s


@pytest.fixture(params=["memory", "redis"])
async def pacer(request: pytest.FixtureRequest) -> AsyncIterator[Pacer]:
    url = "memory://" if request.param == "memory" else await redis_or_skip()
    made = pacer_from_url(url, prefix=f"tgpass-test:{secrets.token_hex(6)}:")
    try:
        yield made
    finally:
        await made.close()


async def test_reservations_are_spaced_by_the_rate(pacer: Pacer) -> None:
    waits = [await pacer.reserve(TEN) for _ in range(5)]
    assert all(granted for _, granted in waits)
    offsets = [wait for wait, _ in waits]
    for n, wait in enumerate(offsets):
        assert wait == pytest.approx(n * 0.1, abs=0.03)
    assert await pacer.backlog() == pytest.approx(0.5, abs=0.05)


async def test_a_burst_goes_at_once_then_the_rate_applies(pacer: Pacer) -> None:
    burst = [("chat:1", Limit(1.0, 3))]
    waits = [(await pacer.reserve(burst))[0] for _ in range(4)]
    assert waits[:3] == pytest.approx([0, 0, 0], abs=0.03)
    assert waits[3] == pytest.approx(1.0, abs=0.05)


async def test_a_slot_past_max_wait_is_not_reserved(pacer: Pacer) -> None:
    for _ in range(5):
        await pacer.reserve(TEN)
    wait, granted = await pacer.reserve(TEN, max_wait=0.2)
    assert not granted
    assert wait == pytest.approx(0.5, abs=0.05)
    assert await pacer.backlog() == pytest.approx(0.5, abs=0.05)  # nothing taken


async def test_a_pause_holds_every_reservation(pacer: Pacer) -> None:
    await pacer.pause(2.0)
    assert await pacer.paused_for() == pytest.approx(2.0, abs=0.05)
    wait, granted = await pacer.reserve(TEN)
    assert not granted
    assert wait == pytest.approx(2.0, abs=0.05)
    await pacer.pause(1.0)  # a shorter pause never shortens a longer one
    assert await pacer.paused_for() == pytest.approx(2.0, abs=0.05)


def test_groups_are_limited_per_minute_and_private_chats_per_second() -> None:
    group = dict(limits_for(-100, bot_rate=30, chat_rate=1, chat_burst=3, group_per_minute=20))
    private = dict(limits_for(7, bot_rate=30, chat_rate=1, chat_burst=3, group_per_minute=20))
    assert group["chat:-100"].rate == pytest.approx(20 / 60)
    assert private["chat:7"] == Limit(1.0, 3)
    assert group["bot"] == private["bot"] == Limit(30.0, 1)


async def test_a_slot_given_back_is_the_next_one(pacer: Pacer) -> None:
    for _ in range(5):
        await pacer.reserve(TEN)
    await pacer.release(TEN)
    assert await pacer.backlog() == pytest.approx(0.4, abs=0.05)
    wait, granted = await pacer.reserve(TEN)
    assert granted
    assert wait == pytest.approx(0.4, abs=0.05)


async def test_a_turn_reserved_before_a_429_waits_for_its_end(pacer: Pacer) -> None:
    # The slot is 0.3 s away when reserved; a 429 announcing 1 s comes 0.1 s later. The send
    # must not begin when its slot comes, inside the window, but after the window.
    for _ in range(3):
        await pacer.reserve(TEN)
    began = time.monotonic()
    turn = asyncio.create_task(pacer.take_turn(TEN))
    await asyncio.sleep(0.1)
    await pacer.pause(1.0)
    assert await turn == 0.0
    assert time.monotonic() - began >= 1.05


async def test_a_turn_that_cannot_come_in_time_keeps_nothing(pacer: Pacer) -> None:
    for _ in range(3):
        await pacer.reserve(TEN)
    turn = asyncio.create_task(pacer.take_turn(TEN, max_wait=0.5))
    await asyncio.sleep(0.1)
    await pacer.pause(2.0)
    held = await turn
    assert held == pytest.approx(1.8, abs=0.15)  # the pause left, when the slot came
    assert await pacer.backlog() == pytest.approx(0.0, abs=0.05)  # its slot given back
