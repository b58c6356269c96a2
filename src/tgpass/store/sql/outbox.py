"""The outbox in SQL. Claiming skips rows another worker has locked (``FOR UPDATE SKIP
LOCKED`` on PostgreSQL; SQLite's single writer needs no more), so workers share the work
and no row is sent by two of them while its lease lasts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger, Float, Integer, String, bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from tgpass.domain.delivery import (
    FINAL,
    STATES,
    NewMessage,
    OutboxItem,
    OutgoingMessage,
    Settlement,
    State,
)
from tgpass.service.uow import OutboxStore

from .tables import outbox

DUE = ("queued", "sending")


def _item(row: Any) -> OutboxItem:
    return OutboxItem(
        id=row.id,
        chat_id=row.chat_id,
        message=OutgoingMessage.from_json(row.payload),
        state=row.state,
        attempts=row.attempts,
        available_at=row.available_at,
        deadline=row.deadline,
        created_at=row.created_at,
        user_id=row.user_id,
        notification_id=row.notification_id,
        last_error=row.last_error,
        finished_at=row.finished_at,
        message_id=row.message_id,
        lease_owner=row.lease_owner,
    )


# One statement for a whole batch of settlements (executemany): the worker records hundreds
# of outcomes a second.
_SETTLE = (
    update(outbox)
    .where(
        outbox.c.id == bindparam("s_id", type_=BigInteger),
        outbox.c.state == "sending",
        outbox.c.lease_owner == bindparam("s_owner", type_=String),
    )
    .values(
        state=bindparam("s_state", type_=String),
        attempts=outbox.c.attempts + bindparam("s_tried", type_=Integer),
        last_error=func.coalesce(bindparam("s_error", type_=String), outbox.c.last_error),
        available_at=bindparam("s_at", type_=Float),
        finished_at=bindparam("s_done", type_=Float),
        message_id=func.coalesce(bindparam("s_message", type_=BigInteger), outbox.c.message_id),
        chat_id=func.coalesce(bindparam("s_chat", type_=BigInteger), outbox.c.chat_id),
    )
)


class SqlOutbox(OutboxStore):
    def __init__(self, db: AsyncConnection) -> None:
        self.db = db

    async def add(
        self, messages: Sequence[NewMessage], *, now: float, deadline: float
    ) -> list[int]:
        if not messages:
            return []
        rows = [
            {
                "notification_id": m.notification_id,
                "user_id": m.user_id,
                "chat_id": m.chat_id,
                "payload": m.message.to_json(),
                "state": m.state,
                "attempts": 0,
                "last_error": m.last_error,
                "available_at": now,
                "deadline": deadline,
                "created_at": now,
                "finished_at": now if m.state in FINAL else 0.0,
            }
            for m in messages
        ]
        ids: list[int] = []
        for start in range(0, len(rows), 500):  # bounded statements for large broadcasts
            result = await self.db.execute(
                insert(outbox).returning(outbox.c.id), rows[start : start + 500]
            )
            ids.extend(int(i) for i in result.scalars())
        return sorted(ids)

    async def claim(
        self, *, owner: str, now: float, lease: float, limit: int, ids: Sequence[int] = ()
    ) -> list[OutboxItem]:
        due = (
            select(outbox.c.id)
            .where(outbox.c.state.in_(DUE), outbox.c.available_at <= now)
            .order_by(outbox.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        if ids:
            due = due.where(outbox.c.id.in_(list(ids)))
        # One statement: PostgreSQL runs this plain sub-select once (a hashed semi-join on
        # its ids), so the update takes no more than ``limit``; the contract tests hold it to
        # that. (The webhook store's, with a correlated order rule, is locked then updated.)
        result = await self.db.execute(
            update(outbox)
            .where(outbox.c.id.in_(due.scalar_subquery()))
            .values(state="sending", available_at=now + lease, lease_owner=owner)
            .returning(outbox)
        )
        return sorted((_item(row) for row in result), key=lambda item: item.id)

    async def settle(
        self, settlements: Sequence[Settlement], *, owner: str, now: float
    ) -> list[Settlement]:
        first: dict[int, Settlement] = {}
        for s in settlements:
            first.setdefault(s.item_id, s)
        # The rows still ours, locked (in id order, as every settler locks them) so that no
        # claimer takes one over between this look and the update: what applies is known.
        ours: set[int] = set()
        ids = sorted(first)
        for start in range(0, len(ids), 1000):
            held = await self.db.execute(
                select(outbox.c.id)
                .where(
                    outbox.c.id.in_(ids[start : start + 1000]),
                    outbox.c.state == "sending",
                    outbox.c.lease_owner == owner,
                )
                .order_by(outbox.c.id)
                .with_for_update()
            )
            ours.update(held.scalars())
        applied = [s for s in first.values() if s.item_id in ours]
        if not applied:
            return []
        await self.db.execute(
            _SETTLE,
            [
                {
                    "s_id": s.item_id,
                    "s_state": s.state,
                    "s_tried": 1 if s.attempted else 0,
                    "s_error": s.error,
                    "s_at": s.available_at,
                    "s_done": now if s.state in FINAL else 0.0,
                    "s_message": s.message_id,
                    "s_chat": s.chat_id,
                    "s_owner": owner,
                }
                for s in applied
            ],
        )
        return applied

    async def get(self, item_id: int) -> OutboxItem | None:
        row = (await self.db.execute(select(outbox).where(outbox.c.id == item_id))).one_or_none()
        return None if row is None else _item(row)

    async def counts(self, notification_id: str | None = None) -> dict[State, int]:
        query = select(outbox.c.state, func.count()).group_by(outbox.c.state)
        if notification_id is not None:
            query = query.where(outbox.c.notification_id == notification_id)
        found = {state: int(n) for state, n in await self.db.execute(query)}
        return {state: found.get(state, 0) for state in STATES}

    async def of_notification(self, notification_id: str, *, limit: int = 1) -> list[OutboxItem]:
        rows = await self.db.execute(
            select(outbox)
            .where(outbox.c.notification_id == notification_id)
            .order_by(outbox.c.id)
            .limit(limit)
        )
        return [_item(row) for row in rows]

    async def recent(self, user_id: int, *, limit: int = 10) -> list[OutboxItem]:
        rows = await self.db.execute(
            select(outbox)
            .where(outbox.c.user_id == user_id)
            .order_by(outbox.c.id.desc())
            .limit(limit)
        )
        return [_item(row) for row in rows]

    async def dead(self, *, limit: int = 100) -> list[OutboxItem]:
        rows = await self.db.execute(
            select(outbox)
            .where(outbox.c.state == "failed")
            .order_by(outbox.c.id.desc())
            .limit(limit)
        )
        return [_item(row) for row in rows]

    async def requeue(self, ids: Sequence[int] | None, *, now: float, deadline: float) -> int:
        query = update(outbox).where(outbox.c.state == "failed")
        if ids is not None:
            query = query.where(outbox.c.id.in_(list(ids)))
        done = await self.db.execute(
            query.values(state="queued", available_at=now, deadline=deadline, finished_at=0.0)
        )
        return int(done.rowcount)
