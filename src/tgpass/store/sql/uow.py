"""The unit of work on SQL: one connection, one transaction, every repository on it."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncTransaction

from tgpass.service.uow import UnitOfWork

from .gating import (
    SqlAuditLog,
    SqlChats,
    SqlInvites,
    SqlJoinRequests,
    SqlMembers,
    SqlReconcileRequests,
)
from .outbox import SqlOutbox
from .pending import SqlLinks, SqlNotifications, SqlUpdateLog
from .source import WRITE, TransactionSource
from .store import SqlAccountStore
from .webhooks import SqlWebhooks


class SqlUnitOfWork(UnitOfWork):
    def __init__(self, engine: AsyncEngine, *, on_commit: Callable[[], None] | None = None):
        super().__init__()
        self.engine = engine
        if on_commit is not None:
            self.after_commit(on_commit)
        self._connection: AsyncConnection | None = None
        self._transaction: AsyncTransaction | None = None

    async def _begin(self) -> None:
        connection = await self.engine.connect()
        try:
            await connection.execution_options(**WRITE)
            self._transaction = await connection.begin()
        except BaseException:
            await connection.close()
            raise
        self._connection = connection
        self.accounts = SqlAccountStore.on(TransactionSource(connection))
        self.outbox = SqlOutbox(connection)
        self.links = SqlLinks(connection)
        self.updates = SqlUpdateLog(connection)
        self.notifications = SqlNotifications(connection)
        self.chats = SqlChats(connection)
        self.members = SqlMembers(connection)
        self.invites = SqlInvites(connection)
        self.join_requests = SqlJoinRequests(connection)
        self.reconcile_requests = SqlReconcileRequests(connection)
        self.audit = SqlAuditLog(connection)
        self.webhooks = SqlWebhooks(connection)

    async def _commit(self) -> None:
        assert self._transaction is not None
        assert self._connection is not None
        try:
            await self._transaction.commit()
        finally:
            await self._connection.close()

    async def _rollback(self) -> None:
        assert self._transaction is not None
        assert self._connection is not None
        try:
            await self._transaction.rollback()
        finally:
            await self._connection.close()
