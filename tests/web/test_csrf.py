"""CSRF: every write made with the session cookie needs the session's token, and nothing
happens without it. A Mini App's ``Authorization: tma`` rides on no cookie and needs none.

Each refusal is checked by its effect too: the session still works, the link is still there.
"""

from __future__ import annotations

import re

import httpx
import pytest

from tests.harness.stack import Stack
from tgpass.testing import make_init_data

WRITES = [
    ("POST", "/api/link"),
    ("DELETE", "/api/link"),
    ("POST", "/api/auth/logout-everywhere"),
    ("POST", "/api/auth/logout"),
]


async def signed_in(stack: Stack, username: str = "ann") -> str:
    """Register ``username`` on ``stack.web`` (cookie session); its CSRF token, not sent."""
    answer = await stack.register(username)
    stack.web.headers.pop("X-CSRF-Token", None)
    return str(answer.json()["csrf_token"])


def wrong_tokens(token: str, other_session: str) -> list[dict[str, str]]:
    return [
        {},
        {"X-CSRF-Token": ""},
        {"X-CSRF-Token": "wrong"},
        {"X-CSRF-Token": token[:-1]},
        {"X-CSRF-Token": token + "x"},
        {"X-CSRF-Token": token[:-1] + ("A" if token[-1] != "A" else "B")},
        {"X-CSRF-Token": other_session},  # valid, but another session's
    ]


async def another_session(stack: Stack) -> str:
    """A second user's session token, from a client of its own."""
    async with httpx.AsyncClient(
        transport=stack.web._transport, base_url=str(stack.web.base_url)
    ) as other:
        answer = await other.post(
            "/api/auth/register", json={"username": "mallory", "password": "correct horse"}
        )
        assert answer.status_code == 201, answer.text
        return str(answer.json()["csrf_token"])


async def link_telegram(stack: Stack, token: str) -> int:
    offer = await stack.web.post("/api/link", headers={"X-CSRF-Token": token})
    assert offer.status_code == 200, offer.text
    tg = await stack.new_tg_user("Ann")
    await stack.users.open_link(tg, offer.json()["url"])
    await stack.users.start(tg, stack.bot_username)
    assert await stack.pump() >= 1
    assert (await stack.web.get("/api/link")).json()["linked"] is True
    return tg


async def still_signed_in(stack: Stack) -> bool:
    return (await stack.web.get("/api/me")).status_code == 200


@pytest.mark.parametrize(("method", "path"), WRITES)
async def test_cookie_writes_without_the_right_token_are_refused(
    stack: Stack, method: str, path: str
) -> None:
    token = await signed_in(stack)
    await link_telegram(stack, token)
    other = await another_session(stack)
    for headers in wrong_tokens(token, other):
        answer = await stack.web.request(method, path, headers=headers)
        assert answer.status_code == 403, (headers, answer.text)
        assert answer.json()["error"]["code"] == "csrf_failed"
        assert await still_signed_in(stack), headers
        assert (await stack.web.get("/api/link")).json()["linked"] is True, headers


async def test_offer_link_with_the_right_token(stack: Stack) -> None:
    token = await signed_in(stack)
    refused = await stack.web.post("/api/link")
    assert refused.status_code == 403
    answer = await stack.web.post("/api/link", headers={"X-CSRF-Token": token})
    assert answer.status_code == 200
    assert "start=" in answer.json()["url"]


async def test_unlink_with_the_right_token(stack: Stack) -> None:
    token = await signed_in(stack)
    await link_telegram(stack, token)
    assert (await stack.web.delete("/api/link")).status_code == 403
    assert (await stack.web.get("/api/link")).json()["linked"] is True
    answer = await stack.web.delete("/api/link", headers={"X-CSRF-Token": token})
    assert answer.status_code == 200
    assert (await stack.web.get("/api/link")).json()["linked"] is False


async def test_logout_everywhere_with_the_right_token(stack: Stack) -> None:
    token = await signed_in(stack)
    assert (await stack.web.post("/api/auth/logout-everywhere")).status_code == 403
    assert await still_signed_in(stack)
    answer = await stack.web.post("/api/auth/logout-everywhere", headers={"X-CSRF-Token": token})
    assert answer.status_code == 200
    assert not await still_signed_in(stack)


async def test_reads_need_no_token(stack: Stack) -> None:
    await signed_in(stack)
    assert (await stack.web.get("/api/link")).status_code == 200
    assert (await stack.web.get("/api/me")).status_code == 200


async def test_mini_app_writes_need_no_token(stack: Stack) -> None:
    # No cookie is involved, so a forged cross-site request has nothing to ride on.
    init_data = make_init_data(bot_token=stack.bot_token)
    async with httpx.AsyncClient(
        transport=stack.web._transport, base_url=str(stack.web.base_url)
    ) as mini_app:
        answer = await mini_app.post("/api/link", headers={"Authorization": f"tma {init_data}"})
        assert answer.status_code != 403, answer.text
        assert answer.json().get("error", {}).get("code") != "csrf_failed"


# -- the /logout form --------------------------------------------------------------------------


def form_token(html: str) -> str:
    match = re.search(
        r'<form method="post" action="/logout".*?name="csrf_token" value="([^"]+)"', html, re.S
    )
    assert match, "no sign-out form with a CSRF token"
    return match.group(1)


@pytest.mark.parametrize("everywhere", ["", "1"])
async def test_logout_form_without_the_right_token_is_refused(
    stack: Stack, everywhere: str
) -> None:
    token = await signed_in(stack)
    account = await stack.web.get("/account")
    assert form_token(account.text) == token
    other = await another_session(stack)
    for sent in (None, "", "wrong", token[:-1], token + "x", other):
        data = {"everywhere": everywhere} if everywhere else {}
        if sent is not None:
            data["csrf_token"] = sent
        answer = await stack.web.post("/logout", data=data)
        assert answer.status_code == 403, (sent, answer.status_code)
        assert await still_signed_in(stack), sent
    # The double-submit cookie of the pre-sign-in forms does not stand in for the session's.
    stack.web.cookies.set("tgpass_csrf", "cookie-token")
    answer = await stack.web.post("/logout", data={"csrf_token": "cookie-token"})
    assert answer.status_code == 403
    assert await still_signed_in(stack)


@pytest.mark.parametrize("everywhere", ["", "1"])
async def test_logout_form_with_the_right_token(stack: Stack, everywhere: str) -> None:
    token = await signed_in(stack)
    data = {"csrf_token": token, **({"everywhere": everywhere} if everywhere else {})}
    answer = await stack.web.post("/logout", data=data)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login"
    assert not await still_signed_in(stack)
