"""Gated chats in SQL: chats, rules, members, invite links and the audit trail.

An invite is used or revoked by one conditional UPDATE (``WHERE state = 'live'``): of two
transactions racing for it, the second finds it no longer live (PostgreSQL re-checks the row
once the first commits; SQLite has one writer)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from tgpass.domain.gating import (
    PRESENT,
    Chat,
    ChatRule,
    Invitation,
    JoinRequest,
    Member,
    MemberStatus,
)
from tgpass.errors import Conflict, NotFound
from tgpass.service.uow import AuditEntry, ChatStore

from .tables import (
    gated_chat_rules,
    gated_chats,
    gated_invites,
    gated_join_requests,
    gated_members,
    gating_audit,
    gating_requests,
)

MAX_REASON = 500


def _names(names: frozenset[str]) -> str:
    return json.dumps(sorted(names))


def _chat(row: Any) -> Chat:
    return Chat(
        chat_id=row.chat_id,
        title=row.title,
        type=row.type,
        bot_rights=frozenset(json.loads(row.bot_rights)),
        paused_reason=row.paused_reason,
        managed=row.managed,
    )


def _invite(row: Any) -> Invitation:
    return Invitation(row.name, row.user_id, row.telegram_id, row.expires_at, row.invite_link)


def _join_request(row: Any) -> JoinRequest:
    return JoinRequest(
        chat_id=row.chat_id,
        telegram_id=row.telegram_id,
        user_chat_id=row.user_chat_id,
        at=row.at,
        query_id=row.query_id,
        invite_link=row.invite_link,
        attempts=row.attempts,
    )


class SqlChats(ChatStore):
    def __init__(self, db: AsyncConnection) -> None:
        self.db = db

    def _upsert(self, table: Any) -> Any:
        dialect = postgresql if self.db.dialect.name == "postgresql" else sqlite
        return dialect.insert(table)

    async def _known(self, chat_id: int) -> None:
        found = await self.db.execute(
            select(gated_chats.c.chat_id).where(gated_chats.c.chat_id == chat_id)
        )
        if found.first() is None:
            raise NotFound(f"no gated chat {chat_id}")

    async def upsert_chat(self, chat: Chat) -> None:
        values = {
            "title": chat.title,
            "type": chat.type,
            "bot_rights": _names(chat.bot_rights),
            "paused_reason": chat.paused_reason,
            "managed": chat.managed,
        }
        statement = self._upsert(gated_chats).values(chat_id=chat.chat_id, **values)
        await self.db.execute(
            statement.on_conflict_do_update(index_elements=[gated_chats.c.chat_id], set_=values)
        )

    async def get_chat(self, chat_id: int) -> Chat | None:
        row = (
            await self.db.execute(select(gated_chats).where(gated_chats.c.chat_id == chat_id))
        ).one_or_none()
        return None if row is None else _chat(row)

    async def list_chats(self) -> list[Chat]:
        rows = await self.db.execute(select(gated_chats).order_by(gated_chats.c.chat_id))
        return [_chat(row) for row in rows]

    async def set_rule(self, chat_id: int, rule: ChatRule | None) -> None:
        await self._known(chat_id)
        await self.db.execute(delete(gated_chat_rules).where(gated_chat_rules.c.chat_id == chat_id))
        if rule is not None:
            roles = None if rule.roles is None else _names(rule.roles)
            await self.db.execute(
                insert(gated_chat_rules).values(
                    chat_id=chat_id, min_karma=rule.min_karma, roles=roles
                )
            )

    async def get_rule(self, chat_id: int) -> ChatRule | None:
        row = (
            await self.db.execute(
                select(gated_chat_rules).where(gated_chat_rules.c.chat_id == chat_id)
            )
        ).one_or_none()
        if row is None:
            return None
        roles = None if row.roles is None else frozenset(json.loads(row.roles))
        return ChatRule(min_karma=row.min_karma, roles=roles)

    async def record_member(
        self,
        chat_id: int,
        telegram_id: int,
        status: MemberStatus,
        *,
        now: float,
        user_id: int | None = None,
    ) -> None:
        await self._known(chat_id)
        present = status in PRESENT
        statement = self._upsert(gated_members).values(
            chat_id=chat_id,
            telegram_id=telegram_id,
            status=status,
            updated_at=now,
            user_id=user_id if present else None,
        )
        changes: dict[str, Any] = {"status": status, "updated_at": now}
        if status != "kicked":
            changes["owed_unban"] = False
        if user_id is not None or not present:  # else: who they were admitted for stays
            changes["user_id"] = user_id if present else None
        await self.db.execute(
            statement.on_conflict_do_update(
                index_elements=[gated_members.c.chat_id, gated_members.c.telegram_id],
                set_=changes,
            )
        )

    async def memberships(self, telegram_id: int) -> dict[int, Member]:
        rows = await self.db.execute(
            select(gated_members.c.chat_id, gated_members.c.status, gated_members.c.user_id).where(
                gated_members.c.telegram_id == telegram_id
            )
        )
        return {chat_id: Member(telegram_id, status, user_id) for chat_id, status, user_id in rows}

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

    async def members(self, chat_id: int) -> list[Member]:
        rows = await self.db.execute(
            select(gated_members.c.telegram_id, gated_members.c.status, gated_members.c.user_id)
            .where(gated_members.c.chat_id == chat_id)
            .order_by(gated_members.c.telegram_id)
        )
        return [Member(telegram_id, status, user_id) for telegram_id, status, user_id in rows]

    async def add_invite(self, chat_id: int, invite: Invitation, *, now: float) -> None:
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

    async def revoke_invite(self, chat_id: int, name: str, *, now: float) -> bool:
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

    async def consume_invite(
        self, chat_id: int, link_hash: str, *, telegram_id: int, now: float
    ) -> Invitation | None:
        row = (
            await self.db.execute(
                update(gated_invites)
                .where(
                    gated_invites.c.chat_id == chat_id,
                    gated_invites.c.link_hash == link_hash,
                    gated_invites.c.telegram_id == telegram_id,
                    gated_invites.c.state == "live",
                    gated_invites.c.expires_at > now,
                )
                .values(state="used", closed_at=now)
                .returning(gated_invites)
            )
        ).one_or_none()
        return None if row is None else _invite(row)

    async def live_invites(self, chat_id: int, *, now: float) -> list[Invitation]:
        rows = await self.db.execute(
            select(gated_invites)
            .where(
                gated_invites.c.chat_id == chat_id,
                gated_invites.c.state == "live",
                gated_invites.c.expires_at > now,
            )
            .order_by(gated_invites.c.name)
        )
        return [_invite(row) for row in rows]

    async def migrate(self, old_chat_id: int, new_chat_id: int) -> bool:
        db = self.db
        await db.execute(
            update(gating_audit)
            .where(gating_audit.c.chat_id == old_chat_id)
            .values(chat_id=new_chat_id)
        )
        old = await self.get_chat(old_chat_id)
        if old is None or old_chat_id == new_chat_id:
            return old is not None
        if await self.get_chat(new_chat_id) is None:
            # Telegram migrates groups to supergroups only.
            moved = Chat(
                new_chat_id, old.title, "supergroup", old.bot_rights, old.paused_reason, old.managed
            )
            await self.upsert_chat(moved)
        if await self.get_rule(new_chat_id) is None:
            await db.execute(
                update(gated_chat_rules)
                .where(gated_chat_rules.c.chat_id == old_chat_id)
                .values(chat_id=new_chat_id)
            )
        # Members and invites move unless the new chat holds one with the same key already.
        for table, key in (
            (gated_members, gated_members.c.telegram_id),
            (gated_invites, gated_invites.c.name),
            (gated_join_requests, gated_join_requests.c.telegram_id),
        ):
            taken = select(key).where(table.c.chat_id == new_chat_id)
            await db.execute(delete(table).where(table.c.chat_id == old_chat_id, key.in_(taken)))
            await db.execute(
                update(table).where(table.c.chat_id == old_chat_id).values(chat_id=new_chat_id)
            )
        # What is left of the old chat (a rule the new one overrode) goes with it.
        await db.execute(delete(gated_chats).where(gated_chats.c.chat_id == old_chat_id))
        return True

    async def add_join_request(self, request: JoinRequest) -> None:
        await self._known(request.chat_id)
        values = {
            "user_chat_id": request.user_chat_id,
            "at": request.at,
            "query_id": request.query_id,
            "invite_link": request.invite_link,
            "attempts": request.attempts,
            "next_at": request.at,
        }
        statement = self._upsert(gated_join_requests).values(
            chat_id=request.chat_id, telegram_id=request.telegram_id, **values
        )
        await self.db.execute(
            statement.on_conflict_do_update(
                index_elements=[gated_join_requests.c.chat_id, gated_join_requests.c.telegram_id],
                set_=values,
            )
        )

    async def due_join_requests(self, *, now: float, limit: int) -> list[JoinRequest]:
        rows = await self.db.execute(
            select(gated_join_requests)
            .where(gated_join_requests.c.next_at <= now)
            .order_by(
                gated_join_requests.c.at,
                gated_join_requests.c.chat_id,
                gated_join_requests.c.telegram_id,
            )
            .limit(limit)
        )
        return [_join_request(row) for row in rows]

    def _join_request_at(self, chat_id: int, telegram_id: int, at: float) -> Any:
        return (
            gated_join_requests.c.chat_id == chat_id,
            gated_join_requests.c.telegram_id == telegram_id,
            gated_join_requests.c.at == at,
        )

    async def answered_join_request(self, chat_id: int, telegram_id: int, *, at: float) -> bool:
        done = await self.db.execute(
            delete(gated_join_requests).where(*self._join_request_at(chat_id, telegram_id, at))
        )
        return bool(done.rowcount)

    async def postpone_join_request(
        self, chat_id: int, telegram_id: int, *, at: float, until: float
    ) -> None:
        await self.db.execute(
            update(gated_join_requests)
            .where(*self._join_request_at(chat_id, telegram_id, at))
            .values(next_at=until, attempts=gated_join_requests.c.attempts + 1)
        )

    async def request_reconcile(self, reason: str, *, now: float) -> int:
        done = await self.db.execute(
            insert(gating_requests)
            .values(reason=reason[:64], created_at=now)
            .returning(gating_requests.c.id)
        )
        return int(done.scalar_one())

    async def last_reconcile_request(self) -> int:
        found = await self.db.execute(select(func.max(gating_requests.c.id)))
        return int(found.scalar() or 0)

    async def reconciled(self, upto: int) -> None:
        await self.db.execute(delete(gating_requests).where(gating_requests.c.id <= upto))

    async def audit(
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

    async def audit_log(
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
