"""Gated chats told to the site: someone joined, left on their own, was removed or declined
(with the reason), and a chat paused or resumed, each in the transaction that records it."""

from __future__ import annotations

from typing import Any

from tgpass.domain.gating import PRESENT, Chat, MemberStatus
from tgpass.service.uow import UnitOfWork

from .about import about
from .announcer import Announcer, user_subject

AUDITED: dict[str, str] = {
    "left": "chat.member_left",
    "remove": "chat.member_removed",
    "decline": "chat.join_declined",
}
"""The audit log's actions that are events too (gating writes one entry for each)."""


def chat_subject(chat_id: int) -> str:
    return f"chat:{chat_id}"


class ChatAnnouncements:
    def __init__(self, announcer: Announcer) -> None:
        self.announcer = announcer

    async def audited(
        self,
        tx: UnitOfWork,
        chat_id: int,
        action: str,
        *,
        telegram_id: int | None,
        user_id: int | None,
        reason: str,
    ) -> None:
        """An audit entry was written: announced when its action is an event."""
        kind = AUDITED.get(action)
        if kind is not None:
            await self._member(tx, kind, chat_id, telegram_id, user_id, {"reason": reason})

    async def member_recorded(
        self,
        tx: UnitOfWork,
        chat_id: int,
        telegram_id: int,
        status: MemberStatus,
        *,
        before: MemberStatus | None,
        user_id: int | None,
    ) -> None:
        """A status recorded: announced as a join when it puts someone into the chat who was
        not in it (whichever tells it first, the join request's approval or Telegram's
        ``chat_member`` update; the other finds them in already). ``before``: the status
        this write replaced, as the write itself returned it, never one read apart from it."""
        if status in PRESENT and (before is None or before not in PRESENT):
            if user_id is None:
                owner = await tx.accounts.find_user(telegram_id=telegram_id)
                user_id = owner.id if owner is not None else None
            await self._member(tx, "chat.member_joined", chat_id, telegram_id, user_id, {})

    async def chat_saved(self, tx: UnitOfWork, before: Chat | None, after: Chat) -> None:
        """The chat as the bot sees it was written: paused, or resumed after a pause."""
        was = before.paused_reason if before is not None else None
        if was is None and after.paused_reason is not None:
            data = {**_chat(after), "reason": after.paused_reason}
            await self.announcer.announce(
                tx, "chat.paused", data, subject=chat_subject(after.chat_id)
            )
        elif was is not None and after.paused_reason is None:
            data = {**_chat(after), "paused_reason": was}
            await self.announcer.announce(
                tx, "chat.resumed", data, subject=chat_subject(after.chat_id)
            )

    async def _member(
        self,
        tx: UnitOfWork,
        kind: str,
        chat_id: int,
        telegram_id: int | None,
        user_id: int | None,
        extra: dict[str, Any],
    ) -> None:
        chat = await tx.chats.get_chat(chat_id)
        data = {
            **(_chat(chat) if chat is not None else {"chat_id": chat_id, "chat_title": None}),
            **await about(tx, user_id, telegram_id=telegram_id),
            **extra,
        }
        subject = user_subject(user_id) if user_id is not None else chat_subject(chat_id)
        await self.announcer.announce(tx, kind, data, subject=subject)


def _chat(chat: Chat) -> dict[str, Any]:
    return {"chat_id": chat.chat_id, "chat_title": chat.title}
