"""Answering join requests to gated chats, from the store: approved only when the Telegram
account is linked and its person eligible when the answer is given, whichever link they used;
declined (and told why) otherwise. A failed answer is tried again later, never dropped; a chat
that is not gated now leaves its requests to its administrators."""

from __future__ import annotations

import logging

from tgpass.domain.gating import (
    Approve,
    Decline,
    JoinRequest,
    Reason,
    decide_join,
    link_hash,
    not_gateable,
)
from tgpass.errors import TelegramError, TelegramRateLimited, TelegramRefused
from tgpass.service.gating.effects import ChatEffects, person_of

log = logging.getLogger("tgpass.gating")

JOIN_RETRY = (2.0, 10.0, 60.0, 300.0)  # then every 300 s


class JoinAnswers:
    def __init__(self, effects: ChatEffects) -> None:
        self.effects = effects

    async def answer_due(self, *, limit: int = 100) -> int:
        """Answer the requests whose time has come; the number answered."""
        async with self.effects.uow() as tx:
            due = await tx.join_requests.due(now=self.effects.clock(), limit=limit)
        answered = 0
        for request in due:
            try:
                answered += await self._answer(request)
            except TelegramRateLimited as flood:
                await self.effects.pacer.pause(flood.retry_after)
                break
        return answered

    async def _answer(self, request: JoinRequest) -> int:
        async with self.effects.uow() as tx:
            chat = await tx.chats.get_chat(request.chat_id)
            rule = await tx.chats.get_rule(request.chat_id)
            owner = await tx.accounts.find_user(telegram_id=request.telegram_id)
        if chat is None or rule is None or not_gateable(chat) is not None:
            # Not gated (or not now): the request is left to the chat's administrators.
            async with self.effects.uow() as tx:
                await tx.join_requests.answered(request.chat_id, request.telegram_id, at=request.at)
            return 0
        person = (
            None
            if owner is None
            else person_of(owner.id, owner.role, owner.karma, request.telegram_id)
        )
        verdict = decide_join(person, rule, chat)
        approve = isinstance(verdict, Approve) and owner is not None
        await self.effects.pace()
        asked_at = self.effects.clock()  # a removal recorded after this is newer news
        try:
            await self.effects.telegram.answer_join_request(
                request.chat_id, request.telegram_id, approve=approve, query_id=request.query_id
            )
        except TelegramRateLimited:
            raise
        except TelegramRefused as refused:
            # Answered elsewhere, withdrawn, or a query answered too late (Telegram then
            # hands the request to the chat's administrators, us included, as a new update).
            log.info("join request %s/%s: %s", request.chat_id, request.telegram_id, refused)
            async with self.effects.uow() as tx:
                await tx.join_requests.answered(request.chat_id, request.telegram_id, at=request.at)
                await self.effects.audit(
                    tx,
                    request.chat_id,
                    "request-gone",
                    telegram_id=request.telegram_id,
                    user_id=owner.id if owner else None,
                    reason=str(refused)[:200],
                )
            return 0
        except TelegramError as trouble:
            wait = JOIN_RETRY[min(request.attempts, len(JOIN_RETRY) - 1)]
            log.warning(
                "join request %s/%s: %s; again in %ss",
                request.chat_id,
                request.telegram_id,
                trouble,
                wait,
            )
            async with self.effects.uow() as tx:
                await tx.join_requests.postpone(
                    request.chat_id,
                    request.telegram_id,
                    at=request.at,
                    until=self.effects.clock() + wait,
                )
            return 0
        async with self.effects.uow() as tx:
            await tx.join_requests.answered(request.chat_id, request.telegram_id, at=request.at)
            if request.invite_link is not None:
                await tx.invites.consume(
                    request.chat_id,
                    link_hash(request.invite_link),
                    telegram_id=request.telegram_id,
                    now=self.effects.clock(),
                )
            if isinstance(verdict, Approve) and owner is not None:
                await self.effects.record_member(
                    tx,
                    request.chat_id,
                    request.telegram_id,
                    "member",
                    user_id=owner.id,
                    unless_gone_since=asked_at,
                )
                await self.effects.audit(
                    tx,
                    request.chat_id,
                    "approve",
                    telegram_id=request.telegram_id,
                    user_id=owner.id,
                    reason="linked and eligible",
                )
            else:
                reason = verdict.reason if isinstance(verdict, Decline) else Reason("not_eligible")
                await self.effects.audit(
                    tx,
                    request.chat_id,
                    "decline",
                    telegram_id=request.telegram_id,
                    user_id=owner.id if owner else None,
                    reason=reason,
                )
                texts = await self.effects.texts_for(tx, request.telegram_id, request.language_code)
                declined = texts.join_declined(chat.title, reason)
                await self.effects.queue(tx, request.user_chat_id, declined)
        if approve and request.invite_link is not None:
            await self._revoke_used(request.chat_id, request.invite_link)
        return 1

    async def _revoke_used(self, chat_id: int, invite_link: str) -> None:
        """A personal link, once used, is revoked (a leaked one would admit nobody anyway)."""
        try:
            await self.effects.pace()
            await self.effects.telegram.revoke_invite(chat_id, invite_link)
        except TelegramError as trouble:  # it expires within a day regardless
            log.info("revoking a used invite of %s: %s", chat_id, trouble)
