"""Signing in: a password, or anything Telegram signs, each ending in the same account and a
session whose ``source`` says how."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from tgpass.domain.accounts import (
    TelegramProfile,
    User,
    checked_display_name,
    checked_password,
    normalized_username,
)
from tgpass.errors import AuthError, Conflict, Forbidden, InvalidAuthData, TooManyAttempts
from tgpass.verify import InitData, TelegramLogin, Verifier

from .cache import TtlCache
from .passwords import Passwords
from .ports import AccountStore, KeyValueStore


class AuthService:
    def __init__(
        self,
        accounts: AccountStore,
        kv: KeyValueStore,
        verifier: Verifier,
        passwords: Passwords,
        *,
        telegram_signup: bool,
        login_attempts: int,
        login_window: int,
        account_cache_ttl: float = 0.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.accounts = accounts
        self.kv = kv
        self.verifier = verifier
        self.passwords = passwords
        self.telegram_signup = telegram_signup
        self.login_attempts = login_attempts
        self.login_window = login_window
        self.clock = clock
        self._verified: TtlCache[tuple[InitData, float]] = TtlCache(300, max_size=10_000)
        # The account behind a Mini App's init data, for as long as account reads are cached.
        self._mini_app_users: TtlCache[tuple[User, InitData]] = TtlCache(
            account_cache_ttl, max_size=10_000
        )
        self._lifetime = verifier.max_age if verifier.max_age is not None else 86400

    # -- passwords ----------------------------------------------------------------------------

    async def register(self, username: str, password: str, display_name: str | None = None) -> User:
        name = normalized_username(username)
        checked_password(password)
        shown = checked_display_name(display_name or username)
        hashed = await self.passwords.hash(password)
        try:
            return await self.accounts.create_user(
                display_name=shown, username=name, password_hash=hashed
            )
        except Conflict:
            raise Conflict("that username is taken", code="username_taken") from None

    async def sign_in_password(self, username: str, password: str, *, client: str) -> User:
        """Rate-limited per username and per client address; a wrong name or password is
        the same answer, in the same time."""
        name = username.strip().lower()[:64]
        await self._count_attempt(f"login:user:{name}")
        await self._count_attempt(f"login:client:{client}")
        user = await self.accounts.find_user(username=name)
        stored = user.password_hash if user else None
        if not await self.passwords.verify(stored, password) or user is None or stored is None:
            raise AuthError("wrong username or password", code="bad_credentials")
        if self.passwords.needs_rehash(stored):
            await self.accounts.update_user(
                user.id, password_hash=await self.passwords.hash(password)
            )
        return user

    async def _count_attempt(self, key: str) -> None:
        attempts = await self.kv.incr(key, self.login_window)
        if attempts > self.login_attempts:
            left = await self.kv.ttl(key)
            raise TooManyAttempts(
                "too many sign-in attempts; try again later",
                retry_after=max(1, int(left or self.login_window)),
            )

    # -- Telegram -------------------------------------------------------------------------------

    async def sign_in_widget(self, data: Mapping[str, object] | str) -> User:
        """Login Widget (callback or redirect) and LoginUrl buttons: one algorithm."""
        login: TelegramLogin = self.verifier.login_widget(data).data
        await self._once(f"seen:widget:{login.hash}")
        return await self.telegram_user(TelegramProfile.of(login.user))

    async def sign_in_mini_app(self, init_data: str) -> tuple[User, InitData]:
        """Mini App init data, from a sign-in or from ``Authorization: tma`` on any call. A
        Mini App sends the same init data with every call: a string verified once is
        remembered until it would expire."""
        known = self._mini_app_users.get(init_data)
        if known is not None and known[1].auth_date.timestamp() + self._lifetime > self.clock():
            return known
        data = self._verified_init_data(init_data)
        if data.user is None:
            raise InvalidAuthData("missing_field", "init data has no user", field="user")
        signed_in = await self.telegram_user(TelegramProfile.of(data.user)), data
        self._mini_app_users.put(init_data, signed_in)
        return signed_in

    def _verified_init_data(self, raw: str) -> InitData:
        remembered = self._verified.get(raw)
        if remembered is not None and remembered[1] > self.clock():
            return remembered[0]
        data = self.verifier.init_data(raw).data
        self._verified.put(raw, (data, data.auth_date.timestamp() + self._lifetime))
        return data

    async def _once(self, key: str) -> None:
        # A signed login is good for max_age; as a sign-in it is good once.
        if not await self.kv.add(key, b"1", self.verifier.max_age or 86400):
            raise AuthError("this sign-in was already used", code="replayed")

    async def telegram_user(self, profile: TelegramProfile, *, chat_id: int | None = None) -> User:
        """The account of a verified Telegram user, made on first sign-in when allowed."""
        user = await self.accounts.find_user(telegram_id=profile.telegram_id)
        if user is not None:
            link = await self.accounts.telegram_link(telegram_id=profile.telegram_id)
            if link is not None and link.profile != profile:  # write only what changed
                await self.accounts.update_telegram(profile.telegram_id, profile=profile)
            return user
        if not self.telegram_signup:
            raise Forbidden(
                "this Telegram account is not linked to an account here", code="not_linked"
            )
        user = await self.accounts.create_user(display_name=checked_display_name(profile.full_name))
        await self.accounts.link_telegram(user.id, profile, chat_id=chat_id)
        return user
