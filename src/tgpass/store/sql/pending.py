"""Link codes and consents, handled updates, notifications and idempotency keys, in SQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, exists, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from tgpass.service.uow import (
    Consent,
    FailedUpdate,
    LinkStore,
    Notification,
    NotificationStore,
    StoredAnswer,
    UpdateLog,
)

from .tables import (
    bot_updates,
    idempotency_keys,
    link_codes,
    link_consents,
    notifications,
    outbox,
)


def _insert_or_skip(db: AsyncConnection, table: Any) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING, in the connection's dialect."""
    dialect = postgresql if db.dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing()


class SqlLinks(LinkStore):
    def __init__(self, db: AsyncConnection) -> None:
        self.db = db

    async def put_code(self, user_id: int, code_hash: str, *, expires_at: float) -> None:
        await self.db.execute(delete(link_codes).where(link_codes.c.user_id == user_id))
        await self.db.execute(
            insert(link_codes).values(user_id=user_id, code_hash=code_hash, expires_at=expires_at)
        )

    async def take_code(self, code_hash: str, *, now: float) -> int | None:
        row = (
            await self.db.execute(
                delete(link_codes)
                .where(link_codes.c.code_hash == code_hash)
                .returning(link_codes.c.user_id, link_codes.c.expires_at)
            )
        ).one_or_none()
        return None if row is None or row.expires_at <= now else int(row.user_id)

    async def pending_code(self, user_id: int, *, now: float) -> float | None:
        expires = (
            await self.db.execute(
                select(link_codes.c.expires_at).where(
                    link_codes.c.user_id == user_id, link_codes.c.expires_at > now
                )
            )
        ).scalar_one_or_none()
        return None if expires is None else float(expires)

    async def cancel_code(self, user_id: int) -> bool:
        done = await self.db.execute(delete(link_codes).where(link_codes.c.user_id == user_id))
        return bool(done.rowcount)

    async def put_consent(
        self, token_hash: str, consent: Consent, *, telegram_id: int, expires_at: float
    ) -> None:
        await self.db.execute(
            insert(link_consents).values(
                token_hash=token_hash,
                user_id=consent.user_id,
                telegram_id=telegram_id,
                chat_id=consent.chat_id,
                expires_at=expires_at,
            )
        )

    async def take_consent(
        self, token_hash: str, *, telegram_id: int, now: float
    ) -> Consent | None:
        row = (
            await self.db.execute(
                delete(link_consents)
                .where(
                    link_consents.c.token_hash == token_hash,
                    link_consents.c.telegram_id == telegram_id,
                )
                .returning(
                    link_consents.c.user_id, link_consents.c.chat_id, link_consents.c.expires_at
                )
            )
        ).one_or_none()
        if row is None or row.expires_at <= now:
            return None
        return Consent(int(row.user_id), int(row.chat_id))


class SqlUpdateLog(UpdateLog):
    def __init__(self, db: AsyncConnection) -> None:
        self.db = db

    async def claim(self, bot_id: int, update_id: int, *, now: float) -> bool:
        dialect = postgresql if self.db.dialect.name == "postgresql" else sqlite
        upsert = dialect.insert(bot_updates).values(
            bot_id=bot_id, update_id=update_id, state="handled", created_at=now
        )
        # A dead letter is handled afresh when its update comes again.
        retry = upsert.on_conflict_do_update(
            index_elements=[bot_updates.c.bot_id, bot_updates.c.update_id],
            set_={"state": "handled", "error": None, "payload": None, "created_at": now},
            where=bot_updates.c.state == "failed",
        )
        done = await self.db.execute(retry)
        return bool(done.rowcount)

    async def fail(
        self, bot_id: int, update_id: int, *, error: str, payload: str | None, now: float
    ) -> None:
        values = {"state": "failed", "error": error[:500], "payload": payload, "created_at": now}
        done = await self.db.execute(
            update(bot_updates)
            .where(bot_updates.c.bot_id == bot_id, bot_updates.c.update_id == update_id)
            .values(values)
        )
        if not done.rowcount:
            await self.db.execute(
                _insert_or_skip(self.db, bot_updates).values(
                    bot_id=bot_id, update_id=update_id, **values
                )
            )

    async def failed(self, *, limit: int = 100) -> list[FailedUpdate]:
        rows = await self.db.execute(
            select(bot_updates)
            .where(bot_updates.c.state == "failed")
            .order_by(bot_updates.c.created_at.desc())
            .limit(limit)
        )
        return [
            FailedUpdate(r.bot_id, r.update_id, r.error or "", r.payload, r.created_at)
            for r in rows
        ]

    async def forget(self, bot_id: int, update_id: int) -> None:
        await self.db.execute(
            delete(bot_updates).where(
                bot_updates.c.bot_id == bot_id, bot_updates.c.update_id == update_id
            )
        )


class SqlNotifications(NotificationStore):
    def __init__(self, db: AsyncConnection) -> None:
        self.db = db

    async def add(self, notification: Notification) -> None:
        await self.db.execute(
            insert(notifications).values(
                id=notification.id,
                kind=notification.kind,
                recipients=notification.recipients,
                payload=notification.payload,
                created_at=notification.created_at,
                completed_at=notification.completed_at,
            )
        )

    async def get(self, notification_id: str) -> Notification | None:
        row = (
            await self.db.execute(
                select(notifications).where(notifications.c.id == notification_id)
            )
        ).one_or_none()
        if row is None:
            return None
        return Notification(
            row.id, row.kind, row.recipients, row.payload, row.created_at, row.completed_at
        )

    async def complete(self, notification_id: str, *, now: float) -> bool:
        # Locked first, so that two transactions settling its last messages take turns: on
        # PostgreSQL (READ COMMITTED) the second's update below then starts after the first
        # committed and sees its settlements; without the lock each would see the other's
        # row still sending, and neither would complete it. SQLite's single writer serializes
        # them anyway.
        await self.db.execute(
            select(notifications.c.id)
            .where(notifications.c.id == notification_id)
            .with_for_update()
        )
        unsettled = exists().where(
            outbox.c.notification_id == notification_id, outbox.c.state.in_(("queued", "sending"))
        )
        done = await self.db.execute(
            update(notifications)
            .where(
                notifications.c.id == notification_id,
                notifications.c.completed_at.is_(None),
                ~unsettled,
            )
            .values(completed_at=now)
        )
        return bool(done.rowcount)

    async def answer_for(self, key_hash: str) -> StoredAnswer | None:
        row = (
            await self.db.execute(
                select(idempotency_keys).where(idempotency_keys.c.key_hash == key_hash)
            )
        ).one_or_none()
        return None if row is None else StoredAnswer(row.request_hash, row.status, row.response)

    async def remember(self, key_hash: str, answer: StoredAnswer, *, now: float) -> bool:
        done = await self.db.execute(
            _insert_or_skip(self.db, idempotency_keys).values(
                key_hash=key_hash,
                request_hash=answer.request_hash,
                status=answer.status,
                response=answer.response,
                created_at=now,
            )
        )
        return bool(done.rowcount)
