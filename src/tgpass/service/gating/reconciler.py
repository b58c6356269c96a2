"""The reconciler: compares who should be in each gated chat with who is
(``domain.gating.plan``) and applies only the difference: personal invite links sent through
the outbox, removals (ban, then unban: an unban that fails is owed until it goes through),
revocations. One pass at a time across processes (a lease in the shared key-value store). A
chat Telegram refuses to let the bot administer is paused with the reason, not retried."""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass, replace

from tgpass.domain.delivery import Button
from tgpass.domain.gating import (
    Change,
    Chat,
    Invitation,
    Invite,
    Person,
    Plan,
    Remove,
    RevokeInvite,
    not_gateable,
    plan,
)
from tgpass.errors import RecipientUnavailable, TelegramError, TelegramRateLimited, TelegramRefused
from tgpass.service.gating.effects import ChatEffects, person_of
from tgpass.service.ports import KeyValueStore
from tgpass.service.uow import UnitOfWork

log = logging.getLogger("tgpass.gating")

INVITE_TTL = 86400.0  # a personal invite link lives a day
LOCK_KEY = "gating:reconciler"
LOCK_TTL = 300.0


@dataclass(frozen=True, slots=True)
class PassReport:
    plans: tuple[Plan, ...]
    applied: int
    failed: int


class Reconciler:
    def __init__(self, effects: ChatEffects, kv: KeyValueStore) -> None:
        self.effects = effects
        self.kv = kv

    async def reconcile(self, *, dry_run: bool = False) -> PassReport | None:
        """One pass over every chat; None when another process holds the pass."""
        if dry_run:
            async with self.effects.uow() as tx:
                people = await self._people(tx)
                chats = await tx.chats.list_chats()
                plans = [await self._plan(tx, chat, people) for chat in chats]
            return PassReport(tuple(plans), 0, 0)
        lease = Lease(self.kv, LOCK_KEY, LOCK_TTL)
        if not await lease.take():
            return None
        try:
            return await self._pass(lease)
        finally:
            await lease.release()

    async def _pass(self, lease: Lease) -> PassReport:
        async with self.effects.uow() as tx:
            seen = await tx.reconcile_requests.last()
            owed = await tx.members.owed_unbans()
            chats = await tx.chats.list_chats()
            people = await self._people(tx)
        retry = 0  # transient failures: the requests stay, the next pass tries again
        for chat_id, telegram_id in owed:
            retry += not await self._unban(chat_id, telegram_id)
        plans: list[Plan] = []
        applied = 0
        for chat in chats:
            async with self.effects.uow() as tx:
                current = await tx.chats.get_chat(chat.chat_id)
                if current is None:
                    continue
                chat_plan = await self._plan(tx, current, people)
            plans.append(chat_plan)
            for change in chat_plan.changes:
                await lease.renew()
                try:
                    outcome = await self._apply(current, change)
                except TelegramRateLimited as flood:
                    await self.effects.pacer.pause(flood.retry_after)
                    return PassReport(tuple(plans), applied, retry + 1)
                applied += outcome == "done"
                retry += outcome == "transient"
                if outcome == "paused":
                    break
        if retry == 0:
            async with self.effects.uow() as tx:
                await tx.reconcile_requests.reconciled(seen)
        return PassReport(tuple(plans), applied, retry)

    async def _people(self, tx: UnitOfWork) -> list[Person]:
        audience = await tx.accounts.audience()
        return [person_of(u.id, u.role, u.karma, link.profile.telegram_id) for u, link in audience]

    async def _plan(self, tx: UnitOfWork, chat: Chat, people: list[Person]) -> Plan:
        rule = await tx.chats.get_rule(chat.chat_id)
        if rule is None:
            return Plan(chat.chat_id, skipped=not_gateable(chat) or "no rule: not gated")
        members = await tx.members.of_chat(chat.chat_id)
        invites = await tx.invites.live(chat.chat_id, now=self.effects.clock())
        return plan(chat, rule, people, members, invites, self.effects.clock())

    async def _apply(self, chat: Chat, change: Change) -> str:
        """One change, made at Telegram, then recorded: done, refused, paused (a refusal that
        means the bot cannot administer the chat) or transient."""
        await self.effects.pace()
        try:
            if isinstance(change, Invite):
                await self._invite(chat, change)
            elif isinstance(change, RevokeInvite):
                await self._revoke(chat, change)
            else:
                await self._remove(chat, change)
        except TelegramRateLimited:
            raise
        except (RecipientUnavailable, TelegramRefused) as refused:
            log.warning("chat %s: %s refused: %s", chat.chat_id, type(change).__name__, refused)
            if _cannot_administer(refused):
                await self._pause(chat.chat_id, f"Telegram refused: {refused}")
                return "paused"
            async with self.effects.uow() as tx:
                await self._audit(tx, chat, "refused", change, str(refused)[:200])
            return "refused"
        except TelegramError as trouble:
            log.warning("chat %s: %s failed: %s", chat.chat_id, type(change).__name__, trouble)
            return "transient"
        return "done"

    async def _invite(self, chat: Chat, change: Invite) -> None:
        now = self.effects.clock()
        name = f"tgpass-{change.user_id}-{secrets.token_hex(3)}"  # Telegram: 32 characters
        expires = int(now + INVITE_TTL)
        link = await self.effects.telegram.create_invite(
            chat.chat_id, name=name, expire_date=expires
        )
        async with self.effects.uow() as tx:
            invitation = Invitation(name, change.user_id, change.telegram_id, expires, link)
            await tx.invites.add(chat.chat_id, invitation, now=now)
            await self._audit(tx, chat, "invite", change, "eligible")
            texts = await self.effects.texts_for(tx, change.telegram_id)
            button = Button(texts.join_button, url=link)
            await self.effects.queue(
                tx, change.telegram_id, texts.invited(chat.title), buttons=((button,),)
            )

    async def _revoke(self, chat: Chat, change: RevokeInvite) -> None:
        async with self.effects.uow() as tx:
            live = await tx.invites.live(chat.chat_id, now=self.effects.clock())
        held = next((i for i in live if i.name == change.name), None)
        if held is not None and held.link:
            await self.effects.telegram.revoke_invite(chat.chat_id, held.link)
        async with self.effects.uow() as tx:
            await tx.invites.revoke(chat.chat_id, change.name, now=self.effects.clock())
            await self._audit(tx, chat, "revoke", change, change.reason)

    async def _remove(self, chat: Chat, change: Remove) -> None:
        await self.effects.telegram.ban_member(chat.chat_id, change.telegram_id)
        async with self.effects.uow() as tx:
            await tx.members.owe_unban(chat.chat_id, change.telegram_id, now=self.effects.clock())
            await self._audit(tx, chat, "remove", change, change.reason)
            texts = await self.effects.texts_for(tx, change.telegram_id)
            await self.effects.queue(
                tx, change.telegram_id, texts.removed(chat.title, change.reason)
            )
        await self._unban(chat.chat_id, change.telegram_id)

    async def _unban(self, chat_id: int, telegram_id: int) -> bool:
        """Settle an unban owed: the member removed is free to come back."""
        try:
            await self.effects.pace()
            await self.effects.telegram.unban_member(chat_id, telegram_id)
        except TelegramRateLimited as flood:
            await self.effects.pacer.pause(flood.retry_after)
            return False
        except TelegramError as trouble:
            log.warning("unban %s in %s owed: %s", telegram_id, chat_id, trouble)
            return False
        async with self.effects.uow() as tx:
            await tx.members.record(chat_id, telegram_id, "left", now=self.effects.clock())
        return True

    async def _pause(self, chat_id: int, reason: str) -> None:
        async with self.effects.uow() as tx:
            chat = await tx.chats.get_chat(chat_id)
            if chat is None or chat.paused_reason is not None:
                return
            await self.effects.save_chat(tx, chat, replace(chat, paused_reason=reason[:250]))
            await self.effects.audit(tx, chat_id, "paused", reason=reason)

    async def _audit(
        self, tx: UnitOfWork, chat: Chat, action: str, change: Change, reason: str
    ) -> None:
        await self.effects.audit(
            tx,
            chat.chat_id,
            action,
            telegram_id=change.telegram_id,
            user_id=change.user_id,
            reason=reason,
        )


