"""What gated-chat actions share: every Bot API call paced with the sender's, a notice to a
user queued in the action's transaction, an audit entry."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from tgpass.domain.delivery import Button, NewMessage, OutgoingMessage
from tgpass.domain.gating import Chat, MemberStatus, Person
from tgpass.domain.pacing import Limit
from tgpass.service.bot.texts import Texts
from tgpass.service.notify.sender import Sender
from tgpass.service.pacing import Pacer
from tgpass.service.ports import Messenger
from tgpass.service.uow import GoneSince, UnitOfWork, UnitOfWorkFactory
from tgpass.service.webhooks.chat_events import ChatAnnouncements

log = logging.getLogger("tgpass.gating")

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
        announcements: ChatAnnouncements | None = None,
    ) -> None:
        self.announcements = announcements
        """Tells the site who joined, left or was removed, and chats paused or resumed."""
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

    async def texts_for(
        self, tx: UnitOfWork, telegram_id: int, language_code: str | None = None
    ) -> Texts:
        """The bot's texts in the language of a Telegram account: ``language_code`` when the
        update at hand reported it, else the one its linked profile last reported."""
        if language_code is None:
            link = await tx.accounts.telegram_link(telegram_id=telegram_id)
            language_code = link.profile.language_code if link is not None else None
        return self.texts.for_telegram(language_code)

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
        reason = str(reason)  # its English wording, whatever kind of reason it is
        await tx.audit.add(
            chat_id,
            action,
            telegram_id=telegram_id,
            user_id=user_id,
            reason=reason,
            now=self.clock(),
        )
        if self.announcements is not None:
            await self.announcements.audited(
                tx, chat_id, action, telegram_id=telegram_id, user_id=user_id, reason=reason
            )

    async def record_member(
        self,
        tx: UnitOfWork,
        chat_id: int,
        telegram_id: int,
        status: MemberStatus,
        *,
        user_id: int | None = None,
        unless_gone_since: float | None = None,
    ) -> None:
        """Someone's status in the chat, as Telegram said or the bot made it; news from
        ``unless_gone_since`` is dropped when they have left or been removed since."""
        # The status replaced comes from the write itself: read apart, two transactions
        # recording a join at once (the approval, Telegram's update) would both see it new.
        try:
            before = await tx.members.record(
                chat_id,
                telegram_id,
                status,
                now=self.clock(),
                user_id=user_id,
                unless_gone_since=unless_gone_since,
            )
        except GoneSince:
            log.info(
                "%s in chat %s: gone since, the older news is not recorded", telegram_id, chat_id
            )
            return
        if self.announcements is not None:
            await self.announcements.member_recorded(
                tx, chat_id, telegram_id, status, before=before, user_id=user_id
            )

    async def save_chat(self, tx: UnitOfWork, before: Chat | None, chat: Chat) -> None:
        """The chat as the bot sees it now (``before``: as it was read in ``tx``)."""
        await tx.chats.upsert_chat(chat)
        if self.announcements is not None:
            await self.announcements.chat_saved(tx, before, chat)
