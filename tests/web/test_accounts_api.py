"""Website accounts over the JSON API: register, sign in, sessions, CSRF, rate limits."""

from __future__ import annotations

import httpx
import pytest

from tests.harness.stack import Stack


async def test_register_then_me(stack: Stack) -> None:
    answer = await stack.register("ann", "correct horse")
    body = answer.json()
    assert body["user"]["username"] == "ann"
    assert body["source"] == "password"
    cookie = answer.headers["set-cookie"]
    assert "tgpass_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie  # the public URL is http here
    me = (await stack.web.get("/api/me")).json()
    assert me["user"]["display_name"] == "ann"
    assert me["telegram"] is None


async def test_taken_username_and_bad_fields(stack: Stack) -> None:
    await stack.register("ann")
    again = await stack.web.post(
        "/api/auth/register", json={"username": "ANN", "password": "x" * 8}
    )
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "username_taken"
    short = await stack.web.post("/api/auth/register", json={"username": "bo", "password": "x" * 8})
    assert short.status_code == 422
    assert short.json()["error"]["field"] == "username"
    weak = await stack.web.post("/api/auth/register", json={"username": "bob", "password": "x"})
    assert weak.json()["error"]["field"] == "password"
    wrong_type = await stack.web.post("/api/auth/register", json={"username": 5, "password": []})
    assert wrong_type.status_code == 422
    assert wrong_type.json()["error"]["code"] == "invalid_input"
    form = await stack.web.post("/api/auth/register", data={"username": "bob", "password": "x" * 9})
    assert form.status_code == 422
    assert form.json()["error"]["code"] == "unsupported_media_type"


async def test_sign_in_sign_out(stack: Stack) -> None:
    await stack.register("ann", "correct horse")
    stack.web.cookies.clear()
    assert (await stack.web.get("/api/me")).status_code == 401
    wrong = await stack.web.post(
        "/api/auth/login", json={"username": "ann", "password": "nope nope"}
    )
    assert wrong.status_code == 401
    assert wrong.json()["error"]["code"] == "bad_credentials"
    nobody = await stack.web.post(
        "/api/auth/login", json={"username": "zed", "password": "nope nope"}
    )
    assert nobody.json() == wrong.json()  # no hint which usernames exist
    good = await stack.web.post(
        "/api/auth/login", json={"username": "Ann", "password": "correct horse"}
    )
    assert good.status_code == 200
    csrf = good.json()["csrf_token"]
    assert (await stack.web.get("/api/me")).status_code == 200
    refused = await stack.web.post("/api/auth/logout")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "csrf_failed"
    assert (
        await stack.web.post("/api/auth/logout", headers={"X-CSRF-Token": csrf})
    ).status_code == 200
    assert (await stack.web.get("/api/me")).status_code == 401


async def test_sign_out_everywhere(stack: Stack) -> None:
    await stack.register("ann", "correct horse")
    other = httpx.AsyncClient(transport=stack.web._transport, base_url=str(stack.web.base_url))
    async with other:
        signed = await other.post(
            "/api/auth/login", json={"username": "ann", "password": "correct horse"}
        )
        assert (await other.get("/api/me")).status_code == 200
        csrf = signed.json()["csrf_token"]
        done = await other.post("/api/auth/logout-everywhere", headers={"X-CSRF-Token": csrf})
        assert done.status_code == 200
        assert (await other.get("/api/me")).status_code == 401
    assert (await stack.web.get("/api/me")).status_code == 401  # the first session ended too


async def test_login_attempts_are_rate_limited(stack: Stack) -> None:
    await stack.register("ann", "correct horse")
    codes = []
    for _ in range(6):
        answer = await stack.web.post(
            "/api/auth/login", json={"username": "ann", "password": "guess guess"}
        )
        codes.append(answer.status_code)
    assert codes == [401] * 5 + [429]
    assert int(answer.headers["retry-after"]) > 0
    assert answer.json()["error"]["code"] == "rate_limited"
    blocked = await stack.web.post(
        "/api/auth/login", json={"username": "ann", "password": "correct horse"}
    )
    assert blocked.status_code == 429  # even the right password waits out the window


async def test_passwords_are_argon2id(stack: Stack) -> None:
    await stack.register("ann", "correct horse")
    user = await stack.services.accounts.find_user(username="ann")
    assert user is not None
    assert user.password_hash is not None
    assert user.password_hash.startswith("$argon2id$")


@pytest.mark.parametrize("path", ["/api/link", "/api/auth/logout-everywhere"])
async def test_writes_need_a_signed_in_user(stack: Stack, path: str) -> None:
    answer = await stack.web.post(path)
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "unauthorized"
