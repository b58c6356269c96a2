"""Server-side sessions in the KV store; the cookie holds only a random token.

A session is bound to its account, not to a row id: it names the account's id and the moment
the account was made, so no later account can inherit it (ids are never reused either, and a
session whose account is gone is deleted when next seen). It remembers the user's session
epoch when it began: signing out everywhere bumps the epoch, which ends every older session
at once, on every process. What else the account was
signed in to hears of it too (``on_end_everywhere``: the OpenID provider revokes the grants
the account gave other applications).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from tgpass.domain.accounts import User
from tgpass.domain.codes import code_key
from tgpass.service.ports import AccountStore, KeyValueStore

SOURCES = frozenset({"password", "widget", "loginurl", "miniapp", "bot", "oidc"})
EndedEverywhere = Callable[[int], Awaitable[None]]
"""Told the id of an account that signed out everywhere."""


@dataclass(frozen=True, slots=True)
class Session:
    user: User
    source: str
    csrf_token: str
    created_at: float


class SessionService:
    def __init__(
        self,
        kv: KeyValueStore,
        accounts: AccountStore,
        *,
        secret_key: str,
        ttl: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.kv = kv
        self.accounts = accounts
        self.secret_key = secret_key
        self.ttl = ttl
        self.clock = clock
        self._ended_everywhere: list[EndedEverywhere] = []

    def on_end_everywhere(self, hook: EndedEverywhere) -> None:
        """Call ``hook(user_id)`` each time an account signs out everywhere."""
        self._ended_everywhere.append(hook)

    def _key(self, token: str) -> str:
        return code_key(self.secret_key, "session", token)

    async def start(self, user: User, source: str) -> tuple[str, Session]:
        """A new session for ``user``: the cookie token and the session."""
        if source not in SOURCES:
            raise ValueError(f"unknown sign-in source {source!r}")
        token = secrets.token_urlsafe(32)
        session = Session(user, source, secrets.token_urlsafe(24), self.clock())
        record = {
            "user_id": user.id,
            "account": account_stamp(user),
            "epoch": user.session_epoch,
            "source": source,
            "csrf": session.csrf_token,
            "created_at": session.created_at,
        }
        await self.kv.set_json(self._key(token), record, self.ttl)
        return token, session

    async def resolve(self, token: str | None) -> Session | None:
        """The live session behind a cookie token, or None."""
        if not token or len(token) > 128:
            return None
        record = await self.kv.get_json(self._key(token))
        if not (isinstance(record, dict) and _well_formed(record)):
            return None
        user = await self.accounts.get_user(record["user_id"])
        if (
            user is None
            or account_stamp(user) != record["account"]
            or user.session_epoch != record["epoch"]
        ):
            await self.kv.delete(self._key(token))
            return None
        return Session(user, record["source"], record["csrf"], record["created_at"])

    async def end(self, token: str | None) -> None:
        if token and len(token) <= 128:
            await self.kv.delete(self._key(token))

    async def end_everywhere(self, user_id: int) -> None:
        """End every session of the account, then tell the hooks."""
        await self.accounts.bump_session_epoch(user_id)
        for hook in self._ended_everywhere:
            await hook(user_id)


def account_stamp(user: User) -> str:
    """What tells this account from any other that may ever hold its id: when it was made."""
    return user.created_at.isoformat()


def _well_formed(record: dict[str, object]) -> bool:
    """A record as ``start`` writes it (one written by another version is no session)."""
    return (
        type(record.get("user_id")) is int
        and isinstance(record.get("account"), str)
        and type(record.get("epoch")) is int
        and record.get("source") in SOURCES
        and isinstance(record.get("csrf"), str)
        and isinstance(record.get("created_at"), int | float)
    )
