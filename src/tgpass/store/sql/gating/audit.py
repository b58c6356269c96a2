"""The gating audit trail in SQL (no foreign key: it outlives a forgotten chat)."""

from __future__ import annotations

from sqlalchemy import insert, select, update

from tgpass.service.uow import AuditEntry, AuditLog
from tgpass.store.sql.tables import gating_audit

from .common import SqlRepository

MAX_REASON = 500


class SqlAuditLog(SqlRepository, AuditLog):
    async def add(
        self,
        chat_id: int,
        action: str,
        *,
        telegram_id: int | None,
        user_id: int | None,
        reason: str,
        now: float,
    ) -> None:
        await self.db.execute(
            insert(gating_audit).values(
                chat_id=chat_id,
                action=action,
                telegram_id=telegram_id,
                user_id=user_id,
                reason=reason[:MAX_REASON],
                created_at=now,
            )
        )

    async def entries(
        self, *, chat_id: int | None = None, user_id: int | None = None, limit: int = 100
    ) -> list[AuditEntry]:
        query = select(gating_audit).order_by(gating_audit.c.id.desc()).limit(limit)
        if chat_id is not None:
            query = query.where(gating_audit.c.chat_id == chat_id)
        if user_id is not None:
            query = query.where(gating_audit.c.user_id == user_id)
        rows = await self.db.execute(query)
        return [
            AuditEntry(r.id, r.chat_id, r.action, r.telegram_id, r.user_id, r.reason, r.created_at)
            for r in rows
        ]

    async def move_chat(self, old_chat_id: int, new_chat_id: int) -> None:
        await self.db.execute(
            update(gating_audit)
            .where(gating_audit.c.chat_id == old_chat_id)
            .values(chat_id=new_chat_id)
        )
