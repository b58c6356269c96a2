"""Passwords: argon2id, verified in a thread so that hashing never blocks the event loop."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# A real hash of a random password: verifying against it when the user does not exist
# costs the same time, so response times do not reveal which usernames exist.
_hasher = PasswordHasher()
_DUMMY = _hasher.hash("tgpass-no-such-user")


class Passwords:
    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self.hasher = hasher or _hasher

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self.hasher.hash, password)

    async def verify(self, stored_hash: str | None, password: str) -> bool:
        def check() -> bool:
            try:
                # An account without a password (None, or an empty hash imported from
                # elsewhere) is checked against the dummy for the timing, and never matches.
                return self.hasher.verify(stored_hash or _DUMMY, password) and bool(stored_hash)
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                return False

        return await asyncio.to_thread(check)

    def needs_rehash(self, stored_hash: str) -> bool:
        return self.hasher.check_needs_rehash(stored_hash)
