"""Signing in: a password, or anything Telegram signs, each ending in the same account and a
session whose ``source`` says how."""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any

from tgpass.domain.accounts import (
    USERNAME,
    TelegramProfile,
    User,
    checked_display_name,
    checked_password,
    checked_profile,
    display_name_of,
    normalized_username,
    storable,
)
from tgpass.errors import (
    AuthError,
    Conflict,
    Forbidden,
    InvalidAuthData,
    InvalidInput,
    NotFound,
    TooManyAttempts,
)
from tgpass.service.accounts.passwords import Passwords
from tgpass.service.cache import TtlCache
from tgpass.service.events import AccountChanged, AccountEvents
from tgpass.service.ports import AccountStore, KeyValueStore
from tgpass.service.uow import UnitOfWork, UnitOfWorkFactory
from tgpass.verify import InitData, TelegramLogin, Verifier

FAILURE_MEMORY = 86400
"""Seconds the failures of an account and client are remembered (a success forgets them)."""
CLIENT_FACTOR = 4
"""A client may fail this many times the free attempts, over all accounts, per window."""


def _digest(*parts: str) -> str:
    return hashlib.sha256("\n".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _too_many(seconds_left: float | None) -> TooManyAttempts:
    wait = max(1, math.ceil(seconds_left or 1))
    unit, n = how_long(wait)
    # one whole message per unit, its count written so that no language needs a plural form
    if unit == "hour":
        return TooManyAttempts(
            "too many failed sign-ins; try again in {n} h", retry_after=wait, values={"n": n}
        )
    if unit == "minute":
        return TooManyAttempts(
            "too many failed sign-ins; try again in {n} min", retry_after=wait, values={"n": n}
        )
    return TooManyAttempts(
        "too many failed sign-ins; try again in {n} s", retry_after=wait, values={"n": n}
    )


def how_long(seconds: float) -> tuple[str, int]:
    """A wait in the largest unit it fills, rounded up: ``("second", 40)``,
    ``("minute", 2)``, ``("hour", 1)``."""
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds >= size:
            return unit, math.ceil(seconds / size)
    return "second", max(1, math.ceil(seconds))


@dataclass(frozen=True, slots=True)
class Attempt:
    """A sign-in under way: whose, and its place in the run of failures (this one included)."""

    pair: str
    client: str
    failures: int


class SignInThrottle:
    """Failed sign-ins slow down whoever fails; they never lock the owner out.

    Only failures count, in the KV store (shared by every process):

    - per account and client: ``free`` failures, then each further failure doubles the wait
      before that client may try that account again (1 s, 2 s, 4 s, ... up to ``cap``). A
      success clears them. The owner signing in from another client waits for no one.
    - per client, over every account (one address trying many): ``free * CLIENT_FACTOR``
      failures within ``cap`` seconds, then the same doubling.

    While a wait runs, attempts are refused before any password is checked, and not counted.
    An attempt counts as a failure until it succeeds, so that attempts racing each other
    meet each other's count: past the free ones, one attempt at a time holds the next turn.
    """

    def __init__(self, kv: KeyValueStore, *, free: int, cap: float) -> None:
        self.kv = kv
        self.free = max(1, free)
        self.cap = max(1.0, cap)
        self.client_free = self.free * CLIENT_FACTOR

    def _wait(self, failures: int, free: int) -> float:
        return float(min(self.cap, 2.0 ** min(failures - free, 32)))

    async def before(self, account: str, client: str) -> Attempt:
        """Refuse (TooManyAttempts) while a wait runs; otherwise count the attempt."""
        pair, who = _digest(account, client), _digest(client)
        for key in (f"signin:wait:{pair}", f"signin:client-wait:{who}"):
            left = await self.kv.ttl(key)
            if left is not None:
                raise _too_many(left)
        failures = await self.kv.incr(f"signin:failures:{pair}", FAILURE_MEMORY)
        if failures > self.free:
            turn = self._wait(failures, self.free)
            if not await self.kv.add(f"signin:wait:{pair}", b"1", turn):
                raise _too_many(await self.kv.ttl(f"signin:wait:{pair}"))
        return Attempt(pair, who, failures)

    async def failed(self, attempt: Attempt) -> None:
        if attempt.failures >= self.free:
            wait = self._wait(attempt.failures, self.free)
            await self.kv.set(f"signin:wait:{attempt.pair}", b"1", wait)
        client_failures = await self.kv.incr(f"signin:client-failures:{attempt.client}", self.cap)
        if client_failures >= self.client_free:
            wait = self._wait(client_failures, self.client_free)
            await self.kv.set(f"signin:client-wait:{attempt.client}", b"1", wait)

    async def succeeded(self, attempt: Attempt) -> None:
        await self.kv.delete(f"signin:failures:{attempt.pair}")
        if attempt.failures > self.free:  # (only then can a wait have been set)
            await self.kv.delete(f"signin:wait:{attempt.pair}")


async def new_telegram_account(
    tx: UnitOfWork, events: AccountEvents, profile: TelegramProfile, *, chat_id: int | None = None
) -> User:
    """An account for a Telegram user signing in for the first time, linked to them: the
    account, its link and what follows from them are written together."""
    user = await tx.accounts.create_user(display_name=display_name_of(profile))
    await tx.accounts.link_telegram(user.id, profile, chat_id=chat_id)
    await events.publish(tx, AccountChanged(user.id, "signup"))
    return user


class AuthService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        accounts: AccountStore,
        kv: KeyValueStore,
        verifier: Verifier,
        passwords: Passwords,
        events: AccountEvents,
        *,
        telegram_signup: bool,
        login_attempts: int,
        login_window: int,
        account_cache_ttl: float = 0.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.uow = uow
        self.accounts = accounts
        self.kv = kv
        self.verifier = verifier
        self.passwords = passwords
        self.events = events
        self.telegram_signup = telegram_signup
        self.login_attempts = login_attempts
        self.login_window = login_window
        self.clock = clock
        self.throttle = SignInThrottle(kv, free=login_attempts, cap=login_window)
        self._verified: TtlCache[tuple[InitData, float]] = TtlCache(300, max_size=10_000)
        # The account behind a Mini App's init data, for as long as account reads are cached,
        # with when the init data expires.
        self._mini_app_users: TtlCache[tuple[tuple[User, InitData], float]] = TtlCache(
            account_cache_ttl, max_size=10_000
        )
        self._lifetime = verifier.max_age if verifier.max_age is not None else 86400

    # -- passwords ----------------------------------------------------------------------------

    async def register(self, username: str, password: str, display_name: str | None = None) -> User:
        """A new account with a password (and nothing else: see ``registration``)."""
        async with self.registration(username, password, display_name) as user:
            return user

    @asynccontextmanager
    async def registration(
        self,
        username: str,
        password: str,
        display_name: str | None = None,
    ) -> AsyncIterator[User]:
        """A new account with a password, in a unit of work that commits when the block ends:
        what the block does (start the account's session) succeeds with it, or the account is
        not written. A KV store that fails at sign-in leaves no account behind that a retry
        would find taken.

        >>> async with auth.registration("ann", "correct horse") as user:  # doctest: +SKIP
        ...     token, session = await sessions.start(user, "password")
        """
        # The hash before the transaction: no write lock is held while argon2 runs.
        name, shown, hashed = await self._new_account(username, password, display_name)
        async with self.uow() as tx:
            user = await self._create(tx.accounts, name, shown, hashed)
            await self.events.publish(tx, AccountChanged(user.id, "signup"))
            yield user

    async def _new_account(
        self, username: str, password: str, display_name: str | None
    ) -> tuple[str, str, str]:
        name = normalized_username(username)
        checked_password(password)
        shown = checked_display_name(display_name or username)
        if await self.accounts.find_user(username=name) is not None:  # spare the hashing
            raise Conflict("that username is taken", code="username_taken")
        return name, shown, await self.passwords.hash(password)

    @staticmethod
    async def _create(accounts: AccountStore, name: str, shown: str, hashed: str) -> User:
        try:
            return await accounts.create_user(
                display_name=shown, username=name, password_hash=hashed
            )
        except Conflict:
            raise Conflict("that username is taken", code="username_taken") from None

    async def sign_in_password(self, username: str, password: str, *, client: str) -> User:
        """Throttled by failures (SignInThrottle); a wrong name or password is the same
        answer, in the same time."""
        storable(password, "password")
        name = username.strip().lower()[:64]
        attempt = await self.throttle.before(name, client)
        # A name no account can have is never looked up (nor sent to the database).
        user = await self.accounts.find_user(username=name) if USERNAME.fullmatch(name) else None
        stored = user.password_hash if user else None
        if not await self.passwords.verify(stored, password) or user is None or stored is None:
            await self.throttle.failed(attempt)
            raise AuthError("wrong username or password", code="bad_credentials")
        await self.throttle.succeeded(attempt)
        if self.passwords.needs_rehash(stored):
            await self.accounts.update_user(
                user.id, password_hash=await self.passwords.hash(password)
            )
        return user

    async def set_password(
        self,
        user_id: int,
        password: str,
        *,
        client: str,
        username: str | None = None,
        current_password: str | None = None,
    ) -> User:
        """A password for an account, so that it can sign in without Telegram. An account
        without a username chooses one here, by registration's rules. An account with a
        password changes it only with the current one (guesses are throttled as sign-ins)."""
        user = await self.accounts.get_user(user_id)
        if user is None:
            raise NotFound("no such account")
        checked_password(password)
        name = self._chosen_username(user, username)
        if user.password_hash is not None:
            await self._check_current(user, current_password, client)
        elif name is not None and await self.accounts.find_user(username=name) is not None:
            raise Conflict("that username is taken", code="username_taken")
        hashed = await self.passwords.hash(password)
        try:
            async with self.uow() as tx:
                # only over the password checked above: of two requests at once, one wins
                return await tx.accounts.update_user(
                    user.id,
                    password_hash=hashed,
                    username=name,
                    if_password_hash=user.password_hash,
                )
        except Conflict as clash:
            if clash.code == "password_set":
                raise Conflict(
                    "the password was just set elsewhere; sign in with it", code="password_set"
                ) from None
            raise Conflict("that username is taken", code="username_taken") from None

    async def choose_language(self, user_id: int, language: str) -> User:
        """Keep the language the person chose for the site's pages with their account, so
        that every browser they sign in on shows it (the caller checks it is offered)."""
        async with self.uow() as tx:
            return await tx.accounts.update_user(user_id, language=language)

    @staticmethod
    def _chosen_username(user: User, username: str | None) -> str | None:
        """The username to write: None when the account has one already (it stays)."""
        if user.username is not None:
            if username and username.strip().lower() != user.username:
                raise InvalidInput("the username cannot be changed here", field="username")
            return None
        if not username:
            raise InvalidInput("choose a username to sign in with", field="username")
        return normalized_username(username)

    async def _check_current(self, user: User, current: str | None, client: str) -> None:
        if not current:
            raise Conflict(
                "this account has a password; give the current one to change it",
                code="password_set",
            )
        storable(current, "current_password")
        attempt = await self.throttle.before(user.username or str(user.id), client)
        if not await self.passwords.verify(user.password_hash, current):
            await self.throttle.failed(attempt)
            raise Forbidden("the current password is not right", code="wrong_password")
        await self.throttle.succeeded(attempt)

    # -- Telegram -------------------------------------------------------------------------------

    async def sign_in_widget(self, data: Mapping[str, object] | str) -> User:
        """Login Widget (callback or redirect) and LoginUrl buttons: one algorithm."""
        login: TelegramLogin = self.verifier.login_widget(data).data
        profile = checked_profile(TelegramProfile.of(login.user))  # before it counts as used
        await self._once(f"seen:widget:{login.hash}")
        return await self.telegram_user(profile)

    async def sign_in_mini_app(self, init_data: str) -> tuple[User, InitData]:
        """Mini App init data, from a sign-in or from ``Authorization: tma`` on any call. A
        Mini App sends the same init data with every call: a string verified once is
        remembered until it would expire."""
        known = self._mini_app_users.get(init_data)
        if known is not None and known[1] > self.clock():
            return known[0]
        data = self._verified_init_data(init_data)
        if data.user is None:
            raise InvalidAuthData("missing_field", "init data has no user", field="user")
        signed_in = await self.telegram_user(TelegramProfile.of(data.user)), data
        self._mini_app_users.put(init_data, (signed_in, self._expiry(data)))
        return signed_in

    def _expiry(self, data: InitData) -> float:
        return data.auth_date.timestamp() + self._lifetime

    def _verified_init_data(self, raw: str) -> InitData:
        remembered = self._verified.get(raw)
        if remembered is not None and remembered[1] > self.clock():
            return remembered[0]
        data = self.verifier.init_data(raw).data
        self._verified.put(raw, (data, self._expiry(data)))
        return data

    async def _once(self, key: str) -> None:
        # A signed login is good for max_age; as a sign-in it is good once.
        if not await self.kv.add(key, b"1", self.verifier.max_age or 86400):
            raise AuthError("this sign-in was already used", code="replayed")

    async def telegram_user(self, profile: TelegramProfile, *, chat_id: int | None = None) -> User:
        """The account of a verified Telegram user, made on first sign-in when allowed. The
        profile must fit the stores (checked_profile): a signed id beyond 64 bits or a name
        with a NUL is refused here, as InvalidInput."""
        profile = checked_profile(profile)
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
        async with self.uow() as tx:
            return await new_telegram_account(tx, self.events, profile, chat_id=chat_id)

    async def sign_in_oidc(
        self, profile: TelegramProfile, *, phone_number: str | None = None, bot_access: bool = False
    ) -> User:
        """Telegram Login (OpenID Connect), its ID token verified: the same account as every
        other Telegram source, by Telegram id. The token names the user in one ``name``: names
        already known are kept while they add up to it, and so is the language. A phone number
        Telegram verified is kept; ``bot_access`` (the user let the bot write first) opens their
        private chat, whose id is theirs. Only what changed is written, in one transaction."""
        profile = checked_profile(profile)
        telegram_id = profile.telegram_id
        chat: dict[str, Any] = {"chat_id": telegram_id, "bot_blocked": False} if bot_access else {}
        link = await self.accounts.telegram_link(telegram_id=telegram_id)
        if link is None:
            if not self.telegram_signup:
                raise Forbidden(
                    "this Telegram account is not linked to an account here", code="not_linked"
                )
            async with self.uow() as tx:
                user = await new_telegram_account(
                    tx, self.events, profile, chat_id=chat.get("chat_id")
                )
                if phone_number:
                    await tx.accounts.update_telegram(telegram_id, phone_number=phone_number)
                    await self.events.publish(tx, AccountChanged(user.id, "phone"))
            return user
        known = link.profile
        if known.full_name == profile.full_name:
            profile = replace(profile, first_name=known.first_name, last_name=known.last_name)
        profile = replace(profile, language_code=known.language_code)
        changes: dict[str, Any] = {"profile": profile} if profile != known else {}
        if phone_number and phone_number != link.phone_number:
            changes["phone_number"] = phone_number
        reachable = bool(chat) and (link.chat_id != telegram_id or link.bot_blocked)
        if reachable:
            changes.update(chat)
        found = await self.accounts.find_user(telegram_id=telegram_id)
        if found is None:
            raise Conflict("the Telegram link changed meanwhile; try again")
        if changes:
            async with self.uow() as tx:
                await tx.accounts.update_telegram(telegram_id, **changes)
                if reachable:  # the bot may write to them now: gated chats may invite them
                    what = "bot_unblocked" if link.bot_blocked else "reachable"
                    await self.events.publish(tx, AccountChanged(found.id, what))
                if "phone_number" in changes:
                    await self.events.publish(tx, AccountChanged(found.id, "phone"))
        return found
