"""The unit of work in memory: the database's lock held, a snapshot restored on rollback."""

from __future__ import annotations

from collections.abc import Callable

from tgpass.service.uow import UnitOfWork

from .accounts import MemoryAccountStore
from .database import MemoryDatabase
from .gating import (
    MemoryAuditLog,
    MemoryChats,
    MemoryInvites,
    MemoryJoinRequests,
    MemoryMembers,
    MemoryReconcileRequests,
)
from .repositories import MemoryLinks, MemoryNotifications, MemoryOutbox, MemoryUpdateLog
from .webhooks import MemoryWebhooks


class MemoryUnitOfWork(UnitOfWork):
    def __init__(self, db: MemoryDatabase, *, on_commit: Callable[[], None] | None = None):
        super().__init__()
        self.db = db
        if on_commit is not None:
            self.after_commit(on_commit)
        self.accounts = MemoryAccountStore(db, joined=True)
        self.outbox = MemoryOutbox(db)
        self.links = MemoryLinks(db)
        self.updates = MemoryUpdateLog(db)
        self.notifications = MemoryNotifications(db)
        self.chats = MemoryChats(db)
        self.members = MemoryMembers(db)
        self.invites = MemoryInvites(db)
        self.join_requests = MemoryJoinRequests(db)
        self.reconcile_requests = MemoryReconcileRequests(db)
        self.audit = MemoryAuditLog(db)
        self.webhooks = MemoryWebhooks(db)

    async def _begin(self) -> None:
        await self.db.begin()

    async def _commit(self) -> None:
        self.db.commit()

    async def _rollback(self) -> None:
        self.db.rollback()
