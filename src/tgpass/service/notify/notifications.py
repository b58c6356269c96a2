"""Notifications a site sends its linked users: stored first, in the same transaction as the
request's idempotency record, then delivered by the sender."""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from tgpass.domain.accounts import TelegramLink, User
from tgpass.domain.delivery import NewMessage, OutboxItem, OutgoingMessage, State
from tgpass.errors import Conflict, InvalidInput, NotFound
from tgpass.service.ports import AccountStore
from tgpass.service.uow import Notification, StoredAnswer, UnitOfWork, UnitOfWorkFactory
from tgpass.service.webhooks.notification_events import NotificationAnnouncements


@dataclass(frozen=True, slots=True)
class Audience:
    """Who a broadcast goes to: linked users matching every filter given."""

    site_user_ids: tuple[str, ...] | None = None
    roles: tuple[str, ...] | None = None
    min_karma: int | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "user_ids": None if self.site_user_ids is None else list(self.site_user_ids),
            "roles": None if self.roles is None else list(self.roles),
            "min_karma": self.min_karma,
        }


@dataclass(frozen=True, slots=True)
class Accepted:
    """A notification stored for delivery: ``recipients`` messages queued or counted."""

    id: str
    recipients: int
    replayed: bool = False  # the same Idempotency-Key and body were seen before


@dataclass(frozen=True, slots=True)
class NotificationStatus:
    id: str
    kind: str
    recipients: int
    counts: dict[State, int]
    created_at: float
    message: OutboxItem | None = None  # for one user's notification: its row

    @property
    def status(self) -> str:
        """queued while anything waits, sending while anything is in flight, else done."""
        if self.counts["sending"]:
            return "sending"
        if self.counts["queued"]:
            return "queued"
        if self.kind == "single" and self.message is not None:
            return self.message.state
        return "done"


class _LostRace(Exception):
    """Another request stored an answer for the same key meanwhile: read it."""


class NotificationService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        accounts: AccountStore,
        *,
        deadline: float,
        clock: Callable[[], float] = time.time,
        announcements: NotificationAnnouncements | None = None,
    ) -> None:
        self.announcements = announcements
        self.uow = uow
        self.accounts = accounts
        self.deadline = deadline
        self.clock = clock

    async def send(
        self,
        user: User,
        message: OutgoingMessage,
        *,
        idempotency_key: str | None = None,
    ) -> Accepted:
        """One message to one linked user; ``not_linked`` (409) when they are not."""
        request = {"to": user.id, "message": message.to_json()}

        async def make(tx: UnitOfWork) -> Accepted:
            link = await tx.accounts.telegram_link(user_id=user.id)
            if link is None:
                raise Conflict("this user has no linked Telegram account", code="not_linked")
            return await self._store(tx, "single", message, [(user, link)])

        return await self._once(idempotency_key, request, make)

    async def broadcast(
        self,
        message: OutgoingMessage,
        audience: Audience,
        *,
        idempotency_key: str | None = None,
    ) -> Accepted:
        """One message to every linked user of the audience, resolved now. Users known to
        have blocked the bot are counted, as ``unreachable``, without an attempt."""
        request = {"audience": audience.to_dict(), "message": message.to_json()}

        async def make(tx: UnitOfWork) -> Accepted:
            recipients = await tx.accounts.audience(
                site_user_ids=audience.site_user_ids,
                roles=audience.roles,
                min_karma=audience.min_karma,
            )
            return await self._store(tx, "broadcast", message, recipients)

        return await self._once(idempotency_key, request, make)

    async def _store(
        self,
        tx: UnitOfWork,
        kind: str,
        message: OutgoingMessage,
        recipients: Sequence[tuple[User, TelegramLink]],
    ) -> Accepted:
        now = self.clock()
        notification_id = f"ntf_{secrets.token_urlsafe(12)}"
        await tx.notifications.add(
            Notification(notification_id, kind, len(recipients), message.to_json(), now)
        )
        rows = [
            NewMessage(
                chat_id=link.chat_id or link.profile.telegram_id,
                message=message,
                user_id=user.id,
                notification_id=notification_id,
                state="unreachable" if link.bot_blocked else "queued",
                last_error="the user has blocked the bot" if link.bot_blocked else None,
            )
            for user, link in recipients
        ]
        await tx.outbox.add(rows, now=now, deadline=now + self.deadline)
        if self.announcements is not None:
            users = [user for user, _ in recipients]
            await self.announcements.stored(
                tx, notification_id, kind, list(zip(users, rows, strict=True)), now=now
            )
        return Accepted(notification_id, len(recipients))

    async def _once(
        self,
        key: str | None,
        request: Mapping[str, object],
        make: Callable[[UnitOfWork], Awaitable[Accepted]],
    ) -> Accepted:
        """Run ``make`` in a transaction, once per Idempotency-Key: the same key and body
        answer the same; the same key with another body is a conflict."""
        if key is not None and not 1 <= len(key) <= 255:
            raise InvalidInput("an Idempotency-Key is 1-255 characters", field="Idempotency-Key")
        key_hash = None if key is None else hashlib.sha256(key.encode()).hexdigest()
        body_hash = hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()
        for _ in range(3):
            try:
                async with self.uow() as tx:
                    if key_hash is not None:
                        stored = await tx.notifications.answer_for(key_hash)
                        if stored is not None:
                            return _replayed(stored, body_hash)
                    accepted = await make(tx)
                    if key_hash is not None:
                        answer = StoredAnswer(
                            body_hash,
                            202,
                            json.dumps({"id": accepted.id, "recipients": accepted.recipients}),
                        )
                        if not await tx.notifications.remember(key_hash, answer, now=self.clock()):
                            raise _LostRace
                    return accepted
            except _LostRace:
                continue
        raise Conflict("the Idempotency-Key is in use by a concurrent request; retry")

    async def status(self, notification_id: str) -> NotificationStatus:
        async with self.uow() as tx:
            found = await tx.notifications.get(notification_id)
            if found is None:
                raise NotFound(
                    "no notification {notification_id}",
                    values={"notification_id": repr(notification_id)},
                )
            counts = await tx.outbox.counts(notification_id)
            rows = await tx.outbox.of_notification(notification_id, limit=1)
        single = rows[0] if found.kind == "single" and rows else None
        return NotificationStatus(
            found.id, found.kind, found.recipients, counts, found.created_at, single
        )

    async def recent(self, user_id: int, *, limit: int = 10) -> list[OutboxItem]:
        async with self.uow() as tx:
            return await tx.outbox.recent(user_id, limit=limit)

    async def dead_letters(self, *, limit: int = 100) -> list[OutboxItem]:
        async with self.uow() as tx:
            return await tx.outbox.dead(limit=limit)

    async def retry(self, ids: Sequence[int] | None = None) -> int:
        """Dead letters (``ids``, or all) back to the queue with a fresh deadline."""
        now = self.clock()
        async with self.uow() as tx:
            return await tx.outbox.requeue(ids, now=now, deadline=now + self.deadline)

    async def depth(self) -> dict[State, int]:
        async with self.uow() as tx:
            return await tx.outbox.counts()


def _replayed(stored: StoredAnswer, body_hash: str) -> Accepted:
    if stored.request_hash != body_hash:
        raise Conflict(
            "this Idempotency-Key was used with another request", code="idempotency_mismatch"
        )
    answer = json.loads(stored.response)
    return Accepted(answer["id"], answer["recipients"], replayed=True)
