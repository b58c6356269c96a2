"""Gated chats and their rules in SQL."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import delete, insert, select

from tgpass.domain.gating import Chat, ChatRule
from tgpass.service.uow import ChatRepository
from tgpass.store.sql.tables import gated_chat_rules, gated_chats

from .common import SqlRepository


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


def _rule(row: Any) -> ChatRule:
    roles = None if row.roles is None else frozenset(json.loads(row.roles))
    return ChatRule(min_karma=row.min_karma, roles=roles)


class SqlChats(SqlRepository, ChatRepository):
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
            await self._insert_rule(chat_id, rule)

    async def _insert_rule(self, chat_id: int, rule: ChatRule) -> None:
        roles = None if rule.roles is None else _names(rule.roles)
        await self.db.execute(
            insert(gated_chat_rules).values(chat_id=chat_id, min_karma=rule.min_karma, roles=roles)
        )

    async def get_rule(self, chat_id: int) -> ChatRule | None:
        row = (
            await self.db.execute(
                select(gated_chat_rules).where(gated_chat_rules.c.chat_id == chat_id)
            )
        ).one_or_none()
        return None if row is None else _rule(row)

    async def rules(self) -> dict[int, ChatRule]:
        rows = await self.db.execute(select(gated_chat_rules))
        return {row.chat_id: _rule(row) for row in rows}

    async def copy_chat(self, old_chat_id: int, new_chat_id: int) -> bool:
        old = await self.get_chat(old_chat_id)
        if old is None:
            return False
        if await self.get_chat(new_chat_id) is None:
            # Telegram migrates groups to supergroups only.
            moved = Chat(
                new_chat_id, old.title, "supergroup", old.bot_rights, old.paused_reason, old.managed
            )
            await self.upsert_chat(moved)
        rule = await self.get_rule(old_chat_id)
        if rule is not None and await self.get_rule(new_chat_id) is None:
            await self._insert_rule(new_chat_id, rule)
        return True

    async def delete_chat(self, chat_id: int) -> None:
        # its rule, members, invites and join requests go by the foreign keys' cascade
        await self.db.execute(delete(gated_chats).where(gated_chats.c.chat_id == chat_id))
