"""Personal invite links in SQL, looked up by a hash of the URL.

An invite is used or revoked by one conditional UPDATE (``WHERE state = 'live'``): of two
transactions racing for it, the second finds it no longer live (PostgreSQL re-checks the row
once the first commits; SQLite has one writer)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from tgpass.domain.gating import Invitation
from tgpass.errors import Conflict
from tgpass.service.uow import InviteRepository
from tgpass.store.sql.tables import gated_invites

from .common import SqlRepository


def _invite(row: Any) -> Invitation:
    return Invitation(row.name, row.user_id, row.telegram_id, row.expires_at, row.invite_link)


def _live(now: float) -> tuple[Any, ...]:
    return (gated_invites.c.state == "live", gated_invites.c.expires_at > now)


class SqlInvites(SqlRepository, InviteRepository):
    async def add(self, chat_id: int, invite: Invitation, *, now: float) -> None:
        await self._known(chat_id)
        try:
            async with self.db.begin_nested():  # a clash leaves the transaction usable
                await self.db.execute(
                    insert(gated_invites).values(
                        chat_id=chat_id,
                        name=invite.name,
                        link_hash=invite.link_hash,
                        invite_link=invite.link,
                        user_id=invite.user_id,
                        telegram_id=invite.telegram_id,
                        expires_at=invite.expires_at,
                        state="live",
                        created_at=now,
                    )
                )
        except IntegrityError:
            raise Conflict(f"an invite named {invite.name!r} or with that link exists") from None

    async def revoke(self, chat_id: int, name: str, *, now: float) -> bool:
        done = await self.db.execute(
            update(gated_invites)
            .where(
                gated_invites.c.chat_id == chat_id,
                gated_invites.c.name == name,
                gated_invites.c.state == "live",
            )
            .values(state="revoked", closed_at=now)
        )
        return bool(done.rowcount)

    async def consume(
        self, chat_id: int, link_hash: str, *, telegram_id: int, now: float
    ) -> Invitation | None:
        row = (
            await self.db.execute(
                update(gated_invites)
                .where(
                    gated_invites.c.chat_id == chat_id,
                    gated_invites.c.link_hash == link_hash,
                    gated_invites.c.telegram_id == telegram_id,
                    *_live(now),
                )
                .values(state="used", closed_at=now)
                .returning(gated_invites)
            )
        ).one_or_none()
        return None if row is None else _invite(row)

    async def live(self, chat_id: int, *, now: float) -> list[Invitation]:
        rows = await self.db.execute(
            select(gated_invites)
            .where(gated_invites.c.chat_id == chat_id, *_live(now))
            .order_by(gated_invites.c.name)
        )
        return [_invite(row) for row in rows]

    async def live_counts(self, *, now: float, chat_id: int | None = None) -> dict[int, int]:
        query = (
            select(gated_invites.c.chat_id, func.count().label("n"))
            .where(*_live(now))
            .group_by(gated_invites.c.chat_id)
        )
        if chat_id is not None:
            query = query.where(gated_invites.c.chat_id == chat_id)
        return {row.chat_id: row.n for row in await self.db.execute(query)}

    async def invited_to(self, user_id: int, *, now: float) -> set[int]:
        rows = await self.db.execute(
            select(gated_invites.c.chat_id)
            .where(gated_invites.c.user_id == user_id, *_live(now))
            .distinct()
        )
        return set(rows.scalars())

    async def move_chat(self, old_chat_id: int, new_chat_id: int) -> None:
        await self._move_rows(gated_invites, gated_invites.c.name, old_chat_id, new_chat_id)