class Lease:
    """One holder at a time across processes, for ``ttl`` seconds unless renewed: a crashed
    holder's lease lapses on its own."""

    def __init__(self, kv: KeyValueStore, key: str, ttl: float) -> None:
        self.kv, self.key, self.ttl = kv, key, ttl
        self.token = secrets.token_hex(8).encode()
        self._renewed = 0.0

    async def take(self) -> bool:
        self._renewed = time.monotonic()
        return await self.kv.add(self.key, self.token, self.ttl)

    async def renew(self) -> None:
        if time.monotonic() - self._renewed > self.ttl / 3:
            self._renewed = time.monotonic()
            if await self.kv.get(self.key) == self.token:
                await self.kv.set(self.key, self.token, self.ttl)

    async def release(self) -> None:
        if await self.kv.get(self.key) == self.token:
            await self.kv.delete(self.key)


def _cannot_administer(refused: TelegramError) -> bool:
    """A refusal that means the bot cannot act in the chat at all (not about one member)."""
    if isinstance(refused, RecipientUnavailable):
        return True  # 403: the bot was removed from the chat
    text = str(refused).lower()
    return any(
        sign in text
        for sign in (
            "not enough rights",
            "admin_required",
            "chat not found",
            "not an administrator",
            "need administrator rights",
        )
    )
