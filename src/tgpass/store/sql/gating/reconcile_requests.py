"""Change events waiting for the reconciler, in SQL."""

from __future__ import annotations

from sqlalchemy import delete, func, insert, select

from tgpass.service.uow import ReconcileRequests
from tgpass.store.sql.tables import gating_requests

from .common import SqlRepository


class SqlReconcileRequests(SqlRepository, ReconcileRequests):
    async def add(self, reason: str, *, now: float) -> int:
        done = await self.db.execute(
            insert(gating_requests)
            .values(reason=reason[:64], created_at=now)
            .returning(gating_requests.c.id)
        )
        return int(done.scalar_one())

    async def last(self) -> int:
        found = await self.db.execute(select(func.max(gating_requests.c.id)))
        return int(found.scalar() or 0)

    async def reconciled(self, upto: int) -> None:
        await self.db.execute(delete(gating_requests).where(gating_requests.c.id <= upto))
