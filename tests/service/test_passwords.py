"""Password checks: argon2id, and the dummy hash that hides which usernames exist is never a
way in, even with the dummy's own password (it is in the source code)."""

from __future__ import annotations

from argon2 import PasswordHasher

from tgpass.service.accounts.passwords import Passwords

FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


async def test_the_dummy_password_opens_no_account_without_a_password() -> None:
    passwords = Passwords()
    assert await passwords.verify(None, "tgpass-no-such-user") is False
    assert await passwords.verify(None, "anything") is False


async def test_an_empty_stored_hash_is_no_password() -> None:
    assert await Passwords().verify("", "tgpass-no-such-user") is False


async def test_right_wrong_and_broken_hashes() -> None:
    passwords = Passwords(FAST)
    stored = await passwords.hash("correct horse")
    assert stored.startswith("$argon2id$")
    assert await passwords.verify(stored, "correct horse") is True
    assert await passwords.verify(stored, "correct horsE") is False
    assert await passwords.verify("not a hash", "correct horse") is False
    assert await passwords.verify(stored[:-4], "correct horse") is False


async def test_weaker_parameters_need_a_rehash() -> None:
    weak = await Passwords(FAST).hash("correct horse")
    assert Passwords().needs_rehash(weak) is True
    assert Passwords(FAST).needs_rehash(weak) is False
