"""Lifecycle events of site accounts: a karma or role change, a link, an unlink, a sign-up, a
deletion, the bot blocked or allowed again, a phone shared. The use case that makes the
change publishes it inside its unit of work; subscribers (gating, the site's event webhooks)
act in the same transaction, so the change and what follows from it commit together."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from tgpass.service.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class Standing:
    role: str
    karma: int


@dataclass(frozen=True, slots=True)
class AccountChanged:
    user_id: int
    what: str
    """site | signup | link | relink | unlink | deleted | reachable | bot_blocked |
    bot_unblocked | phone"""
    telegram_id: int | None = None
    """The Telegram account concerned, where the change takes it away (unlink, deletion) or
    the account may have none any more."""
    site_user_id: str | None = None
    """The site's id of a deleted account, which cannot be read after the change."""
    before: Standing | None = None
    """Role and karma before a ``site`` change; None when the change made the account."""


Subscriber = Callable[[UnitOfWork, AccountChanged], Awaitable[None]]


class AccountEvents:
    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    def subscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.append(subscriber)

    async def publish(self, tx: UnitOfWork, event: AccountChanged) -> None:
        for subscriber in self._subscribers:
            await subscriber(tx, event)
