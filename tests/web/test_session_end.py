"""Signing out ends the session on the server: the old cookie, sent again, is nobody's.

Clearing the cookie in the browser is not enough; a copied cookie must die too.
"""

from __future__ import annotations

import httpx
import pytest

from tests.harness.stack import Stack
from tgpass.service.accounts.sessions import SessionService, account_stamp
from tgpass.store.kv.memory import MemoryStore

SESSION_COOKIE = "tgpass_session"


async def sign_in(stack: Stack) -> tuple[str, str]:
    """Register; the session cookie's token and the CSRF token."""
    answer = await stack.register("ann")
    return stack.web.cookies[SESSION_COOKIE], str(answer.json()["csrf_token"])


async def me_with(stack: Stack, token: str) -> int:
    async with httpx.AsyncClient(
        transport=stack.web._transport, base_url=str(stack.web.base_url)
    ) as other:
        other.cookies.set(SESSION_COOKIE, token)
        return (await other.get("/api/me")).status_code


async def test_api_logout_ends_the_session_on_the_server(stack: Stack) -> None:
    token, csrf = await sign_in(stack)
    assert await me_with(stack, token) == 200
    answer = await stack.web.post("/api/auth/logout", headers={"X-CSRF-Token": csrf})
    assert answer.status_code == 200
    assert await me_with(stack, token) == 401


async def test_the_logout_form_ends_the_session_on_the_server(stack: Stack) -> None:
    token, csrf = await sign_in(stack)
    answer = await stack.web.post("/logout", data={"csrf_token": csrf})
    assert answer.status_code == 303
    assert await me_with(stack, token) == 401


async def test_logout_everywhere_ends_every_session(stack: Stack) -> None:
    token, csrf = await sign_in(stack)
    async with httpx.AsyncClient(
        transport=stack.web._transport, base_url=str(stack.web.base_url)
    ) as other:
        signed = await other.post(
            "/api/auth/login", json={"username": "ann", "password": "correct horse"}
        )
        second = other.cookies[SESSION_COOKIE]
        assert signed.status_code == 200
    answer = await stack.web.post("/api/auth/logout-everywhere", headers={"X-CSRF-Token": csrf})
    assert answer.status_code == 200
    assert await me_with(stack, token) == 401
    assert await me_with(stack, second) == 401


async def test_logout_ends_only_its_own_session(stack: Stack) -> None:
    token, csrf = await sign_in(stack)
    async with httpx.AsyncClient(
        transport=stack.web._transport, base_url=str(stack.web.base_url)
    ) as other:
        await other.post("/api/auth/login", json={"username": "ann", "password": "correct horse"})
        second = other.cookies[SESSION_COOKIE]
    await stack.web.post("/api/auth/logout", headers={"X-CSRF-Token": csrf})
    assert await me_with(stack, token) == 401
    assert await me_with(stack, second) == 200


@pytest.mark.parametrize(("length", "ended"), [(1, True), (128, True), (129, False)])
async def test_end_deletes_a_token_of_up_to_128_characters(length: int, ended: bool) -> None:
    kv = MemoryStore()
    sessions = SessionService(kv, accounts=None, secret_key="k", ttl=60)  # type: ignore[arg-type]
    token = "t" * length
    await kv.set(sessions._key(token), b"{}", 60)
    await sessions.end(token)
    assert (await kv.get(sessions._key(token)) is None) is ended


@pytest.mark.parametrize("token", [None, ""])
async def test_end_without_a_token_does_nothing(token: str | None) -> None:
    kv = MemoryStore()
    sessions = SessionService(kv, accounts=None, secret_key="k", ttl=60)  # type: ignore[arg-type]
    await kv.set("other", b"x", 60)
    await sessions.end(token)
    assert await kv.get("other") == b"x"


GOOD = {"epoch": 0, "source": "password", "csrf": "c", "created_at": 1.5}


@pytest.mark.parametrize(
    "broken",
    [
        {"user_id": "1"},
        {"user_id": True},
        {"epoch": "0"},
        {"epoch": None},
        {"source": "carrier pigeon"},
        {"csrf": 5},
        {"csrf": None},
        {"created_at": "now"},
        {"created_at": None},
        {"account": None},
        {"account": "2001-01-01T00:00:00+00:00"},  # another account that had this id
    ],
)
async def test_a_session_record_of_another_shape_is_no_session(
    stack: Stack, broken: dict[str, object]
) -> None:
    # What another version wrote, or a corrupted record: nobody, never a crash.
    await stack.register("ann")
    user = await stack.services.accounts.find_user(username="ann")
    assert user is not None
    sessions = stack.services.sessions
    good = {**GOOD, "user_id": user.id, "account": account_stamp(user), "epoch": 0}
    await sessions.kv.set_json(sessions._key("good"), good, 60)
    resolved = await sessions.resolve("good")
    assert resolved is not None
    assert (resolved.user.id, resolved.source, resolved.csrf_token) == (user.id, "password", "c")
    assert resolved.created_at == 1.5
    await sessions.kv.set_json(sessions._key("bad"), {**good, **broken}, 60)
    assert await sessions.resolve("bad") is None
    for missing in good:
        record = {k: v for k, v in good.items() if k != missing}
        await sessions.kv.set_json(sessions._key("bad"), record, 60)
        assert await sessions.resolve("bad") is None, missing


@pytest.mark.parametrize(("length", "found"), [(128, True), (129, False)])
async def test_tokens_of_up_to_128_characters_are_looked_up(
    stack: Stack, length: int, found: bool
) -> None:
    await stack.register("ann")
    user = await stack.services.accounts.find_user(username="ann")
    assert user is not None
    sessions = stack.services.sessions
    token = "t" * length
    record = {**GOOD, "user_id": user.id, "account": account_stamp(user), "epoch": 0}
    await sessions.kv.set_json(sessions._key(token), record, 60)
    assert (await sessions.resolve(token) is not None) is found


async def test_a_session_ended_everywhere_is_deleted_when_next_seen(stack: Stack) -> None:
    token, csrf = await sign_in(stack)
    sessions = stack.services.sessions
    await stack.web.post("/api/auth/logout-everywhere", headers={"X-CSRF-Token": csrf})
    assert await sessions.kv.get(sessions._key(token)) is not None  # still stored, but stale
    assert await sessions.resolve(token) is None
    assert await sessions.kv.get(sessions._key(token)) is None
