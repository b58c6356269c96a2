"""Linking a site account to a Telegram chat through the bot, and one-time sign-in links.

The site hands a signed-in user ``https://t.me/<bot>?start=<code>``; the bot, on
``/start <code>``, consumes the code and links the Telegram user and their chat to the
account, in the transaction that records the update and queues the reply: all or nothing.
An account has at most one live code: a new one replaces the last. Only keyed hashes of
codes and consent tokens are stored.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from tgpass.domain.accounts import (
    TelegramLink,
    TelegramProfile,
    User,
    check_telegram_removable,
    keeps_a_way_in,
)
from tgpass.domain.codes import code_key
from tgpass.errors import NotFound
from tgpass.service.events import AccountChanged, AccountEvents
from tgpass.service.ports import AccountStore, AlreadyLinked, KeyValueStore
from tgpass.service.uow import Consent, UnitOfWork, UnitOfWorkFactory
from tgpass.verify import new_link_code, start_link

CONSENT_TTL = 600


@dataclass(frozen=True, slots=True)
class LinkOffer:
    code: str
    url: str
    expires_at: float


@dataclass(frozen=True, slots=True)
class Linked:
    user: User
    link: TelegramLink


@dataclass(frozen=True, slots=True)
class NeedsConsent:
    """The Telegram account is linked to ``current_user``; moving it needs its owner's yes."""

    token: str
    current_user: User
    new_user: User


@dataclass(frozen=True, slots=True)
class CodeUnusable:
    """Unknown, expired or already used: the answer is the same for each."""


@dataclass(frozen=True, slots=True)
class Kept:
    """The owner said no: the link stays where it was."""


@dataclass(frozen=True, slots=True)
class Stranded:
    """The Telegram account is ``current_user``'s only way to sign in: it cannot move."""

    current_user: User


RedeemOutcome = Linked | NeedsConsent | CodeUnusable | Stranded
ConsentOutcome = Linked | Kept | CodeUnusable | Stranded


