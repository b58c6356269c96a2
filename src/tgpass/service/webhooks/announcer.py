"""Announcing an event: written in the unit of work of the change it tells of, so that a
change rolled back announces nothing and one committed is always announced."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any

from tgpass.domain.webhooks import Event
from tgpass.service.uow import UnitOfWork


def new_event_id() -> str:
    """``msg_`` and 24 hex digits: the ``webhook-id`` a site deduplicates by."""
    return f"msg_{secrets.token_hex(12)}"


class Announcer:
    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        wake: Callable[[], None] | None = None,
    ) -> None:
        self.clock = clock
        self.wake = wake
        """Told after a commit that announced something (the deliverer, to go at once)."""

    async def announce(
        self, tx: UnitOfWork, kind: str, data: dict[str, Any], *, subject: str | None = None
    ) -> Event:
        """Record the event in ``tx``, with a delivery for each endpoint that wants it."""
        event = Event(new_event_id(), kind, self.clock(), data, subject)
        if await tx.webhooks.record(event, now=event.occurred_at) and self.wake is not None:
            tx.after_commit(self.wake)
        return event


def user_subject(user_id: int) -> str:
    """Events about one account are delivered in the order they happened."""
    return f"user:{user_id}"
