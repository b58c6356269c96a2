"""Reads of accounts cached for a moment, in this process.

The Mini App's ``Authorization: tma`` makes every API call a sign-in; without a cache each
would cost several queries. Any write through this process clears the cache; a change made
by another process is seen here after at most ``ttl`` seconds.

What is cached is written out below (``get_user``, ``find_user`` by Telegram id,
``telegram_link``); every other method of the store is named in one of two lists, as
passed through or as a write that clears the cache. A method added to ``AccountStore``
and named in neither leaves this class abstract, so that it cannot be built (TypeError)
until someone decides which it is.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Concatenate, ParamSpec, TypeVar

from tgpass.domain.accounts import TelegramLink, User
from tgpass.service.cache import TtlCache
from tgpass.service.ports import AccountStore

P = ParamSpec("P")
R = TypeVar("R")
Method = Callable[Concatenate["CachedAccountStore", P], Coroutine[Any, Any, R]]


def _forward(
    method: Callable[Concatenate[AccountStore, P], Awaitable[R]], *, clears: bool = False
) -> Method[P, R]:
    """``method`` of ``AccountStore`` (its signature, so that it is type-checked), called on
    the wrapped store; with ``clears``, the cache is cleared after it, whatever its outcome,
    so that no read racing the write caches the old state."""
    name = method.__name__

    async def forwarded(self: CachedAccountStore, /, *args: P.args, **kwargs: P.kwargs) -> R:
        call: Callable[P, Awaitable[R]] = getattr(self.store, name)
        if not clears:
            return await call(*args, **kwargs)
        try:
            return await call(*args, **kwargs)
        finally:
            self.invalidate()

    # (named by hand: functools.wraps would copy __isabstractmethod__ too)
    forwarded.__name__, forwarded.__doc__ = name, method.__doc__
    forwarded.__qualname__ = f"CachedAccountStore.{name}"
    return forwarded


class CachedAccountStore(AccountStore):
    def __init__(self, store: AccountStore, *, ttl: float = 1.0) -> None:
        self.store = store
        self._cache: TtlCache[tuple[Any]] = TtlCache(ttl)
        self._loading: dict[tuple[Any, ...], asyncio.Future[Any]] = {}
        self._generation = 0

    # -- passed through, not cached ------------------------------------------------------------

    get_users = _forward(AccountStore.get_users)
    audience = _forward(AccountStore.audience)
    close = _forward(AccountStore.close)

    # -- writes: passed through, then the cache is cleared --------------------------------------

    create_user = _forward(AccountStore.create_user, clears=True)
    update_user = _forward(AccountStore.update_user, clears=True)
    bump_session_epoch = _forward(AccountStore.bump_session_epoch, clears=True)
    link_telegram = _forward(AccountStore.link_telegram, clears=True)
    delete_user = _forward(AccountStore.delete_user, clears=True)
    unlink_telegram = _forward(AccountStore.unlink_telegram, clears=True)
    update_telegram = _forward(AccountStore.update_telegram, clears=True)

    def invalidate(self) -> None:
        """Forget every read: a unit of work committed a change."""
        self._generation += 1
        self._cache.clear()

    # -- cached reads ----------------------------------------------------------------------------

    async def get_user(self, user_id: int) -> User | None:
        return await self._read(("user", user_id), lambda: self.store.get_user(user_id))

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
            return await self._read(key, lambda: self.store.find_user(telegram_id=telegram_id))
        return await self.store.find_user(
            username=username, site_user_id=site_user_id, telegram_id=telegram_id
        )

    async def telegram_link(
        self, *, user_id: int | None = None, telegram_id: int | None = None
    ) -> TelegramLink | None:
        key = ("link", user_id, telegram_id)
        hit = self._cache.get(key)
        if hit is not None:
            cached: TelegramLink | None = hit[0]
            return cached
        return await self._read(
            key, lambda: self.store.telegram_link(user_id=user_id, telegram_id=telegram_id)
        )

    async def _read(self, key: tuple[Any, ...], load: Callable[[], Awaitable[R]]) -> R:
        hit = self._cache.get(key)
        if hit is not None:  # (callers look the cache up first too; this catches a race)
            found: R = hit[0]
            return found
        # One load per key at a time: when an entry expires under load, the callers waiting
        # for it share one query instead of all querying at once.
        pending: asyncio.Future[R] | None = self._loading.get(key)
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
