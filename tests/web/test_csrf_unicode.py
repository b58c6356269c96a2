"""A CSRF token that is not ASCII is a wrong token like any other: the forms before sign-in,
the sign-out form and the JSON API's ``X-CSRF-Token`` answer their usual typed error, and
nothing happens."""

from __future__ import annotations

import pytest

from tests.harness.pagesite import (
    PASSWORD,
    PageSite,
    field,
)

NOT_ASCII = pytest.mark.parametrize(
    "sent",
    ["é", "токен", "\u00ff" * 30, "🚀", "a\u00e9\u0000b"],
    ids=["e", "ru", "ff", "rocket", "nul"],
)


@NOT_ASCII
async def test_the_login_and_register_forms_refuse_it(site: PageSite, sent: str) -> None:
    await site.register("ann")
    site.web.cookies.clear()
    login = await site.web.get("/login")
    assert field(login.text, "csrf_token")
    answer = await site.web.post(
        "/login", data={"username": "ann", "password": PASSWORD, "csrf_token": sent}
    )
    assert answer.status_code == 403
    assert 'data-testid="error"' in answer.text
    assert "tgpass_session" not in answer.cookies

    answer = await site.web.post(
        "/register", data={"username": "bob", "password": PASSWORD, "csrf_token": sent}
    )
    assert answer.status_code == 403
    assert await site.services.accounts.find_user(username="bob") is None


@NOT_ASCII
async def test_a_double_submit_cookie_not_ascii_is_refused_too(site: PageSite, sent: str) -> None:
    site.web.cookies.clear()
    raw_cookie = b"tgpass_csrf=" + sent.encode()  # the server reads it as Latin-1
    answer = await site.web.post(
        "/login",
        data={"username": "ann", "password": PASSWORD, "csrf_token": "plain-ascii-token"},
        headers={"Cookie": raw_cookie},
    )
    assert answer.status_code == 403
    assert 'data-testid="error"' in answer.text


@NOT_ASCII
async def test_the_sign_out_form_refuses_it(site: PageSite, sent: str) -> None:
    await site.register("ann")
    for data in ({"csrf_token": sent}, {"csrf_token": sent, "everywhere": "1"}):
        answer = await site.web.post("/logout", data=data)
        assert answer.status_code == 403
        assert answer.json()["error"]["code"] == "csrf_failed"
        assert (await site.web.get("/api/me")).status_code == 200


@NOT_ASCII
@pytest.mark.parametrize("path", ["/api/auth/logout", "/api/auth/logout-everywhere", "/api/link"])
async def test_the_api_header_refuses_it(site: PageSite, sent: str, path: str) -> None:
    await site.register("ann")
    # HTTP headers are bytes: a client may send any, and the server reads them as Latin-1
    answer = await site.web.post(path, headers={"X-CSRF-Token": sent.encode()})
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "csrf_failed"
    assert (await site.web.get("/api/me")).status_code == 200


async def test_a_header_not_ascii_without_a_session_is_401(site: PageSite) -> None:
    answer = await site.web.post("/api/auth/logout", headers={"X-CSRF-Token": "é".encode()})
    assert answer.status_code == 401
