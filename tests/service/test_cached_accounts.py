"""The read cache in front of the account store: served from memory, cleared by writes,
one load for many waiting readers."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tgpass.domain.accounts import TelegramProfile
from tgpass.service.accounts.cached import CachedAccountStore
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
