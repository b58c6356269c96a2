"""The in-memory database: tables as dicts of frozen records, one writer at a time."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from typing import Any

from tgpass.domain.accounts import TelegramLink, User
from tgpass.domain.delivery import OutboxItem
from tgpass.domain.gating import Chat, ChatRule, Invitation, JoinRequest, Member
from tgpass.domain.webhooks import Delivery, Endpoint, Event
from tgpass.service.uow import AuditEntry, Consent, FailedUpdate, Notification, StoredAnswer


@dataclass
class Tables:
    users: dict[int, User] = field(default_factory=dict)
    telegram: dict[int, TelegramLink] = field(default_factory=dict)  # by Telegram id
    link_codes: dict[int, tuple[str, float]] = field(default_factory=dict)  # by user id
    consents: dict[str, tuple[Consent, int, float]] = field(default_factory=dict)
    updates: dict[tuple[int, int], FailedUpdate | None] = field(default_factory=dict)
    notifications: dict[str, Notification] = field(default_factory=dict)
    outbox: dict[int, OutboxItem] = field(default_factory=dict)
    answers: dict[str, StoredAnswer] = field(default_factory=dict)
    chats: dict[int, Chat] = field(default_factory=dict)
    chat_rules: dict[int, ChatRule] = field(default_factory=dict)
    chat_members: dict[tuple[int, int], Member] = field(default_factory=dict)
    chat_member_times: dict[tuple[int, int], float] = field(default_factory=dict)  # written at
    # by (chat id, name): the invite, its state (live | used | revoked)
    chat_invites: dict[tuple[int, str], tuple[Invitation, str]] = field(default_factory=dict)
    chat_audit: dict[int, AuditEntry] = field(default_factory=dict)
    owed_unbans: dict[tuple[int, int], float] = field(default_factory=dict)
    # by (chat id, Telegram id): the request and when to try answering it
    join_requests: dict[tuple[int, int], tuple[JoinRequest, float]] = field(default_factory=dict)
    reconcile_requests: dict[int, str] = field(default_factory=dict)
    webhook_endpoints: dict[int, Endpoint] = field(default_factory=dict)
    # by number, in the order recorded (the order deliveries about one subject keep)
    webhook_events: dict[int, Event] = field(default_factory=dict)
    webhook_event_numbers: dict[str, int] = field(default_factory=dict)  # by event id
    # by (endpoint id, event number)
    webhook_deliveries: dict[tuple[int, int], Delivery] = field(default_factory=dict)
    last_reconcile_request: int = 0
    last_user_id: int = 0
    last_outbox_id: int = 0
    last_audit_id: int = 0
    last_webhook_endpoint_id: int = 0
    last_webhook_event_id: int = 0

    def copy(self) -> Tables:
        # Records are immutable: copying the dicts is a full snapshot.
        copies: dict[str, Any] = {name: dict(getattr(self, name)) for name in _DICTS}
        return replace(self, **copies)


_DICTS = (
    "users",
    "telegram",
    "link_codes",
    "consents",
    "updates",
    "notifications",
    "outbox",
    "answers",
    "chats",
    "chat_rules",
    "chat_members",
    "chat_member_times",
    "chat_invites",
    "chat_audit",
    "join_requests",
    "reconcile_requests",
    "owed_unbans",
    "webhook_endpoints",
    "webhook_events",
    "webhook_event_numbers",
    "webhook_deliveries",
)


class MemoryDatabase:
    """Transactions run one at a time; a snapshot taken at the start is restored on
    rollback."""

    def __init__(self) -> None:
        self.tables = Tables()
        self._lock = asyncio.Lock()
        self._saved: Tables | None = None

    async def begin(self) -> None:
        await self._lock.acquire()
        self._saved = self.tables.copy()

    def commit(self) -> None:
        self._saved = None
        self._lock.release()

    def rollback(self) -> None:
        assert self._saved is not None
        self.tables, self._saved = self._saved, None
        self._lock.release()

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        await self.begin()
        try:
            yield
        except BaseException:
            self.rollback()
            raise
        self.commit()
