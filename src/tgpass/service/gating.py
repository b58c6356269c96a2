"""Gated chats at work: what the bot hears about chats, and the reconciler that makes each
chat's membership what its rule says.

* The bot's updates (its own rights, members joining and leaving, join requests, a group's
  upgrade) are recorded in the update's unit of work.
* Join requests are answered from the store, by the worker: approved only when the Telegram
  account is linked and its person eligible *at answer time*, whichever link they used; a
  failed answer is tried again, never dropped.
* The reconciler plans each chat (``domain.gating.plan``) and applies only the difference:
  personal invite links (sent through the outbox), removals (ban, then unban), revocations.
  It runs after every change event (written in the change's own transaction) and on a
  schedule, one pass at a time across processes (a lease in the shared key-value store).
* A chat whose bot lost its rights, or that Telegram refuses to let the bot administer, is
  paused with its reason, not retried in a loop; the bot regaining its rights resumes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from tgpass.domain.delivery import Button, NewMessage, OutgoingMessage
from tgpass.domain.gating import (
    PRESENT,
    Approve,
    Chat,
    ChatRule,
    Invitation,
    Invite,
    JoinRequest,
    MemberStatus,
    NotEligible,
    Person,
    Plan,
    Remove,
    RevokeInvite,
    decide_join,
    eligibility,
    link_hash,
    not_gateable,
    plan,
)
from tgpass.domain.pacing import Limit
from tgpass.errors import (
    NotFound,
    RecipientUnavailable,
    TelegramError,
    TelegramRateLimited,
    TelegramRefused,
)

from .events import AccountChanged
from .pacing import Pacer
from .ports import KeyValueStore, Messenger
from .sender import Sender
from .texts import Texts
from .uow import AuditEntry, UnitOfWork, UnitOfWorkFactory

log = logging.getLogger("tgpass.gating")

INVITE_TTL = 86400.0  # a personal invite link lives a day
MESSAGE_DEADLINE = 86400.0
JOIN_RETRY = (2.0, 10.0, 60.0, 300.0)  # then every 300 s
LOCK_KEY = "gating:reconciler"
LOCK_TTL = 300.0


@dataclass(frozen=True, slots=True)
class GatingConfig:
    interval: float = 3600.0  # the scheduled pass (TGPASS_RECONCILE_INTERVAL)
    bot_rate: float = 30.0  # Bot API calls a second, shared with the sender through the pacer


@dataclass(frozen=True, slots=True)
class ChatView:
    """A chat for the site: as the bot sees it, its rule, and why it is not gated if not."""

    chat: Chat
    rule: ChatRule | None
    blocked: str | None
    members: int
    live_invites: int


@dataclass(frozen=True, slots=True)
class UserInChat:
    chat: Chat
    eligible: bool
    reasons: tuple[str, ...]
    status: MemberStatus | None
    invited: bool
    removed: AuditEntry | None


@dataclass(frozen=True, slots=True)
class PassReport:
    plans: tuple[Plan, ...]
    applied: int
    failed: int


def _person(user_id: int, role: str, karma: int, telegram_id: int | None) -> Person:
    return Person(user_id, role, karma, telegram_id)


class GatingService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        telegram: Messenger,
        sender: Sender,
        pacer: Pacer,
        kv: KeyValueStore,
        texts: Texts,
        *,
        config: GatingConfig | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.uow = uow
        self.telegram = telegram
        self.sender = sender
        self.pacer = pacer
        self.kv = kv
        self.texts = texts
        self.config = config or GatingConfig()
        self.clock = clock
        self._wake = asyncio.Event()
        self._joins = asyncio.Event()

    # -- change events ---------------------------------------------------------------------------

    async def account_changed(self, tx: UnitOfWork, event: AccountChanged) -> None:
        """A lifecycle event: the reconciler looks again, once this transaction commits."""
        await self.request(tx, event.what)

    async def request(self, tx: UnitOfWork, reason: str) -> None:
        await tx.chats.request_reconcile(reason, now=self.clock())
        tx.after_commit(self._wake.set)

    # -- what the bot hears ----------------------------------------------------------------------

    async def bot_status(
        self,
        tx: UnitOfWork,
        *,
        chat_id: int,
        title: str,
        chat_type: str,
        status: str,
        rights: frozenset[str],
    ) -> Chat:
        """``my_chat_member`` in a group: the bot was made an administrator, lost rights, or
        was removed. Recorded as it is; the reconciler looks again."""
        known = await tx.chats.get_chat(chat_id)
        admin = status in {"administrator", "creator"}
        paused = (
            None
            if admin
            else (
                "the bot was removed"
                if status in {"left", "kicked"}
                else "the bot is not an administrator"
            )
        )
        chat = Chat(
            chat_id,
            title,
            chat_type,
            rights if admin else frozenset(),
            paused,
            known.managed if known is not None else True,
        )
        await tx.chats.upsert_chat(chat)
        if known != chat:
            why = not_gateable(chat) or "the bot can gate this chat"
            await self._audit(tx, chat_id, "bot", reason=f"{status}: {why}")
        await self.request(tx, "bot rights")
        return chat

    async def member_status(
        self, tx: UnitOfWork, *, chat_id: int, telegram_id: int, status: MemberStatus, by_self: bool
    ) -> None:
        """``chat_member``: someone's status changed. Leaving on their own is recorded, not
        fought."""
        if await tx.chats.get_chat(chat_id) is None:
            return
        await tx.chats.record_member(chat_id, telegram_id, status, now=self.clock())
        if by_self and status == "left":
            owner = await tx.accounts.find_user(telegram_id=telegram_id)
            await self._audit(
                tx,
                chat_id,
                "left",
                telegram_id=telegram_id,
                user_id=owner.id if owner else None,
                reason="left on their own",
            )

    async def join_requested(self, tx: UnitOfWork, request: JoinRequest) -> bool:
        """``chat_join_request``: kept until answered (False for a chat tgpass does not know,
        whose requests are not its to answer)."""
        if await tx.chats.get_chat(request.chat_id) is None:
            return False
        await tx.chats.add_join_request(request)
        tx.after_commit(self._joins.set)
        return True

    async def migrated(self, tx: UnitOfWork, old_chat_id: int, new_chat_id: int) -> None:
        """A group became a supergroup: everything follows it to its new id."""
        if await tx.chats.migrate(old_chat_id, new_chat_id):
            await self._audit(tx, new_chat_id, "migrated", reason=f"from {old_chat_id}")
            await self.request(tx, "migrated")

    # -- the site's side -------------------------------------------------------------------------

    async def set_rule(
        self, chat_id: int, rule: ChatRule | None, *, managed: bool | None = None
    ) -> ChatView:
        async with self.uow() as tx:
            chat = await tx.chats.get_chat(chat_id)
            if chat is None:
                raise NotFound(f"no chat {chat_id}: make the bot an administrator there first")
            await tx.chats.set_rule(chat_id, rule)
            if managed is not None and managed != chat.managed:
                await tx.chats.upsert_chat(replace(chat, managed=managed))
            await self._audit(tx, chat_id, "rule", reason=_describe(rule, managed))
            await self.request(tx, "rule")
        return await self.chat(chat_id)

    async def chat(self, chat_id: int) -> ChatView:
        for view in await self.chats():
            if view.chat.chat_id == chat_id:
                return view
        raise NotFound(f"no chat {chat_id}")

    async def chats(self) -> list[ChatView]:
        now = self.clock()
        async with self.uow() as tx:
            views = []
            for chat in await tx.chats.list_chats():
                rule = await tx.chats.get_rule(chat.chat_id)
                members = await tx.chats.members(chat.chat_id)
                invites = await tx.chats.live_invites(chat.chat_id, now=now)
                blocked = not_gateable(chat) or (None if rule else "no rule: not gated")
                present = sum(1 for m in members if m.status in PRESENT)
                views.append(ChatView(chat, rule, blocked, present, len(invites)))
        return views

    async def user_chats(self, user_id: int) -> list[UserInChat]:
        """For each gated chat: may the account be in it, and is it."""
        now = self.clock()
        async with self.uow() as tx:
            user = await tx.accounts.get_user(user_id)
            if user is None:
                raise NotFound(f"no user {user_id}")
            link = await tx.accounts.telegram_link(user_id=user_id)
            telegram_id = link.profile.telegram_id if link else None
            person = _person(user.id, user.role, user.karma, telegram_id)
            removals = [
                e for e in await tx.chats.audit_log(user_id=user_id) if e.action == "remove"
            ]
            found = []
            for chat in await tx.chats.list_chats():
                rule = await tx.chats.get_rule(chat.chat_id)
                if rule is None:
                    continue
                verdict = eligibility(person, rule)
                status = None
                if person.telegram_id is not None:
                    mine = [
                        m
                        for m in await tx.chats.members(chat.chat_id)
                        if m.telegram_id == person.telegram_id
                    ]
                    status = mine[0].status if mine else None
                invites = await tx.chats.live_invites(chat.chat_id, now=now)
                removed = next((e for e in removals if e.chat_id == chat.chat_id), None)
                found.append(
                    UserInChat(
                        chat,
                        not isinstance(verdict, NotEligible),
                        verdict.reasons if isinstance(verdict, NotEligible) else (),
                        status,
                        any(i.user_id == user_id for i in invites),
                        removed,
                    )
                )
        return found

    async def audit_log(
        self, *, chat_id: int | None = None, user_id: int | None = None, limit: int = 100
    ) -> list[AuditEntry]:
        async with self.uow() as tx:
            return await tx.chats.audit_log(chat_id=chat_id, user_id=user_id, limit=limit)

    # -- join requests ---------------------------------------------------------------------------

    async def answer_join_requests(self, *, limit: int = 100) -> int:
        """Answer the requests whose time has come; the number answered."""
        async with self.uow() as tx:
            due = await tx.chats.due_join_requests(now=self.clock(), limit=limit)
        answered = 0
        for request in due:
            try:
                answered += await self._answer(request)
            except TelegramRateLimited as flood:
                await self.pacer.pause(flood.retry_after)
                break
        return answered

    async def _answer(self, request: JoinRequest) -> int:
        async with self.uow() as tx:
            chat = await tx.chats.get_chat(request.chat_id)
            rule = await tx.chats.get_rule(request.chat_id)
            owner = await tx.accounts.find_user(telegram_id=request.telegram_id)
        if chat is None or rule is None or not_gateable(chat) is not None:
            # Not gated (or not now): the request is left to the chat's administrators.
            async with self.uow() as tx:
                await tx.chats.answered_join_request(
                    request.chat_id, request.telegram_id, at=request.at
                )
            return 0
        person = (
            None
            if owner is None
            else _person(owner.id, owner.role, owner.karma, request.telegram_id)
        )
        verdict = decide_join(person, rule, chat)
        approve = isinstance(verdict, Approve)
        await self._pace()
        try:
            await self.telegram.answer_join_request(
                request.chat_id, request.telegram_id, approve=approve, query_id=request.query_id
            )
        except TelegramRateLimited:
            raise
        except TelegramRefused as refused:
            # Answered elsewhere, withdrawn, or a query answered too late (Telegram then
            # hands the request to the chat's administrators, us included, as a new update).
            log.info("join request %s/%s: %s", request.chat_id, request.telegram_id, refused)
            async with self.uow() as tx:
                await tx.chats.answered_join_request(
                    request.chat_id, request.telegram_id, at=request.at
                )
                await self._audit(
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
            async with self.uow() as tx:
                await tx.chats.postpone_join_request(
                    request.chat_id, request.telegram_id, at=request.at, until=self.clock() + wait
                )
            return 0
        async with self.uow() as tx:
            await tx.chats.answered_join_request(
                request.chat_id, request.telegram_id, at=request.at
            )
            if request.invite_link is not None:
                await tx.chats.consume_invite(
                    request.chat_id,
                    link_hash(request.invite_link),
                    telegram_id=request.telegram_id,
                    now=self.clock(),
                )
            if approve:
                assert owner is not None
                await tx.chats.record_member(
                    request.chat_id,
                    request.telegram_id,
                    "member",
                    now=self.clock(),
                    user_id=owner.id,
                )
                await self._audit(
                    tx,
                    request.chat_id,
                    "approve",
                    telegram_id=request.telegram_id,
                    user_id=owner.id,
                    reason="linked and eligible",
                )
            else:
                reason = getattr(verdict, "reason", "not eligible")
                await self._audit(
                    tx,
                    request.chat_id,
                    "decline",
                    telegram_id=request.telegram_id,
                    user_id=owner.id if owner else None,
                    reason=reason,
                )
                tx_texts = self.texts
                await self._queue(
                    tx, request.user_chat_id, tx_texts.join_declined(chat.title, reason)
                )
        if approve and request.invite_link is not None:
            await self._revoke_used(request.chat_id, request.invite_link)
        return 1

    async def _revoke_used(self, chat_id: int, invite_link: str) -> None:
        """A personal link, once used, is revoked (a leaked one would admit nobody anyway)."""
        try:
            await self._pace()
            await self.telegram.revoke_invite(chat_id, invite_link)
        except TelegramError as trouble:  # it expires within a day regardless
            log.info("revoking a used invite of %s: %s", chat_id, trouble)

    # -- the reconciler --------------------------------------------------------------------------

    async def reconcile(self, *, dry_run: bool = False) -> PassReport | None:
        """One pass over every chat; None when another process holds the pass."""
        if dry_run:
            async with self.uow() as tx:
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
        async with self.uow() as tx:
            seen = await tx.chats.last_reconcile_request()
            owed = await tx.chats.owed_unbans()
            chats = await tx.chats.list_chats()
            people = await self._people(tx)
        retry = 0  # transient failures: the requests stay, the next pass tries again
        for chat_id, telegram_id in owed:
            retry += not await self._unban(chat_id, telegram_id)
        plans: list[Plan] = []
        applied = 0
        for chat in chats:
            async with self.uow() as tx:
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
                    await self.pacer.pause(flood.retry_after)
                    return PassReport(tuple(plans), applied, retry + 1)
                applied += outcome == "done"
                retry += outcome == "transient"
                if outcome == "refused" and await self._paused(current.chat_id):
                    break
        if retry == 0:
            async with self.uow() as tx:
                await tx.chats.reconciled(seen)
        return PassReport(tuple(plans), applied, retry)

    async def _people(self, tx: UnitOfWork) -> list[Person]:
        audience = await tx.accounts.audience()
        return [_person(u.id, u.role, u.karma, link.profile.telegram_id) for u, link in audience]

    async def _plan(self, tx: UnitOfWork, chat: Chat, people: list[Person]) -> Plan:
        rule = await tx.chats.get_rule(chat.chat_id)
        if rule is None:
            return Plan(chat.chat_id, skipped=not_gateable(chat) or "no rule: not gated")
        members = await tx.chats.members(chat.chat_id)
        invites = await tx.chats.live_invites(chat.chat_id, now=self.clock())
        return plan(chat, rule, people, members, invites, self.clock())

    async def _apply(self, chat: Chat, change: Remove | RevokeInvite | Invite) -> str:
        """One change, made at Telegram, then recorded: done, refused (the chat is paused
        if the refusal means the bot cannot administer it) or transient."""
        await self._pace()
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
            else:
                async with self.uow() as tx:
                    await self._audit(
                        tx,
                        chat.chat_id,
                        "refused",
                        telegram_id=change.telegram_id,
                        user_id=change.user_id,
                        reason=str(refused)[:200],
                    )
            return "refused"
        except TelegramError as trouble:
            log.warning("chat %s: %s failed: %s", chat.chat_id, type(change).__name__, trouble)
            return "transient"
        return "done"

    async def _invite(self, chat: Chat, change: Invite) -> None:
        now = self.clock()
        name = f"tgpass-{change.user_id}-{secrets.token_hex(3)}"  # Telegram: 32 characters
        expires = int(now + INVITE_TTL)
        link = await self.telegram.create_invite(chat.chat_id, name=name, expire_date=expires)
        async with self.uow() as tx:
            invitation = Invitation(name, change.user_id, change.telegram_id, expires, link)
            await tx.chats.add_invite(chat.chat_id, invitation, now=now)
            await self._audit(
                tx,
                chat.chat_id,
                "invite",
                telegram_id=change.telegram_id,
                user_id=change.user_id,
                reason="eligible",
            )
            text = self.texts.invited(chat.title)
            button = Button(self.texts.join_button, url=link)
            await self._queue(tx, change.telegram_id, text, buttons=((button,),))

    async def _revoke(self, chat: Chat, change: RevokeInvite) -> None:
        async with self.uow() as tx:
            live = await tx.chats.live_invites(chat.chat_id, now=self.clock())
        held = next((i for i in live if i.name == change.name), None)
        if held is not None and held.link:
            await self.telegram.revoke_invite(chat.chat_id, held.link)
        async with self.uow() as tx:
            await tx.chats.revoke_invite(chat.chat_id, change.name, now=self.clock())
            await self._audit(
                tx,
                chat.chat_id,
                "revoke",
                telegram_id=change.telegram_id,
                user_id=change.user_id,
                reason=change.reason,
            )

    async def _remove(self, chat: Chat, change: Remove) -> None:
        await self.telegram.ban_member(chat.chat_id, change.telegram_id)
        async with self.uow() as tx:
            await tx.chats.owe_unban(chat.chat_id, change.telegram_id, now=self.clock())
            await self._audit(
                tx,
                chat.chat_id,
                "remove",
                telegram_id=change.telegram_id,
                user_id=change.user_id,
                reason=change.reason,
            )
            await self._queue(tx, change.telegram_id, self.texts.removed(chat.title, change.reason))
        await self._unban(chat.chat_id, change.telegram_id)

    async def _unban(self, chat_id: int, telegram_id: int) -> bool:
        """Settle an unban owed: the member removed is free to come back."""
        try:
            await self._pace()
            await self.telegram.unban_member(chat_id, telegram_id)
        except TelegramRateLimited as flood:
            await self.pacer.pause(flood.retry_after)
            return False
        except TelegramError as trouble:
            log.warning("unban %s in %s owed: %s", telegram_id, chat_id, trouble)
            return False
        async with self.uow() as tx:
            await tx.chats.record_member(chat_id, telegram_id, "left", now=self.clock())
        return True

    async def _paused(self, chat_id: int) -> bool:
        async with self.uow() as tx:
            chat = await tx.chats.get_chat(chat_id)
        return chat is None or chat.paused_reason is not None

    async def _pause(self, chat_id: int, reason: str) -> None:
        async with self.uow() as tx:
            chat = await tx.chats.get_chat(chat_id)
            if chat is None or chat.paused_reason is not None:
                return
            await tx.chats.upsert_chat(replace(chat, paused_reason=reason[:250]))
            await self._audit(tx, chat_id, "paused", reason=reason)

    # -- running ---------------------------------------------------------------------------------

    async def run(self) -> None:
        """The worker's loop: a pass when asked (a change event) or when the schedule says,
        and join requests as they come."""
        joins = asyncio.create_task(self._answer_forever())
        try:
            next_pass = 0.0
            while True:
                async with self.uow() as tx:
                    waiting = await tx.chats.last_reconcile_request()
                if waiting or time.monotonic() >= next_pass:
                    report = await self.reconcile()
                    if report is not None and not waiting:
                        next_pass = time.monotonic() + self.config.interval
                    if report is not None and report.failed:
                        await asyncio.sleep(min(30.0, self.config.interval))
                self._wake.clear()
                # another process's change wakes nobody here: look every few seconds
                # (asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancel)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(5.0):
                        await self._wake.wait()
        finally:
            joins.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await joins

    async def _answer_forever(self) -> None:
        while True:
            self._joins.clear()
            try:
                await self.answer_join_requests()
            except Exception:
                log.exception("answering join requests failed")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(1.0):
                    await self._joins.wait()

    # -- helpers ---------------------------------------------------------------------------------

    async def _pace(self) -> None:
        """Every Bot API call counts against the bot's rate, shared with the sender."""
        while True:
            wait, granted = await self.pacer.reserve([("bot", Limit(self.config.bot_rate))])
            await asyncio.sleep(wait)
            if granted:
                return

    async def _queue(
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

    async def _audit(
        self,
        tx: UnitOfWork,
        chat_id: int,
        action: str,
        *,
        telegram_id: int | None = None,
        user_id: int | None = None,
        reason: str,
    ) -> None:
        await tx.chats.audit(
            chat_id,
            action,
            telegram_id=telegram_id,
            user_id=user_id,
            reason=reason,
            now=self.clock(),
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
            "chat_admin_required",
        )
    )


def _describe(rule: ChatRule | None, managed: bool | None) -> str:
    if rule is None:
        text = "no rule: not gated"
    else:
        parts = []
        if rule.min_karma is not None:
            parts.append(f"karma ≥ {rule.min_karma}")
        if rule.roles is not None:
            parts.append("role in " + ", ".join(sorted(rule.roles)))
        text = " and ".join(parts) or "any linked account"
    if managed is not None:
        text += "; strangers " + ("removed" if managed else "reported")
    return text
