"""Sign-in throttling protects and never locks out: only failures count, per account and
client and per client; each further failure doubles the wait; a success clears it; the
client is the peer, or what a trusted proxy says it is."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher

from tests.harness.served import Served, served
from tests.harness.site import MEMORY
from tgpass.errors import AuthError, TooManyAttempts
from tgpass.service.accounts.auth import AuthService, how_long
from tgpass.service.accounts.passwords import Passwords
from tgpass.service.events import AccountEvents
from tgpass.store.kv.memory import MemoryStore

OWNER, ATTACKER = "198.51.100.7", "203.0.113.9"


@pytest.fixture
async def web(tmp_path: Path) -> AsyncIterator[Served]:
    async with served(MEMORY, tmp_path) as found:
        yield found


async def login(web: httpx.AsyncClient, username: str, password: str, **kw: str) -> int:
    headers = {"X-Forwarded-For": kw["forwarded"]} if "forwarded" in kw else None
    answer = await web.post(
        "/api/auth/login", json={"username": username, "password": password}, headers=headers
    )
    if answer.status_code == 429:
        assert int(answer.headers["retry-after"]) >= 1
        assert answer.json()["error"]["code"] == "rate_limited"
    return answer.status_code


async def test_people_signing_in_from_one_address_are_never_throttled(web: Served) -> None:
    names = [f"user{n}" for n in range(7)]
    for name in names:
        await web.services.auth.register(name, "correct horse")
    async with web.client(OWNER) as office:
        codes = [await login(office, name, "correct horse") for name in names]
    assert codes == [200] * 7


async def test_an_attacker_cannot_lock_the_owner_out(web: Served) -> None:
    await web.services.auth.register("ann", "correct horse")
    async with web.client(ATTACKER) as attacker, web.client(OWNER) as owner:
        codes = [await login(attacker, "ann", f"guess {n}") for n in range(12)]
        assert codes[:5] == [401] * 5
        assert 429 in codes  # the attacker is slowed down, ...
        assert await login(attacker, "ann", "correct horse") == 429  # even a good guess waits
        assert await login(owner, "ann", "correct horse") == 200  # ... the owner is not


async def test_a_success_clears_the_failures(web: Served) -> None:
    await web.services.auth.register("ann", "correct horse")
    async with web.client(OWNER) as owner:
        for _ in range(2):
            codes = [await login(owner, "ann", "typo typo") for _ in range(4)]
            assert codes == [401] * 4
            assert await login(owner, "ann", "correct horse") == 200


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_each_further_failure_doubles_the_wait(web: Served) -> None:
    clock = Clock()
    auth = AuthService(
        web.services.uow,
        web.services.accounts,
        MemoryStore(clock=clock),
        web.services.verifier,
        Passwords(PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)),  # quick
        AccountEvents(),
        telegram_signup=True,
        login_attempts=3,
        login_window=60,
    )
    await auth.register("ann", "correct horse")
    for _ in range(3):  # the free ones
        with pytest.raises(AuthError, match="wrong"):
            await auth.sign_in_password("ann", "wrong guess", client=ATTACKER)
    waits = []
    for _ in range(9):
        with pytest.raises(TooManyAttempts) as refused:
            await auth.sign_in_password("ann", "wrong guess", client=ATTACKER)
        waits.append(refused.value.retry_after)
        clock.now += refused.value.retry_after
        with pytest.raises(AuthError, match="wrong"):  # its turn: checked, and wrong
            await auth.sign_in_password("ann", "wrong guess", client=ATTACKER)
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    # the owner, from elsewhere, meanwhile:
    assert (await auth.sign_in_password("ann", "correct horse", client=OWNER)).username == "ann"
    # and, once the wait is over, a success from the attacker's address clears its run
    clock.now += 60
    assert (await auth.sign_in_password("ann", "correct horse", client=ATTACKER)).username
    with pytest.raises(AuthError, match="wrong"):
        await auth.sign_in_password("ann", "wrong guess", client=ATTACKER)
    assert (await auth.sign_in_password("ann", "correct horse", client=ATTACKER)).username


async def test_one_client_trying_many_accounts_is_slowed(tmp_path: Path) -> None:
    async with served(MEMORY, tmp_path, login_attempts=2) as web:
        await web.services.auth.register("ann", "correct horse")
        async with web.client(ATTACKER) as attacker, web.client(OWNER) as owner:
            codes = [await login(attacker, f"name{n}", "guess guess") for n in range(8)]
            assert codes == [401] * 8  # never twice the same account
            assert await login(attacker, "ann", "correct horse") == 429
            assert await login(owner, "ann", "correct horse") == 200


async def test_forwarded_for_is_ignored_from_an_untrusted_peer(web: Served) -> None:
    await web.services.auth.register("ann", "correct horse")
    async with web.client(ATTACKER) as attacker:
        codes = [
            await login(attacker, "ann", "guess guess", forwarded=f"192.0.2.{n}") for n in range(8)
        ]
    assert codes[:5] == [401] * 5
    assert codes[5:] == [429] * 3


async def test_forwarded_for_is_believed_from_a_trusted_proxy(tmp_path: Path) -> None:
    async with served(MEMORY, tmp_path, trusted_proxies="10.0.0.0/8,192.0.2.1") as web:
        await web.services.auth.register("ann", "correct horse")
        async with web.client("10.1.2.3") as proxy:
            # the right-most address no trusted proxy wrote is the client; what is left of it
            # is the client's own writing
            codes = [
                await login(proxy, "ann", "guess", forwarded=f"1.1.1.{n}, {ATTACKER}, 192.0.2.1")
                for n in range(8)
            ]
            assert codes[:5] == [401] * 5
            assert codes[5:] == [429] * 3
            assert await login(proxy, "ann", "correct horse", forwarded=ATTACKER) == 429
            assert await login(proxy, "ann", "correct horse", forwarded=OWNER) == 200


UNITS = {"second": "s", "minute": "min", "hour": "h"}


def said(wait: int) -> str:
    unit, n = how_long(wait)
    return f"{n} {UNITS[unit]}"


async def test_the_refusal_says_how_long_to_wait(tmp_path: Path) -> None:
    async with served(MEMORY, tmp_path, login_attempts=1, login_window=900) as web:
        await web.services.auth.register("ann", "correct horse")
        async with web.client(ATTACKER) as attacker:
            answers = []
            for _ in range(10):
                answer = await attacker.post(
                    "/api/auth/login", json={"username": "ann", "password": "guess guess"}
                )
                answers.append(answer)
        refused = [a for a in answers if a.status_code == 429]
        assert refused
        for answer in refused:
            wait = int(answer.headers["retry-after"])
            assert answer.json()["error"]["message"].endswith(f"try again in {said(wait)}")


async def test_the_login_page_says_how_long_and_keeps_the_username(tmp_path: Path) -> None:
    async with served(MEMORY, tmp_path, login_attempts=1, login_window=900) as web:
        await web.services.auth.register("ann", "correct horse")
        async with web.client(ATTACKER) as browser:
            page = await browser.get("/login")
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            assert token is not None
            form = {"username": "Ann", "password": "guess guess", "csrf_token": token.group(1)}
            wrong = await browser.post("/login", data=form)
            assert wrong.status_code == 401
            assert 'name="username" value="Ann"' in wrong.text
            assert "guess guess" not in wrong.text  # never the password
            for _ in range(6):
                last = await browser.post("/login", data=form)
                if last.status_code == 429:
                    break
            assert last.status_code == 429
            wait = int(last.headers["retry-after"])
            assert f"Too many failed sign-ins; try again in {said(wait)}." in last.text
            assert 'name="username" value="Ann"' in last.text
