"""What the gating repositories share: the transaction's connection, an upsert in its
dialect, the check that a chat is known, and moving a chat's rows to its new id."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Table, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from tgpass.errors import NotFound
from tgpass.store.sql.tables import gated_chats


class SqlRepository:
    def __init__(self, db: AsyncConnection) -> None:
        self.db = db

    def _upsert(self, table: Table) -> Any:
        dialect = postgresql if self.db.dialect.name == "postgresql" else sqlite
        return dialect.insert(table)

    async def _known(self, chat_id: int) -> None:
        found = await self.db.execute(
            select(gated_chats.c.chat_id).where(gated_chats.c.chat_id == chat_id)
        )
        if found.first() is None:
            raise NotFound(f"no gated chat {chat_id}")

    async def _move_rows(
        self, table: Table, key: Column[Any], old_chat_id: int, new_chat_id: int
    ) -> None:
        """The old chat's rows go to the new id, unless it holds one with the same key."""
        taken = select(key).where(table.c.chat_id == new_chat_id)
        await self.db.execute(delete(table).where(table.c.chat_id == old_chat_id, key.in_(taken)))
        await self.db.execute(
            update(table).where(table.c.chat_id == old_chat_id).values(chat_id=new_chat_id)
        )
