"""``AccountStore`` over SQLAlchemy Core: the same statements on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tgpass.domain.accounts import TelegramLink, TelegramProfile, User
from tgpass.errors import Conflict, NotFound
from tgpass.service.ports import UNSET, AccountStore, AlreadyLinked

from .source import ConnectionSource, EngineSource
from .tables import telegram_accounts, users


def _utc(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything tgpass stores is UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _user(row: Row[Any]) -> User:
    return User(
        id=row.id,
        display_name=row.display_name,
        username=row.username,
        site_user_id=row.site_user_id,
        role=row.role,
        karma=row.karma,
        session_epoch=row.session_epoch,
        created_at=_utc(row.created_at),
        password_hash=row.password_hash,
        language=row.language,
    )


def _link(row: Row[Any], prefix: str = "") -> TelegramLink:
    def col(name: str) -> Any:
        return getattr(row, prefix + name)

    return TelegramLink(
        user_id=col("user_id"),
        profile=TelegramProfile(
            telegram_id=col("telegram_id"),
            first_name=col("first_name"),
            last_name=col("last_name"),
            username=col("username"),
            photo_url=col("photo_url"),
            language_code=col("language_code"),
        ),
        chat_id=col("chat_id"),
        phone_number=col("phone_number"),
        bot_blocked=col("bot_blocked"),
        linked_at=_utc(col("linked_at")),
    )


def _profile_values(profile: TelegramProfile) -> dict[str, Any]:
    return {
        "first_name": profile.first_name[:128],
        "last_name": profile.last_name[:128] if profile.last_name else None,
        "username": profile.username,
        "photo_url": profile.photo_url
        if profile.photo_url and len(profile.photo_url) <= 512
        else None,
        "language_code": profile.language_code,
    }


class SqlAccountStore(AccountStore):
    """On an engine, each call is its own transaction; on a unit of work's connection
    (``SqlAccountStore.on(source)``), calls join that transaction."""

    def __init__(self, engine: AsyncEngine, clock: Callable[[], datetime] | None = None) -> None:
        self._db: ConnectionSource = EngineSource(engine)
        self.engine = engine
        self._now = clock or (lambda: datetime.now(UTC))

    @classmethod
    def on(cls, source: ConnectionSource) -> SqlAccountStore:
        store = cls.__new__(cls)
        store._db = source
        store._now = lambda: datetime.now(UTC)
        return store

    async def close(self) -> None:
        await self._db.close()

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
        now = self._now()
        values = {
            "display_name": display_name,
            "username": username,
            "password_hash": password_hash,
            "site_user_id": site_user_id,
            "role": role,
            "karma": karma,
            "session_epoch": 0,
            "created_at": now,
            "updated_at": now,
        }
        try:
            async with self._db.write() as db:
                row = (await db.execute(insert(users).values(values).returning(users))).one()
        except IntegrityError:
            raise Conflict("that username or site user id is taken") from None
        return _user(row)

    async def get_user(self, user_id: int) -> User | None:
        async with self._db.read() as db:
            row = (await db.execute(select(users).where(users.c.id == user_id))).one_or_none()
        return None if row is None else _user(row)

    async def get_users(self, user_ids: Collection[int]) -> dict[int, User]:
        if not user_ids:
            return {}
        async with self._db.read() as db:
            rows = await db.execute(select(users).where(users.c.id.in_(set(user_ids))))
        return {row.id: _user(row) for row in rows}

    async def find_user(
        self,
        *,
        username: str | None = None,
        site_user_id: str | None = None,
        telegram_id: int | None = None,
    ) -> User | None:
        if telegram_id is not None:
            query = (
                select(users)
                .join(telegram_accounts, telegram_accounts.c.user_id == users.c.id)
                .where(telegram_accounts.c.telegram_id == telegram_id)
            )
        elif username is not None:
            query = select(users).where(users.c.username == username)
        elif site_user_id is not None:
            query = select(users).where(users.c.site_user_id == site_user_id)
        else:
            raise TypeError("find_user needs one key")
        async with self._db.read() as db:
            row = (await db.execute(query)).one_or_none()
        return None if row is None else _user(row)

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
        changes["updated_at"] = self._now()
        statement = update(users).where(users.c.id == user_id)
        if if_password_hash is not UNSET:
            statement = statement.where(
                users.c.password_hash.is_(None)
                if if_password_hash is None
                else users.c.password_hash == if_password_hash
            )
        try:
            async with self._db.write() as db:
                row = (await db.execute(statement.values(changes).returning(users))).one_or_none()
                exists = (
                    row is not None
                    or (await db.execute(select(users.c.id).where(users.c.id == user_id))).first()
                    is not None
                )
        except IntegrityError:
            raise Conflict("that username is taken") from None
        if row is None and exists:
            raise Conflict("the password changed meanwhile", code="password_set")
        if row is None:
            raise NotFound("no user {user_id}", values={"user_id": user_id})
        return _user(row)

    async def bump_session_epoch(self, user_id: int) -> int:
        async with self._db.write() as db:
            epoch = (
                await db.execute(
                    update(users)
                    .where(users.c.id == user_id)
                    .values(session_epoch=users.c.session_epoch + 1)
                    .returning(users.c.session_epoch)
                )
            ).scalar_one_or_none()
        if epoch is None:
            raise NotFound("no user {user_id}", values={"user_id": user_id})
        return int(epoch)

    async def telegram_link(
        self, *, user_id: int | None = None, telegram_id: int | None = None
    ) -> TelegramLink | None:
        async with self._db.read() as db:
            return await self._link(db, user_id=user_id, telegram_id=telegram_id)

    @staticmethod
    async def _link(
        db: AsyncConnection, *, user_id: int | None = None, telegram_id: int | None = None
    ) -> TelegramLink | None:
        query = select(telegram_accounts)
        if user_id is not None:
            query = query.where(telegram_accounts.c.user_id == user_id)
        elif telegram_id is not None:
            query = query.where(telegram_accounts.c.telegram_id == telegram_id)
        else:
            raise TypeError("telegram_link needs user_id or telegram_id")
        row = (await db.execute(query)).one_or_none()
        return None if row is None else _link(row)

    async def link_telegram(
        self,
        user_id: int,
        profile: TelegramProfile,
        *,
        chat_id: int | None = None,
        move: bool = False,
    ) -> TelegramLink:
        table = telegram_accounts
        try:
            async with self._db.write() as db:
                existing = await self._link(db, telegram_id=profile.telegram_id)
                if existing is not None and existing.user_id != user_id and not move:
                    raise AlreadyLinked(existing.user_id)
                # One Telegram account per site account: the user's previous link goes.
                await db.execute(
                    delete(table).where(
                        table.c.user_id == user_id, table.c.telegram_id != profile.telegram_id
                    )
                )
                values = {**_profile_values(profile), "user_id": user_id}
                if existing is None:
                    values.update(
                        telegram_id=profile.telegram_id,
                        chat_id=chat_id,
                        linked_at=self._now(),
                        bot_blocked=False,
                    )
                    await db.execute(insert(table).values(values))
                else:
                    if chat_id is not None:
                        values["chat_id"] = chat_id
                        values["bot_blocked"] = False
                    if existing.user_id != user_id:
                        values["linked_at"] = self._now()
                    await db.execute(
                        update(table)
                        .where(table.c.telegram_id == profile.telegram_id)
                        .values(values)
                    )
                link = await self._link(db, telegram_id=profile.telegram_id)
        except IntegrityError:
            raise Conflict("the link changed meanwhile; try again") from None
        assert link is not None
        return link

    async def delete_user(self, user_id: int) -> bool:
        async with self._db.write() as db:  # what is the account's own goes with it (CASCADE)
            done = await db.execute(delete(users).where(users.c.id == user_id))
        return bool(done.rowcount)

    async def unlink_telegram(
        self, *, user_id: int | None = None, telegram_id: int | None = None
    ) -> TelegramLink | None:
        async with self._db.write() as db:
            link = await self._link(db, user_id=user_id, telegram_id=telegram_id)
            if link is not None:
                await db.execute(
                    delete(telegram_accounts).where(
                        telegram_accounts.c.telegram_id == link.profile.telegram_id
                    )
                )
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
        values: dict[str, Any] = _profile_values(profile) if profile is not None else {}
        if chat_id is not UNSET:
            values["chat_id"] = chat_id
        if phone_number is not UNSET:
            values["phone_number"] = phone_number
        if bot_blocked is not None:
            values["bot_blocked"] = bot_blocked
        if not values:
            return
        async with self._db.write() as db:
            await db.execute(
                update(telegram_accounts)
                .where(telegram_accounts.c.telegram_id == telegram_id)
                .values(values)
            )

    async def audience(
        self,
        *,
        site_user_ids: Sequence[str] | None = None,
        roles: Sequence[str] | None = None,
        min_karma: int | None = None,
    ) -> list[tuple[User, TelegramLink]]:
        # both tables have a "username": the link's columns are read with a prefix
        linked = [c.label(f"tg_{c.name}") for c in telegram_accounts.c]
        query = select(users, *linked).join(
            telegram_accounts, telegram_accounts.c.user_id == users.c.id
        )
        if site_user_ids is not None:
            query = query.where(users.c.site_user_id.in_(list(site_user_ids)))
        if roles is not None:
            query = query.where(users.c.role.in_(list(roles)))
        if min_karma is not None:
            query = query.where(users.c.karma >= min_karma)
        async with self._db.read() as db:
            rows = (await db.execute(query.order_by(users.c.id))).all()
        return [(_user(row), _link(row, "tg_")) for row in rows]
