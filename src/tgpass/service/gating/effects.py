"""What gated-chat actions share: every Bot API call paced with the sender's, a notice to a
user queued in the action's transaction, an audit entry."""

from __future__ import annotations

import time
from collections.abc import Callable

from tgpass.domain.delivery import Button, NewMessage, OutgoingMessage
from tgpass.domain.gating import Person
from tgpass.domain.pacing import Limit
from tgpass.service.bot.texts import Texts
from tgpass.service.notify.sender import Sender
from tgpass.service.pacing import Pacer
from tgpass.service.ports import Messenger
from tgpass.service.uow import UnitOfWork, UnitOfWorkFactory

MESSAGE_DEADLINE = 86400.0


def person_of(user_id: int, role: str, karma: int, telegram_id: int | None) -> Person:
    return Person(user_id, role, karma, telegram_id)


class ChatEffects:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        telegram: Messenger,
        sender: Sender,
        pacer: Pacer,
        texts: Texts,
        *,
        bot_rate: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.uow = uow
        self.telegram = telegram
        self.sender = sender
        self.pacer = pacer
        self.texts = texts
        self.bot_rate = bot_rate
        self.clock = clock

    async def pace(self) -> None:
        """Every Bot API call counts against the bot's rate, shared with the sender."""
        await self.pacer.take_turn([("bot", Limit(self.bot_rate))])

    async def queue(
        self,
        tx: UnitOfWork,
        chat_id: int,
        text: str,
        *,
        buttons: tuple[tuple[Button, ...], ...] = (),
    ) -> None:
        now = self.clock()
        message = NewMessage(chat_id, OutgoingMessage(text, "HTML", buttons))
        await tx.outbox.add([message], now=now, deadline=now + MESSAGE_DEADLINE)
        tx.after_commit(self.sender.wake)

    async def audit(
        self,
        tx: UnitOfWork,
        chat_id: int,
        action: str,
        *,
        telegram_id: int | None = None,
        user_id: int | None = None,
        reason: str,
    ) -> None:
        await tx.audit.add(
            chat_id,
            action,
            telegram_id=telegram_id,
            user_id=user_id,
            reason=reason,
            now=self.clock(),
        )
