"""Join requests waiting for an answer, in SQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update

from tgpass.domain.gating import JoinRequest
from tgpass.service.uow import JoinRequestRepository
from tgpass.store.sql.tables import gated_join_requests

from .common import SqlRepository


def _join_request(row: Any) -> JoinRequest:
    return JoinRequest(
        chat_id=row.chat_id,
        telegram_id=row.telegram_id,
        user_chat_id=row.user_chat_id,
        at=row.at,
        query_id=row.query_id,
        invite_link=row.invite_link,
        language_code=row.language_code,
        attempts=row.attempts,
    )


def _made_at(chat_id: int, telegram_id: int, at: float) -> tuple[Any, ...]:
    return (
        gated_join_requests.c.chat_id == chat_id,
        gated_join_requests.c.telegram_id == telegram_id,
        gated_join_requests.c.at == at,
    )


class SqlJoinRequests(SqlRepository, JoinRequestRepository):
    async def add(self, request: JoinRequest) -> None:
        await self._known(request.chat_id)
        values = {
            "user_chat_id": request.user_chat_id,
            "at": request.at,
            "query_id": request.query_id,
            "invite_link": request.invite_link,
            "language_code": request.language_code,
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

    async def due(self, *, now: float, limit: int) -> list[JoinRequest]:
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

    async def answered(self, chat_id: int, telegram_id: int, *, at: float) -> bool:
        done = await self.db.execute(
            delete(gated_join_requests).where(*_made_at(chat_id, telegram_id, at))
        )
        return bool(done.rowcount)

    async def postpone(self, chat_id: int, telegram_id: int, *, at: float, until: float) -> None:
        await self.db.execute(
            update(gated_join_requests)
            .where(*_made_at(chat_id, telegram_id, at))
            .values(next_at=until, attempts=gated_join_requests.c.attempts + 1)
        )

    async def move_chat(self, old_chat_id: int, new_chat_id: int) -> None:
        await self._move_rows(
            gated_join_requests, gated_join_requests.c.telegram_id, old_chat_id, new_chat_id
        )
