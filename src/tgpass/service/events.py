"""Lifecycle events of site accounts: a karma or role change, a link, an unlink. The use case
that makes the change publishes it inside its unit of work; subscribers (gating) act in the
same transaction, so the change and what follows from it commit together."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from tgpass.service.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class AccountChanged:
    user_id: int
    what: str  # site | link | unlink | relink | signup


Subscriber = Callable[[UnitOfWork, AccountChanged], Awaitable[None]]


class AccountEvents:
    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    def subscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.append(subscriber)

    async def publish(self, tx: UnitOfWork, event: AccountChanged) -> None:
        for subscriber in self._subscribers:
            await subscriber(tx, event)