class LinkingService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        accounts: AccountStore,
        kv: KeyValueStore,
        *,
        secret_key: str,
        link_ttl: int,
        login_link_ttl: int,
        bot_username: Callable[[], Awaitable[str]],
        events: AccountEvents,
        link_base: str = "https://t.me",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.events = events
        self.uow = uow
        self.accounts = accounts
        self.kv = kv
        self.secret_key = secret_key
        self.link_ttl = link_ttl
        self.login_link_ttl = login_link_ttl
        self.bot_username = bot_username
        self.link_base = link_base
        self.clock = clock

    def _hash(self, purpose: str, code: str) -> str:
        return code_key(self.secret_key, purpose, code).partition(":")[2]

    async def offer_link(self, user_id: int) -> LinkOffer:
        """A new one-time link for the account; any earlier one stops working."""
        code = new_link_code()
        expires_at = self.clock() + self.link_ttl
        url = start_link(await self.bot_username(), code, base=self.link_base)
        async with self.uow() as tx:
            await tx.links.put_code(user_id, self._hash("link", code), expires_at=expires_at)
        return LinkOffer(code, url, expires_at)

    async def link_of(self, user_id: int) -> TelegramLink | None:
        """The account's Telegram, as the read cache holds it; None when not linked."""
        return await self.accounts.telegram_link(user_id=user_id)

    async def pending(self, user_id: int) -> float | None:
        """When the account's live link code expires, or None."""
        async with self.uow() as tx:
            return await tx.links.pending_code(user_id, now=self.clock())

    async def cancel(self, user_id: int) -> bool:
        async with self.uow() as tx:
            return await tx.links.cancel_code(user_id)

    async def redeem(
        self, tx: UnitOfWork, code: str, profile: TelegramProfile, chat_id: int
    ) -> RedeemOutcome:
        """``/start <code>`` from ``profile`` in ``chat_id``, inside the update's transaction."""
        now = self.clock()
        user_id = await tx.links.take_code(self._hash("link", code), now=now)
        user = None if user_id is None else await tx.accounts.get_user(user_id)
        if user is None:
            return CodeUnusable()
        replaced = await tx.accounts.telegram_link(user_id=user.id)
        try:
            link = await tx.accounts.link_telegram(user.id, profile, chat_id=chat_id)
        except AlreadyLinked as taken:
            current = await tx.accounts.get_user(taken.user_id)
            assert current is not None  # links cascade with their user
            if not keeps_a_way_in(current):
                return Stranded(current)
            token = secrets.token_urlsafe(16)
            await tx.links.put_consent(
                self._hash("consent", token),
                Consent(user.id, chat_id),
                telegram_id=profile.telegram_id,
                expires_at=now + CONSENT_TTL,
            )
            return NeedsConsent(token, current, user)
        await self._replaced(tx, replaced, profile.telegram_id)
        await self.events.publish(tx, AccountChanged(user.id, "link"))
        return Linked(user, link)

    async def consent(
        self, tx: UnitOfWork, token: str, profile: TelegramProfile, *, accept: bool
    ) -> ConsentOutcome:
        """The Telegram account's owner answers; only their press consumes the token."""
        consent = await tx.links.take_consent(
            self._hash("consent", token), telegram_id=profile.telegram_id, now=self.clock()
        )
        if consent is None:
            return CodeUnusable()
        user = await tx.accounts.get_user(consent.user_id) if accept else None
        if user is None:
            return Kept()
        before = await tx.accounts.find_user(telegram_id=profile.telegram_id)
        if before is not None and before.id != user.id and not keeps_a_way_in(before):
            return Stranded(before)
        replaced = await tx.accounts.telegram_link(user_id=user.id)
        link = await tx.accounts.link_telegram(user.id, profile, chat_id=consent.chat_id, move=True)
        if before is not None and before.id != user.id:
            moved = AccountChanged(before.id, "unlink", telegram_id=profile.telegram_id)
            await self.events.publish(tx, moved)
        await self._replaced(tx, replaced, profile.telegram_id)
        await self.events.publish(tx, AccountChanged(user.id, "relink"))
        return Linked(user, link)

    async def unlink(
        self, *, user_id: int | None = None, telegram_id: int | None = None
    ) -> TelegramLink:
        async with self.uow() as tx:
            return await self.unlink_in(tx, user_id=user_id, telegram_id=telegram_id)

    async def unlink_in(
        self, tx: UnitOfWork, *, user_id: int | None = None, telegram_id: int | None = None
    ) -> TelegramLink:
        """Remove an account's Telegram link inside ``tx``: NotFound when there is none,
        LastSignInMethod when it is the account's only way to sign in."""
        link = await tx.accounts.telegram_link(user_id=user_id, telegram_id=telegram_id)
        owner = None if link is None else await tx.accounts.get_user(link.user_id)
        if link is None or owner is None:
            raise NotFound("no Telegram account is linked", code="not_linked")
        check_telegram_removable(owner)
        removed = await tx.accounts.unlink_telegram(telegram_id=link.profile.telegram_id)
        if removed is None:  # unlinked meanwhile
            raise NotFound("no Telegram account is linked", code="not_linked")
        gone = AccountChanged(removed.user_id, "unlink", telegram_id=removed.profile.telegram_id)
        await self.events.publish(tx, gone)
        return removed

    async def _replaced(
        self, tx: UnitOfWork, replaced: TelegramLink | None, telegram_id: int
    ) -> None:
        """Linking another Telegram account replaced the account's earlier one: unlinked."""
        if replaced is not None and replaced.profile.telegram_id != telegram_id:
            gone = AccountChanged(
                replaced.user_id, "unlink", telegram_id=replaced.profile.telegram_id
            )
            await self.events.publish(tx, gone)

    # -- one-time sign-in links sent by the bot ----------------------------------------------

    async def offer_login(self, user_id: int) -> str:
        code = secrets.token_urlsafe(32)
        key = code_key(self.secret_key, "login", code)
        await self.kv.set_json(key, {"user_id": user_id}, self.login_link_ttl)
        return code

    async def redeem_login(self, code: str) -> User | None:
        if not code or len(code) > 128:
            return None
        record = await self.kv.pop_json(code_key(self.secret_key, "login", code))
        return None if record is None else await self.accounts.get_user(int(record["user_id"]))
