"""Reads of accounts cached for a moment, in this process.

The Mini App's ``Authorization: tma`` makes every API call a sign-in; without a cache each
would cost several queries. Any write through this process clears the cache; a change made
by another process is seen here after at most ``ttl`` seconds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from typing import Any

from tgpass.domain.accounts import TelegramLink, TelegramProfile, User
from tgpass.service.cache import TtlCache
from tgpass.service.ports import UNSET, AccountStore


class CachedAccountStore(AccountStore):
    def __init__(self, store: AccountStore, *, ttl: float = 1.0) -> None:
        self.store = store
        self._cache: TtlCache[tuple[Any]] = TtlCache(ttl)
        self._loading: dict[tuple[Any, ...], asyncio.Future[Any]] = {}
        self._generation = 0

    async def _read(self, key: tuple[Any, ...], load: Any) -> Any:
        hit = self._cache.get(key)
        if hit is not None:  # (callers look the cache up first too; this catches a race)
            return hit[0]
        # One load per key at a time: when an entry expires under load, the callers waiting
        # for it share one query instead of all querying at once.
        pending = self._loading.get(key)
        if pending is None:
            generation = self._generation
            pending = asyncio.ensure_future(load())
            self._loading[key] = pending
            try:
                value = await pending
            finally:
                self._loading.pop(key, None)
            if generation == self._generation:  # no write happened meanwhile
                self._cache.put(key, (value,))
            return value
        return await asyncio.shield(pending)

    async def _write(self, done: Any) -> Any:
        # cleared after the write, so that no read racing it caches the old state
        try:
            return await done
        finally:
            self.invalidate()

    async def create_user(self, **fields: Any) -> User:
        created: User = await self._write(self.store.create_user(**fields))
        return created

    async def get_user(self, user_id: int) -> User | None:
        found: User | None = await self._read(
            ("user", user_id), lambda: self.store.get_user(user_id)
        )
        return found

    async def get_users(self, user_ids: Collection[int]) -> dict[int, User]:
        found: dict[int, User] = await self.store.get_users(user_ids)
        return found

    async def find_user(
        self,
        *,
        username: str | None = None,
        site_user_id: str | None = None,
        telegram_id: int | None = None,
    ) -> User | None:
        if telegram_id is not None and username is None and site_user_id is None:
            key = ("by-telegram", telegram_id)
            hit = self._cache.get(key)  # the hot path: no closure, no await
            if hit is not None:
                cached: User | None = hit[0]
                return cached
            found: User | None = await self._read(
                key, lambda: self.store.find_user(telegram_id=telegram_id)
            )
            return found
        return await self.store.find_user(
            username=username, site_user_id=site_user_id, telegram_id=telegram_id
        )

    async def update_user(self, user_id: int, **changes: Any) -> User:
        updated: User = await self._write(self.store.update_user(user_id, **changes))
        return updated

    async def bump_session_epoch(self, user_id: int) -> int:
        epoch: int = await self._write(self.store.bump_session_epoch(user_id))
        return epoch

    async def telegram_link(
        self, *, user_id: int | None = None, telegram_id: int | None = None
    ) -> TelegramLink | None:
        key = ("link", user_id, telegram_id)
        hit = self._cache.get(key)
        if hit is not None:
            cached: TelegramLink | None = hit[0]
            return cached
        found: TelegramLink | None = await self._read(
            key, lambda: self.store.telegram_link(user_id=user_id, telegram_id=telegram_id)
        )
        return found

    async def link_telegram(
        self,
        user_id: int,
        profile: TelegramProfile,
        *,
        chat_id: int | None = None,
        move: bool = False,
    ) -> TelegramLink:
        link: TelegramLink = await self._write(
            self.store.link_telegram(user_id, profile, chat_id=chat_id, move=move)
        )
        return link

    async def delete_user(self, user_id: int) -> bool:
        deleted: bool = await self._write(self.store.delete_user(user_id))
        return deleted

    async def unlink_telegram(
        self, *, user_id: int | None = None, telegram_id: int | None = None
    ) -> TelegramLink | None:
        removed: TelegramLink | None = await self._write(
            self.store.unlink_telegram(user_id=user_id, telegram_id=telegram_id)
        )
        return removed

    async def update_telegram(
        self,
        telegram_id: int,
        *,
        profile: TelegramProfile | None = None,
        chat_id: int | None = UNSET,
        phone_number: str | None = UNSET,
        bot_blocked: bool | None = None,
    ) -> None:
        await self._write(
            self.store.update_telegram(
                telegram_id,
                profile=profile,
                chat_id=chat_id,
                phone_number=phone_number,
                bot_blocked=bot_blocked,
            )
        )

    async def audience(self, **filters: Any) -> list[tuple[User, TelegramLink]]:
        found: list[tuple[User, TelegramLink]] = await self.store.audience(**filters)
        return found

    def invalidate(self) -> None:
        """Forget every read: a unit of work committed a change."""
        self._generation += 1
        self._cache.clear()

    async def close(self) -> None:
        await self.store.close()
