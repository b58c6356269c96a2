"""One contract, every KV backend: memory and Redis."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator

import pytest

from tests.conftest import redis_or_skip
from tgpass.store.kv import KeyValueStore, kv_from_url
from tgpass.store.kv.memory import MemoryStore


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
