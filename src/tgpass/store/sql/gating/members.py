"""Who is in each gated chat, and the unbans owed (a flag on the member's row), in SQL."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import func, select, update

from tgpass.domain.gating import PRESENT, Member, MemberStatus
from tgpass.errors import NotFound
from tgpass.service.uow import GoneSince, MemberRepository
from tgpass.store.sql.tables import gated_members

from .common import SqlRepository


class SqlMembers(SqlRepository, MemberRepository):
    async def record(
        self,
        chat_id: int,
        telegram_id: int,
        status: MemberStatus,
        *,
        now: float,
        user_id: int | None = None,
        unless_gone_since: float | None = None,
    ) -> MemberStatus | None:
        await self._known(chat_id)
        present = status in PRESENT
        key = [gated_members.c.chat_id, gated_members.c.telegram_id]
        # A first record inserts; a concurrent one waits for it to commit, then finds the row.
        inserted = await self.db.execute(
            self._upsert(gated_members)
            .values(
                chat_id=chat_id,
                telegram_id=telegram_id,
                status=status,
                updated_at=now,
                user_id=user_id if present else None,
            )
            .on_conflict_do_nothing(index_elements=key)
            .returning(gated_members.c.status)
        )
        if inserted.first() is not None:
            return None
        # Else the status it replaces, read under the row's lock (held to the end of the
        # transaction): a concurrent recorder reads it after this one committed.
        here = (gated_members.c.chat_id == chat_id, gated_members.c.telegram_id == telegram_id)
        held = (
            await self.db.execute(
                select(gated_members.c.status, gated_members.c.updated_at)
                .where(*here)
                .with_for_update()
            )
        ).first()
        if held is None:  # the row went with its chat meanwhile
            raise NotFound("no gated chat {chat_id}", values={"chat_id": chat_id})
        before, written = held
        if unless_gone_since is not None and before not in PRESENT and written > unless_gone_since:
            raise GoneSince(f"{telegram_id} left chat {chat_id} since")
        changes: dict[str, Any] = {"status": status, "updated_at": now}
        if status != "kicked":
            changes["owed_unban"] = False
        if user_id is not None or not present:  # else: who they were admitted for stays
            changes["user_id"] = user_id if present else None
        await self.db.execute(update(gated_members).where(*here).values(changes))
        return cast(MemberStatus, before)

    async def of_account(self, telegram_id: int) -> dict[int, Member]:
        rows = await self.db.execute(
            select(gated_members.c.chat_id, gated_members.c.status, gated_members.c.user_id).where(
                gated_members.c.telegram_id == telegram_id
            )
        )
        return {chat_id: Member(telegram_id, status, user_id) for chat_id, status, user_id in rows}

    async def of_chat(self, chat_id: int) -> list[Member]:
        rows = await self.db.execute(
            select(gated_members.c.telegram_id, gated_members.c.status, gated_members.c.user_id)
            .where(gated_members.c.chat_id == chat_id)
            .order_by(gated_members.c.telegram_id)
        )
        return [Member(telegram_id, status, user_id) for telegram_id, status, user_id in rows]

    async def present_counts(self, *, chat_id: int | None = None) -> dict[int, int]:
        query = (
            select(gated_members.c.chat_id, func.count().label("n"))
            .where(gated_members.c.status.in_(sorted(PRESENT)))
            .group_by(gated_members.c.chat_id)
        )
        if chat_id is not None:
            query = query.where(gated_members.c.chat_id == chat_id)
        return {row.chat_id: row.n for row in await self.db.execute(query)}

    async def owe_unban(self, chat_id: int, telegram_id: int, *, now: float) -> None:
        await self._known(chat_id)
        statement = self._upsert(gated_members).values(
            chat_id=chat_id,
            telegram_id=telegram_id,
            status="kicked",
            updated_at=now,
            owed_unban=True,
        )
        await self.db.execute(
            statement.on_conflict_do_update(
                index_elements=[gated_members.c.chat_id, gated_members.c.telegram_id],
                set_={"owed_unban": True},
            )
        )

    async def owed_unbans(self) -> list[tuple[int, int]]:
        rows = await self.db.execute(
            select(gated_members.c.chat_id, gated_members.c.telegram_id)
            .where(gated_members.c.owed_unban.is_(True))
            .order_by(gated_members.c.chat_id, gated_members.c.telegram_id)
        )
        return [(chat_id, telegram_id) for chat_id, telegram_id in rows]

    async def move_chat(self, old_chat_id: int, new_chat_id: int) -> None:
        await self._move_rows(gated_members, gated_members.c.telegram_id, old_chat_id, new_chat_id)
