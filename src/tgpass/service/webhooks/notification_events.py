"""What became of the notifications a site sent, told to the site in the transaction that
records it. A single notification is announced per message (delivered, failed, unreachable);
a broadcast only once its last message is settled (``broadcast.completed``, with its counts),
not per recipient: a broadcast to many would flood the site with events it asked for as one."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tgpass.domain.accounts import User
from tgpass.domain.delivery import FINAL, NewMessage, OutboxItem, Settlement, State
from tgpass.service.uow import UnitOfWork

from .about import ids_of
from .announcer import Announcer, user_subject

KINDS: dict[str, str] = {
    "sent": "notification.delivered",
    "failed": "notification.failed",
    "unreachable": "notification.unreachable",
}


@dataclass(frozen=True, slots=True)
class _Outcome:
    notification_id: str | None
    user_id: int | None
    chat_id: int
    state: State
    message_id: int | None = None
    error: str | None = None


class NotificationAnnouncements:
    def __init__(self, announcer: Announcer) -> None:
        self.announcer = announcer

    async def stored(
        self,
        tx: UnitOfWork,
        notification_id: str,
        kind: str,
        messages: Sequence[tuple[User, NewMessage]],
        *,
        now: float,
    ) -> None:
        """A notification was stored: settled already when every recipient is known to have
        blocked the bot (or a broadcast has none)."""
        if any(message.state not in FINAL for _, message in messages):
            return
        if kind == "broadcast":
            if await tx.notifications.complete(notification_id, now=now):
                counts = Counter(message.state for _, message in messages)
                await self._completed(tx, notification_id, len(messages), counts)
            return
        for user, message in messages:
            outcome = _Outcome(
                notification_id, user.id, message.chat_id, message.state, None, message.last_error
            )
            await self._one(tx, outcome, user)

    async def settled(
        self, tx: UnitOfWork, batch: Sequence[tuple[OutboxItem, Settlement]], *, now: float
    ) -> None:
        """The sender recorded these outcomes in ``tx`` (only those its settle applied): rows
        of other messages (the bot's replies, gating's notices) and rows not final yet tell
        the site nothing. A broadcast is told once, by the transaction that completes it."""
        final = [
            (item, done)
            for item, done in batch
            if item.notification_id is not None and done.state in FINAL
        ]
        if not final:
            return
        kinds = {}
        for notification_id in {item.notification_id for item, _ in final}:
            assert notification_id is not None
            kinds[notification_id] = await tx.notifications.get(notification_id)
        singles = []
        for item, done in final:
            found = kinds[item.notification_id or ""]
            if found is not None and found.kind == "single":
                error = done.error or item.last_error
                singles.append(
                    _Outcome(
                        item.notification_id,
                        item.user_id,
                        item.chat_id,
                        done.state,
                        done.message_id,
                        error,
                    )
                )
        named = {o.user_id for o in singles if o.user_id is not None}
        users = await tx.accounts.get_users(named) if named else {}
        for outcome in singles:
            await self._one(tx, outcome, users.get(outcome.user_id or 0))
        for notification_id, found in sorted(kinds.items()):
            if found is None or found.kind != "broadcast":
                continue
            if await tx.notifications.complete(notification_id, now=now):
                counts = await tx.outbox.counts(notification_id)
                await self._completed(tx, notification_id, found.recipients, counts)

    async def _one(self, tx: UnitOfWork, outcome: _Outcome, user: User | None) -> None:
        data: dict[str, Any] = {
            "notification_id": outcome.notification_id,
            **ids_of(outcome.user_id, user, outcome.chat_id),
        }
        if outcome.state == "sent":
            data["message_id"] = outcome.message_id
        else:
            data["error"] = outcome.error
        subject = None if outcome.user_id is None else user_subject(outcome.user_id)
        await self.announcer.announce(tx, KINDS[outcome.state], data, subject=subject)

    async def _completed(
        self, tx: UnitOfWork, notification_id: str, recipients: int, counts: Mapping[State, int]
    ) -> None:
        data = {
            "notification_id": notification_id,
            "recipients": recipients,
            "delivered": counts.get("sent", 0),
            "failed": counts.get("failed", 0),
            "unreachable": counts.get("unreachable", 0),
        }
        await self.announcer.announce(tx, "broadcast.completed", data)
