"""One contract, every KV backend: memory and Redis.

Atomicity is tested the way it fails in production: many callers at once, each on a
connection of its own (another process, for Redis), all racing for one key.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from tests.conftest import redis_or_skip
from tgpass.store.kv import KeyValueStore, kv_from_url
from tgpass.store.kv.memory import MemoryStore

Peers = Callable[[int], Awaitable[list[KeyValueStore]]]
RACERS = 50


@pytest.fixture(params=["memory", "redis"])
async def kv(request: pytest.FixtureRequest) -> AsyncIterator[KeyValueStore]:
    if request.param == "memory":
        store: KeyValueStore = MemoryStore()
    else:
        store = kv_from_url(await redis_or_skip(), prefix=f"test:{secrets.token_hex(6)}:")
    try:
        yield store
    finally:
        await store.close()


@pytest.fixture
async def peers(kv: KeyValueStore) -> AsyncIterator[Peers]:
    """``await peers(n)``: n handles on the store behind ``kv``, as n processes would hold.

    For Redis each is a client of its own with its connection already open, so n commands
    are on the wire at once; the memory store is one process, so its peers are itself.
    """
    opened: list[KeyValueStore] = []

    async def make(n: int) -> list[KeyValueStore]:
        if isinstance(kv, MemoryStore):
            return [kv] * n
        from tgpass.store.kv.redis import RedisStore

        assert isinstance(kv, RedisStore)
        url = await redis_or_skip()
        # type(kv): a subclass under test races with its own kind.
        handles: list[KeyValueStore] = [type(kv).from_url(url, prefix=kv._prefix) for _ in range(n)]
        opened.extend(handles)
        await asyncio.gather(*(handle.get("warm-up") for handle in handles))
        return handles

    try:
        yield make
    finally:
        await asyncio.gather(*(handle.close() for handle in opened))


async def test_set_get_delete(kv: KeyValueStore) -> None:
    assert await kv.get("a") is None
    await kv.set("a", b"1", 60)
    assert await kv.get("a") == b"1"
    await kv.delete("a")
    assert await kv.get("a") is None


async def test_values_expire(kv: KeyValueStore) -> None:
    await kv.set("short", b"x", 0.05)
    left = await kv.ttl("short")
    assert left is not None
    assert 0 < left <= 0.05
    await asyncio.sleep(0.12)
    assert await kv.get("short") is None
    assert await kv.ttl("short") is None


async def test_add_only_if_absent(kv: KeyValueStore) -> None:
    assert await kv.add("once", b"1", 60)
    assert not await kv.add("once", b"2", 60)
    assert await kv.get("once") == b"1"


async def test_pop_hands_a_value_to_exactly_one_of_many(kv: KeyValueStore) -> None:
    await kv.set("code", b"user-7", 60)
    results = await asyncio.gather(*(kv.pop("code") for _ in range(50)))
    assert results.count(b"user-7") == 1
    assert results.count(None) == 49


async def test_pop_is_atomic_across_connections(kv: KeyValueStore, peers: Peers) -> None:
    # A GET followed by a DEL hands the same one-time code to every caller that GETs first.
    racers = await peers(RACERS)
    for round_ in range(3):
        await kv.set(f"code{round_}", b"user-7", 60)
        results = await asyncio.gather(*(peer.pop(f"code{round_}") for peer in racers))
        assert results.count(b"user-7") == 1, f"{results.count(b'user-7')} callers got the code"
        assert results.count(None) == RACERS - 1
        assert await kv.get(f"code{round_}") is None


async def test_add_is_atomic_across_connections(kv: KeyValueStore, peers: Peers) -> None:
    # A GET then a SET lets every caller that GETs first believe it won.
    racers = await peers(RACERS)
    for round_ in range(3):
        key = f"once{round_}"
        won = await asyncio.gather(
            *(peer.add(key, str(i).encode(), 60) for i, peer in enumerate(racers))
        )
        assert won.count(True) == 1, f"{won.count(True)} callers added the key"
        assert await kv.get(key) == str(won.index(True)).encode()
        left = await kv.ttl(key)
        assert left is not None
        assert 0 < left <= 60


async def test_incr_is_atomic_across_connections(kv: KeyValueStore, peers: Peers) -> None:
    # A GET then a SET of count + 1 loses increments; every count must be handed out once.
    # (INCR then a separate PEXPIRE on the first count gives the same answers; it only
    # differs when the process dies between the two, leaving a counter that never expires.)
    racers = await peers(RACERS)
    counts = await asyncio.gather(*(peer.incr("hits", 60) for peer in racers))
    assert sorted(counts) == list(range(1, RACERS + 1))
    assert await kv.get("hits") == str(RACERS).encode()
    left = await kv.ttl("hits")
    assert left is not None
    assert 0 < left <= 60


async def test_incr_window_starts_at_the_first_increment(kv: KeyValueStore) -> None:
    # A fixed window: later increments neither extend the TTL nor restart the count.
    assert await kv.incr("window", 0.4) == 1
    await asyncio.sleep(0.15)
    assert await kv.incr("window", 0.4) == 2
    left = await kv.ttl("window")
    assert left is not None
    assert left <= 0.3
    await asyncio.sleep(left + 0.05)
    assert await kv.get("window") is None
    assert await kv.incr("window", 0.4) == 1


async def test_add_succeeds_again_once_the_key_expired(kv: KeyValueStore) -> None:
    assert await kv.add("lease", b"1", 0.05)
    await asyncio.sleep(0.1)
    assert await kv.add("lease", b"2", 60)
    assert await kv.get("lease") == b"2"


async def test_pop_of_an_absent_or_expired_key_is_none(kv: KeyValueStore) -> None:
    assert await kv.pop("never") is None
    await kv.set("gone", b"x", 0.05)
    await asyncio.sleep(0.1)
    assert await kv.pop("gone") is None


async def test_incr_counts_within_a_window(kv: KeyValueStore) -> None:
    counts = await asyncio.gather(*(kv.incr("hits", 60) for _ in range(20)))
    assert sorted(counts) == list(range(1, 21))
    left = await kv.ttl("hits")
    assert left is not None
    assert 0 < left <= 60


async def test_json_helpers(kv: KeyValueStore) -> None:
    await kv.set_json("j", {"user_id": 5_000_000_001, "name": "Зоя"}, 60)
    assert await kv.get_json("j") == {"user_id": 5_000_000_001, "name": "Зоя"}
    assert await kv.pop_json("j") == {"user_id": 5_000_000_001, "name": "Зоя"}
    assert await kv.pop_json("j") is None


def test_unknown_url_is_a_config_error() -> None:
    from tgpass import ConfigError

    with pytest.raises(ConfigError):
        kv_from_url("memcache://x")
