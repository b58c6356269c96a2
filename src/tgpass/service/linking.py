"""Linking a site account to a Telegram chat through the bot, and one-time sign-in links.

The site hands a signed-in user ``https://t.me/<bot>?start=<code>``; the bot, on
``/start <code>``, consumes the code (atomically: once, whichever process gets the update)
and links the Telegram user and their chat to the account. Only a keyed hash of each code is
stored, with a TTL.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from tgpass.domain.accounts import TelegramLink, TelegramProfile, User
from tgpass.domain.codes import code_key
from tgpass.errors import NotFound
from tgpass.verify import new_link_code, start_link

from .ports import AccountStore, AlreadyLinked, KeyValueStore

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


RedeemOutcome = Linked | NeedsConsent | CodeUnusable


class LinkingService:
    def __init__(
        self,
        accounts: AccountStore,
        kv: KeyValueStore,
        *,
        secret_key: str,
        link_ttl: int,
        login_link_ttl: int,
        bot_username: Callable[[], Awaitable[str]],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.accounts = accounts
        self.kv = kv
        self.secret_key = secret_key
        self.link_ttl = link_ttl
        self.login_link_ttl = login_link_ttl
        self.bot_username = bot_username
        self.clock = clock

    def _key(self, purpose: str, code: str) -> str:
        return code_key(self.secret_key, purpose, code)

    async def offer_link(self, user_id: int) -> LinkOffer:
        code = new_link_code()
        await self.kv.set_json(self._key("link", code), {"user_id": user_id}, self.link_ttl)
        url = start_link(await self.bot_username(), code)
        return LinkOffer(code, url, self.clock() + self.link_ttl)

    async def redeem(self, code: str, profile: TelegramProfile, chat_id: int) -> RedeemOutcome:
        """``/start <code>`` from ``profile`` in ``chat_id``."""
        record = await self.kv.pop_json(self._key("link", code))
        user = None if record is None else await self.accounts.get_user(int(record["user_id"]))
        if user is None:
            return CodeUnusable()
        try:
            link = await self.accounts.link_telegram(user.id, profile, chat_id=chat_id)
        except AlreadyLinked as taken:
            current = await self.accounts.get_user(taken.user_id)
            if current is None:  # deleted meanwhile: nothing to consent to
                link = await self.accounts.link_telegram(
                    user.id, profile, chat_id=chat_id, move=True
                )
                return Linked(user, link)
            token = secrets.token_urlsafe(16)
            consent = {"user_id": user.id, "telegram_id": profile.telegram_id, "chat_id": chat_id}
            await self.kv.set_json(self._key("consent", token), consent, CONSENT_TTL)
            return NeedsConsent(token, current, user)
        return Linked(user, link)

    async def consent(self, token: str, profile: TelegramProfile, *, accept: bool) -> RedeemOutcome:
        """The Telegram account's owner answers: move the link, or keep it where it is."""
        record = await self.kv.pop_json(self._key("consent", token))
        if record is None or record["telegram_id"] != profile.telegram_id:
            return CodeUnusable()
        user = await self.accounts.get_user(int(record["user_id"])) if accept else None
        if user is None:
            return CodeUnusable()
        link = await self.accounts.link_telegram(
            user.id, profile, chat_id=int(record["chat_id"]), move=True
        )
        return Linked(user, link)

    async def unlink(
        self, *, user_id: int | None = None, telegram_id: int | None = None
    ) -> TelegramLink:
        removed = await self.accounts.unlink_telegram(user_id=user_id, telegram_id=telegram_id)
        if removed is None:
            raise NotFound("no Telegram account is linked", code="not_linked")
        return removed

    # -- one-time sign-in links sent by the bot ----------------------------------------------

    async def offer_login(self, user_id: int) -> str:
        code = secrets.token_urlsafe(32)
        await self.kv.set_json(self._key("login", code), {"user_id": user_id}, self.login_link_ttl)
        return code

    async def redeem_login(self, code: str) -> User | None:
        if not code or len(code) > 128:
            return None
        record = await self.kv.pop_json(self._key("login", code))
        return None if record is None else await self.accounts.get_user(int(record["user_id"]))
