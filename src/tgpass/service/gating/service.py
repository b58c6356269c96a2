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
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from tgpass.domain.accounts import User
from tgpass.domain.gating import (
    Chat,
    ChatRule,
    JoinRequest,
    MemberStatus,
    NotEligible,
    eligibility,
    not_gateable,
)
from tgpass.errors import NotFound
from tgpass.service.bot.texts import Texts
from tgpass.service.events import AccountChanged
from tgpass.service.gating.effects import ChatEffects, person_of
from tgpass.service.gating.join_answers import JoinAnswers
from tgpass.service.gating.migration import migrate_chat
from tgpass.service.gating.reconciler import PassReport, Reconciler
from tgpass.service.notify.sender import Sender
from tgpass.service.pacing import Pacer
from tgpass.service.ports import KeyValueStore, Messenger
from tgpass.service.uow import AuditEntry, UnitOfWork, UnitOfWorkFactory
from tgpass.service.webhooks.chat_events import ChatAnnouncements
from tgpass.service.worker import until_one_fails

log = logging.getLogger("tgpass.gating")


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
    blocked: str | None  # why the chat is not gated now (it has a rule), as in ChatView


@dataclass(frozen=True, slots=True)
class AuditLine:
    """An audit entry with the site account it names, if it names one that still exists."""

    entry: AuditEntry
    user: User | None


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
        announcements: ChatAnnouncements | None = None,
    ) -> None:
        self.uow = uow
        self.config = config or GatingConfig()
        self.effects = ChatEffects(
            uow,
            telegram,
            sender,
            pacer,
            texts,
            bot_rate=self.config.bot_rate,
            clock=clock,
            announcements=announcements,
        )
        self.joins = JoinAnswers(self.effects)
        self.reconciler = Reconciler(self.effects, kv)
        self._wake = asyncio.Event()
        self._joins = asyncio.Event()

    def clock(self) -> float:
        return self.effects.clock()

    @property
    def texts(self) -> Texts:
        return self.effects.texts

    # -- change events ---------------------------------------------------------------------------

    async def account_changed(self, tx: UnitOfWork, event: AccountChanged) -> None:
        """A lifecycle event: the reconciler looks again, once this transaction commits
        (not for a blocked bot or a shared phone, which change nobody's place in a chat)."""
        if event.what not in {"bot_blocked", "phone"}:
            await self.request(tx, event.what)

    async def request(self, tx: UnitOfWork, reason: str) -> None:
        await tx.reconcile_requests.add(reason, now=self.clock())
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
        await self.effects.save_chat(tx, known, chat)
        if known != chat:
            why = not_gateable(chat) or "the bot can gate this chat"
            await self.effects.audit(tx, chat_id, "bot", reason=f"{status}: {why}")
        await self.request(tx, "bot rights")
        return chat

    async def member_status(
        self, tx: UnitOfWork, *, chat_id: int, telegram_id: int, status: MemberStatus, by_self: bool
    ) -> None:
        """``chat_member``: someone's status changed. Leaving on their own is recorded, not
        fought."""
        if await tx.chats.get_chat(chat_id) is None:
            return
        await self.effects.record_member(tx, chat_id, telegram_id, status)
        if by_self and status == "left":
            owner = await tx.accounts.find_user(telegram_id=telegram_id)
            await self.effects.audit(
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
        await tx.join_requests.add(request)
        tx.after_commit(self._joins.set)
        return True

    async def migrated(self, tx: UnitOfWork, old_chat_id: int, new_chat_id: int) -> None:
        """A group became a supergroup: everything follows it to its new id."""
        if await migrate_chat(tx, old_chat_id, new_chat_id):
            await self.effects.audit(tx, new_chat_id, "migrated", reason=f"from {old_chat_id}")
            await self.request(tx, "migrated")

    # -- the site's side -------------------------------------------------------------------------

    async def set_rule(
        self, chat_id: int, rule: ChatRule | None, *, managed: bool | None = None
    ) -> ChatView:
        async with self.uow() as tx:
            chat = await tx.chats.get_chat(chat_id)
            if chat is None:
                raise NotFound(
                    "no chat {chat_id}: make the bot an administrator there first",
                    values={"chat_id": chat_id},
                )
            await tx.chats.set_rule(chat_id, rule)
            if managed is not None and managed != chat.managed:
                await tx.chats.upsert_chat(replace(chat, managed=managed))
            await self.effects.audit(tx, chat_id, "rule", reason=_describe(rule, managed))
            await self.request(tx, "rule")
        return await self.chat(chat_id)

    async def chat(self, chat_id: int) -> ChatView:
        async with self.uow() as tx:
            chat = await tx.chats.get_chat(chat_id)
            if chat is None:
                raise NotFound("no chat {chat_id}", values={"chat_id": chat_id})
            rule = await tx.chats.get_rule(chat_id)
            present = await tx.members.present_counts(chat_id=chat_id)
            invites = await tx.invites.live_counts(now=self.clock(), chat_id=chat_id)
        return _view(chat, rule, present, invites)

    async def chats(self) -> list[ChatView]:
        """Every chat with its rule and counts: four reads, however many chats there are."""
        async with self.uow() as tx:
            chats = await tx.chats.list_chats()
            rules = await tx.chats.rules()
            present = await tx.members.present_counts()
            invites = await tx.invites.live_counts(now=self.clock())
        return [_view(chat, rules.get(chat.chat_id), present, invites) for chat in chats]

    async def user_chats(self, user_id: int) -> list[UserInChat]:
        """For each gated chat: may the account be in it, and is it."""
        now = self.clock()
        async with self.uow() as tx:
            user = await tx.accounts.get_user(user_id)
            if user is None:
                raise NotFound("no user {user_id}", values={"user_id": user_id})
            link = await tx.accounts.telegram_link(user_id=user_id)
            telegram_id = link.profile.telegram_id if link else None
            person = person_of(user.id, user.role, user.karma, telegram_id)
            removals = [e for e in await tx.audit.entries(user_id=user_id) if e.action == "remove"]
            # one read each for every chat (a chat may hold many thousands of members)
            statuses = {} if telegram_id is None else await tx.members.of_account(telegram_id)
            chats = await tx.chats.list_chats()
            rules = await tx.chats.rules()
            invited = await tx.invites.invited_to(user_id, now=now)
        found = []
        for chat in chats:
            rule = rules.get(chat.chat_id)
            if rule is None:
                continue
            verdict = eligibility(person, rule)
            held = statuses.get(chat.chat_id)
            status = held.status if held is not None else None
            removed = next((e for e in removals if e.chat_id == chat.chat_id), None)
            found.append(
                UserInChat(
                    chat,
                    not isinstance(verdict, NotEligible),
                    verdict.reasons if isinstance(verdict, NotEligible) else (),
                    status,
                    chat.chat_id in invited,
                    removed,
                    not_gateable(chat),
                )
            )
        return found

    async def audit_log(
        self, *, chat_id: int | None = None, user_id: int | None = None, limit: int = 100
    ) -> list[AuditEntry]:
        async with self.uow() as tx:
            return await tx.audit.entries(chat_id=chat_id, user_id=user_id, limit=limit)

    async def audit_trail(
        self, *, chat_id: int | None = None, user_id: int | None = None, limit: int = 100
    ) -> list[AuditLine]:
        """The audit log with the account each entry names: two reads, however long."""
        async with self.uow() as tx:
            entries = await tx.audit.entries(chat_id=chat_id, user_id=user_id, limit=limit)
            named = {e.user_id for e in entries if e.user_id is not None}
            users = await tx.accounts.get_users(named) if named else {}
        return [AuditLine(e, None if e.user_id is None else users.get(e.user_id)) for e in entries]

    # -- the worker's side ----------------------------------------------------------------------

    async def answer_join_requests(self, *, limit: int = 100) -> int:
        """Answer the join requests whose time has come; the number answered."""
        return await self.joins.answer_due(limit=limit)

    async def reconcile(self, *, dry_run: bool = False) -> PassReport | None:
        """One pass over every chat; None when another process holds the pass."""
        return await self.reconciler.reconcile(dry_run=dry_run)

    # -- running ---------------------------------------------------------------------------------

    async def run(self) -> None:
        """The worker's loop: a pass when asked (a change event) or when the schedule says,
        and join requests as they come. A failure of either stops both, for the worker to
        start them again (at once after a store's outage)."""
        await until_one_fails(self._reconcile_forever(), self._answer_forever())

    async def _reconcile_forever(self) -> None:
        next_pass = 0.0
        while True:
            async with self.uow() as tx:
                waiting = await tx.reconcile_requests.last()
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

    async def _answer_forever(self) -> None:
        while True:
            self._joins.clear()
            await self.answer_join_requests()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(1.0):
                    await self._joins.wait()


def _view(
    chat: Chat, rule: ChatRule | None, present: dict[int, int], invites: dict[int, int]
) -> ChatView:
    blocked = not_gateable(chat) or (None if rule else "no rule: not gated")
    return ChatView(chat, rule, blocked, present.get(chat.chat_id, 0), invites.get(chat.chat_id, 0))


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
