"""The read cache in front of the account store: served from memory, cleared by writes,
one load for many waiting readers."""

from __future__ import annotations

import asyncio
from abc import abstractmethod
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from tgpass.domain.accounts import TelegramProfile
from tgpass.errors import Conflict
from tgpass.service.accounts.cached import CachedAccountStore
from tgpass.service.ports import AccountStore
from tgpass.store.memory.accounts import MemoryAccountStore
from tgpass.store.sql import SqlAccountStore, make_engine, migrate


class CountingStore(SqlAccountStore):
    reads = 0

    async def telegram_link(self, **keys: int | None):  # type: ignore[no-untyped-def, override]
        CountingStore.reads += 1
        await asyncio.sleep(0.01)
        return await super().telegram_link(**keys)


async def test_reads_are_cached_and_writes_clear_them(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'c.sqlite3'}")
    await migrate(engine)
    cached = CachedAccountStore(CountingStore(engine), ttl=60)
    try:
        user = await cached.create_user(display_name="C")
        CountingStore.reads = 0
        results = await asyncio.gather(*(cached.telegram_link(user_id=user.id) for _ in range(20)))
        assert results == [None] * 20
        assert CountingStore.reads == 1  # twenty readers, one query
        await cached.telegram_link(user_id=user.id)
        assert CountingStore.reads == 1
        await cached.link_telegram(user.id, TelegramProfile(telegram_id=9, first_name="T"))
        link = await cached.telegram_link(user_id=user.id)
        assert link is not None  # the write cleared the cached "not linked"
        assert CountingStore.reads == 2
        found = await cached.find_user(telegram_id=9)
        assert found is not None
        assert found.id == user.id
    finally:
        await cached.close()


async def test_ttl_zero_caches_nothing(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'z.sqlite3'}")
    await migrate(engine)
    cached = CachedAccountStore(CountingStore(engine), ttl=0)
    try:
        user = await cached.create_user(display_name="Z")
        CountingStore.reads = 0
        for _ in range(3):
            await cached.telegram_link(user_id=user.id)
        assert CountingStore.reads == 3
    finally:
        await cached.close()


async def test_every_write_clears_the_cache_and_reads_pass_through() -> None:
    store = MemoryAccountStore()
    cached = CachedAccountStore(store, ttl=60)
    user = await cached.create_user(display_name="W")
    profile = TelegramProfile(telegram_id=7, first_name="T")
    writes: list[Callable[[], Awaitable[object]]] = [
        lambda: cached.update_user(user.id, display_name="W2"),
        lambda: cached.bump_session_epoch(user.id),
        lambda: cached.link_telegram(user.id, profile),
        lambda: cached.update_telegram(7, chat_id=7),
        lambda: cached.unlink_telegram(user_id=user.id),
        lambda: cached.delete_user(user.id),
        lambda: cached.create_user(display_name="X"),
    ]
    for write in writes:
        await cached.get_user(user.id)
        generation = cached._generation
        await write()
        assert cached._generation == generation + 1
    assert await cached.get_user(user.id) is None  # (deleted: the cache was cleared)
    other = await cached.create_user(display_name="Y")
    assert await cached.get_users([other.id]) == {other.id: other}
    assert await cached.audience() == []


async def test_a_failed_write_clears_the_cache_too() -> None:
    cached = CachedAccountStore(MemoryAccountStore(), ttl=60)
    user = await cached.create_user(display_name="F", username="f")
    generation = cached._generation
    with pytest.raises(Conflict):
        await cached.create_user(display_name="G", username="f")
    assert cached._generation == generation + 1
    assert await cached.get_user(user.id) == user


def test_a_store_method_named_nowhere_leaves_the_cache_abstract() -> None:
    class Grown(AccountStore):
        @abstractmethod
        async def get_pets(self) -> list[str]: ...

    class Cached(CachedAccountStore, Grown):
        pass

    with pytest.raises(TypeError, match="get_pets"):
        Cached(MemoryAccountStore())  # type: ignore[abstract]
