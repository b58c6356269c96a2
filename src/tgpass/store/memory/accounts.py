"""``AccountStore`` in memory: the same rules as the SQL store."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Collection, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from tgpass.domain.accounts import TelegramLink, TelegramProfile, User
from tgpass.errors import Conflict, NotFound
from tgpass.service.ports import UNSET, AccountStore, AlreadyLinked

from .database import MemoryDatabase


class MemoryAccountStore(AccountStore):
    """Standalone, each call is a transaction of its own; made by a unit of work
    (``joined=True``), calls run inside the transaction it holds."""

    def __init__(
        self,
        db: MemoryDatabase | None = None,
        *,
        joined: bool = False,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.db = db or MemoryDatabase()
        self._joined = joined
        self._now = clock or (lambda: datetime.now(UTC))

    @contextlib.asynccontextmanager
    async def _tx(self) -> AsyncIterator[None]:
        if self._joined:
            yield
        else:
            async with self.db.transaction():
                yield

    async def create_user(
        self,
        *,
        display_name: str,
        username: str | None = None,
        password_hash: str | None = None,
        site_user_id: str | None = None,
        role: str = "member",
        karma: int = 0,
    ) -> User:
        async with self._tx():
            t = self.db.tables
            if any(
                (username is not None and u.username == username)
                or (site_user_id is not None and u.site_user_id == site_user_id)
                for u in t.users.values()
            ):
                raise Conflict("that username or site user id is taken")
            t.last_user_id += 1
            user = User(
                id=t.last_user_id,
                display_name=display_name,
                username=username,
                site_user_id=site_user_id,
                role=role,
                karma=karma,
                session_epoch=0,
                created_at=self._now(),
                password_hash=password_hash,
            )
            t.users[user.id] = user
            return user

    async def get_user(self, user_id: int) -> User | None:
        return self.db.tables.users.get(user_id)

    async def get_users(self, user_ids: Collection[int]) -> dict[int, User]:
        users = self.db.tables.users
        return {user_id: users[user_id] for user_id in set(user_ids) if user_id in users}

    async def find_user(
        self,
        *,
        username: str | None = None,
        site_user_id: str | None = None,
        telegram_id: int | None = None,
    ) -> User | None:
        t = self.db.tables
        if telegram_id is not None:
            link = t.telegram.get(telegram_id)
            return None if link is None else t.users.get(link.user_id)
        if username is not None:
            return next((u for u in t.users.values() if u.username == username), None)
        if site_user_id is not None:
            return next((u for u in t.users.values() if u.site_user_id == site_user_id), None)
        raise TypeError("find_user needs one key")

    async def update_user(
        self,
        user_id: int,
        *,
        display_name: str | None = None,
        role: str | None = None,
        karma: int | None = None,
        password_hash: str | None = None,
        username: str | None = None,
        if_password_hash: str | None = UNSET,
        language: str | None = None,
    ) -> User:
        async with self._tx():
            user = self.db.tables.users.get(user_id)
            if user is None:
                raise NotFound("no user {user_id}", values={"user_id": user_id})
            if if_password_hash is not UNSET and user.password_hash != if_password_hash:
                raise Conflict("the password changed meanwhile", code="password_set")
            if username is not None and any(
                u.username == username and u.id != user_id for u in self.db.tables.users.values()
            ):
                raise Conflict("that username is taken")
            changes: dict[str, Any] = {
                k: v
                for k, v in {
                    "display_name": display_name,
                    "role": role,
                    "karma": karma,
                    "password_hash": password_hash,
                    "username": username,
                    "language": language,
                }.items()
                if v is not None
            }
            updated = replace(user, **changes)
            self.db.tables.users[user_id] = updated
            return updated

    async def bump_session_epoch(self, user_id: int) -> int:
        async with self._tx():
            user = self.db.tables.users.get(user_id)
            if user is None:
                raise NotFound("no user {user_id}", values={"user_id": user_id})
            self.db.tables.users[user_id] = replace(user, session_epoch=user.session_epoch + 1)
            return user.session_epoch + 1

    async def telegram_link(
        self, *, user_id: int | None = None, telegram_id: int | None = None
    ) -> TelegramLink | None:
        if user_id is not None:
            return next((k for k in self.db.tables.telegram.values() if k.user_id == user_id), None)
        if telegram_id is not None:
            return self.db.tables.telegram.get(telegram_id)
        raise TypeError("telegram_link needs user_id or telegram_id")

    async def link_telegram(
        self,
        user_id: int,
        profile: TelegramProfile,
        *,
        chat_id: int | None = None,
        move: bool = False,
    ) -> TelegramLink:
        async with self._tx():
            t = self.db.tables
            if user_id not in t.users:
                raise Conflict("the link changed meanwhile; try again")
            existing = t.telegram.get(profile.telegram_id)
            if existing is not None and existing.user_id != user_id and not move:
                raise AlreadyLinked(existing.user_id)
            for other in [k for k in t.telegram.values() if k.user_id == user_id]:
                if other.profile.telegram_id != profile.telegram_id:
                    del t.telegram[other.profile.telegram_id]
            if existing is None:
                link = TelegramLink(user_id, profile, chat_id, None, False, self._now())
            else:
                link = replace(
                    existing,
                    user_id=user_id,
                    profile=profile,
                    chat_id=chat_id if chat_id is not None else existing.chat_id,
                    bot_blocked=False if chat_id is not None else existing.bot_blocked,
                    linked_at=self._now() if existing.user_id != user_id else existing.linked_at,
                )
            t.telegram[profile.telegram_id] = link
            return link

    async def delete_user(self, user_id: int) -> bool:
        async with self._tx():
            t = self.db.tables
            if t.users.pop(user_id, None) is None:
                return False
            for telegram_id in [k for k, link in t.telegram.items() if link.user_id == user_id]:
                del t.telegram[telegram_id]
            t.link_codes.pop(user_id, None)
            for token in [k for k, held in t.consents.items() if held[0].user_id == user_id]:
                del t.consents[token]
            return True

    async def unlink_telegram(
        self, *, user_id: int | None = None, telegram_id: int | None = None
    ) -> TelegramLink | None:
        async with self._tx():
            link = await self.telegram_link(user_id=user_id, telegram_id=telegram_id)
            if link is not None:
                del self.db.tables.telegram[link.profile.telegram_id]
            return link

    async def update_telegram(
        self,
        telegram_id: int,
        *,
        profile: TelegramProfile | None = None,
        chat_id: int | None = UNSET,
        phone_number: str | None = UNSET,
        bot_blocked: bool | None = None,
    ) -> None:
        async with self._tx():
            link = self.db.tables.telegram.get(telegram_id)
            if link is None:
                return
            changes: dict[str, Any] = {}
            if profile is not None:
                changes["profile"] = profile
            if chat_id is not UNSET:
                changes["chat_id"] = chat_id
            if phone_number is not UNSET:
                changes["phone_number"] = phone_number
            if bot_blocked is not None:
                changes["bot_blocked"] = bot_blocked
            self.db.tables.telegram[telegram_id] = replace(link, **changes)

    async def audience(
        self,
        *,
        site_user_ids: Sequence[str] | None = None,
        roles: Sequence[str] | None = None,
        min_karma: int | None = None,
    ) -> list[tuple[User, TelegramLink]]:
        found = []
        for link in self.db.tables.telegram.values():
            user = self.db.tables.users[link.user_id]
            if (
                (site_user_ids is None or user.site_user_id in site_user_ids)
                and (roles is None or user.role in roles)
                and (min_karma is None or user.karma >= min_karma)
            ):
                found.append((user, link))
        return sorted(found, key=lambda pair: pair[0].id)
