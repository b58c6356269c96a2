"""The outbox, pending links, handled updates and notifications in memory. They run inside a
``MemoryUnitOfWork``, which holds the database's lock."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from tgpass.domain.delivery import FINAL, STATES, NewMessage, OutboxItem, Settlement, State
from tgpass.service.uow import (
    Consent,
    FailedUpdate,
    LinkStore,
    Notification,
    NotificationStore,
    OutboxStore,
    StoredAnswer,
    UpdateLog,
)

from .database import MemoryDatabase


class MemoryOutbox(OutboxStore):
    def __init__(self, db: MemoryDatabase) -> None:
        self.db = db

    async def add(
        self, messages: Sequence[NewMessage], *, now: float, deadline: float
    ) -> list[int]:
        t = self.db.tables
        ids = []
        for m in messages:
            t.last_outbox_id += 1
            t.outbox[t.last_outbox_id] = OutboxItem(
                id=t.last_outbox_id,
                chat_id=m.chat_id,
                message=m.message,
                state=m.state,
                attempts=0,
                available_at=now,
                deadline=deadline,
                created_at=now,
                user_id=m.user_id,
                notification_id=m.notification_id,
                last_error=m.last_error,
                finished_at=now if m.state in FINAL else 0.0,
            )
            ids.append(t.last_outbox_id)
        return ids

    async def claim(
        self, *, owner: str, now: float, lease: float, limit: int, ids: Sequence[int] = ()
    ) -> list[OutboxItem]:
        wanted = set(ids)
        taken: list[OutboxItem] = []
        for item in sorted(self.db.tables.outbox.values(), key=lambda i: i.id):
            if len(taken) >= limit:
                break
            if item.state not in {"queued", "sending"} or item.available_at > now:
                continue
            if wanted and item.id not in wanted:
                continue
            claimed = replace(item, state="sending", available_at=now + lease, lease_owner=owner)
            self.db.tables.outbox[item.id] = claimed
            taken.append(claimed)
        return taken

    async def settle(
        self, settlements: Sequence[Settlement], *, owner: str, now: float
    ) -> list[Settlement]:
        applied: list[Settlement] = []
        for s in settlements:
            item = self.db.tables.outbox.get(s.item_id)
            if item is None or item.state != "sending" or item.lease_owner != owner:
                continue
            applied.append(s)
            self.db.tables.outbox[s.item_id] = replace(
                item,
                state=s.state,
                attempts=item.attempts + (1 if s.attempted else 0),
                last_error=s.error if s.error is not None else item.last_error,
                available_at=s.available_at,
                finished_at=now if s.state in FINAL else 0.0,
                message_id=s.message_id if s.message_id is not None else item.message_id,
                chat_id=s.chat_id if s.chat_id is not None else item.chat_id,
            )
        return applied

    async def get(self, item_id: int) -> OutboxItem | None:
        return self.db.tables.outbox.get(item_id)

    async def counts(self, notification_id: str | None = None) -> dict[State, int]:
        found = dict.fromkeys(STATES, 0)
        for item in self.db.tables.outbox.values():
            if notification_id is None or item.notification_id == notification_id:
                found[item.state] += 1
        return found

    async def of_notification(self, notification_id: str, *, limit: int = 1) -> list[OutboxItem]:
        items = [i for i in self.db.tables.outbox.values() if i.notification_id == notification_id]
        return sorted(items, key=lambda i: i.id)[:limit]

    async def recent(self, user_id: int, *, limit: int = 10) -> list[OutboxItem]:
        items = [i for i in self.db.tables.outbox.values() if i.user_id == user_id]
        return sorted(items, key=lambda i: -i.id)[:limit]

    async def dead(self, *, limit: int = 100) -> list[OutboxItem]:
        items = [i for i in self.db.tables.outbox.values() if i.state == "failed"]
        return sorted(items, key=lambda i: -i.id)[:limit]

    async def requeue(self, ids: Sequence[int] | None, *, now: float, deadline: float) -> int:
        chosen = [
            i
            for i in self.db.tables.outbox.values()
            if i.state == "failed" and (ids is None or i.id in ids)
        ]
        for item in chosen:
            self.db.tables.outbox[item.id] = replace(
                item, state="queued", available_at=now, deadline=deadline, finished_at=0.0
            )
        return len(chosen)


class MemoryLinks(LinkStore):
    def __init__(self, db: MemoryDatabase) -> None:
        self.db = db

    async def put_code(self, user_id: int, code_hash: str, *, expires_at: float) -> None:
        self.db.tables.link_codes[user_id] = (code_hash, expires_at)

    async def take_code(self, code_hash: str, *, now: float) -> int | None:
        codes = self.db.tables.link_codes
        user_id = next((u for u, (h, _) in codes.items() if h == code_hash), None)
        if user_id is None:
            return None
        _, expires_at = codes.pop(user_id)
        return user_id if expires_at > now else None

    async def pending_code(self, user_id: int, *, now: float) -> float | None:
        found = self.db.tables.link_codes.get(user_id)
        return found[1] if found is not None and found[1] > now else None

    async def cancel_code(self, user_id: int) -> bool:
        return self.db.tables.link_codes.pop(user_id, None) is not None

    async def put_consent(
        self, token_hash: str, consent: Consent, *, telegram_id: int, expires_at: float
    ) -> None:
        self.db.tables.consents[token_hash] = (consent, telegram_id, expires_at)

    async def take_consent(
        self, token_hash: str, *, telegram_id: int, now: float
    ) -> Consent | None:
        found = self.db.tables.consents.get(token_hash)
        if found is None or found[1] != telegram_id:
            return None
        del self.db.tables.consents[token_hash]
        return found[0] if found[2] > now else None


class MemoryUpdateLog(UpdateLog):
    def __init__(self, db: MemoryDatabase) -> None:
        self.db = db

    async def claim(self, bot_id: int, update_id: int, *, now: float) -> bool:
        key = (bot_id, update_id)
        if key in self.db.tables.updates and self.db.tables.updates[key] is None:
            return False  # handled (a failed one, kept as a FailedUpdate, is handled afresh)
        self.db.tables.updates[key] = None
        return True

    async def fail(
        self, bot_id: int, update_id: int, *, error: str, payload: str | None, now: float
    ) -> None:
        self.db.tables.updates[(bot_id, update_id)] = FailedUpdate(
            bot_id, update_id, error[:500], payload, now
        )

    async def failed(self, *, limit: int = 100) -> list[FailedUpdate]:
        dead = [u for u in self.db.tables.updates.values() if u is not None]
        return sorted(dead, key=lambda u: -u.created_at)[:limit]

    async def forget(self, bot_id: int, update_id: int) -> None:
        self.db.tables.updates.pop((bot_id, update_id), None)


class MemoryNotifications(NotificationStore):
    def __init__(self, db: MemoryDatabase) -> None:
        self.db = db

    async def add(self, notification: Notification) -> None:
        self.db.tables.notifications[notification.id] = notification

    async def get(self, notification_id: str) -> Notification | None:
        return self.db.tables.notifications.get(notification_id)

    async def complete(self, notification_id: str, *, now: float) -> bool:
        found = self.db.tables.notifications.get(notification_id)
        if found is None or found.completed_at is not None:
            return False
        if any(
            item.notification_id == notification_id and item.state in {"queued", "sending"}
            for item in self.db.tables.outbox.values()
        ):
            return False
        self.db.tables.notifications[notification_id] = replace(found, completed_at=now)
        return True

    async def answer_for(self, key_hash: str) -> StoredAnswer | None:
        return self.db.tables.answers.get(key_hash)

    async def remember(self, key_hash: str, answer: StoredAnswer, *, now: float) -> bool:
        if key_hash in self.db.tables.answers:
            return False
        self.db.tables.answers[key_hash] = answer
        return True
