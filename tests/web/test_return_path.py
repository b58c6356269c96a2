"""Where a sign-in lands: ``next`` when it is a path of this site, carried by the login and
register pages (their forms, their links, the widget's script), followed by every sign-in
that ends on a redirect; the account page for anything else."""

from __future__ import annotations

import json
import re
import time
from html import unescape
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.harness.pagesite import (
    PASSWORD,
    TOKEN,
    PageSite,
    field,
)
from tgpass.verify import sign_login_widget
from tgpass.web.deps import local_path

BACK = "/oidc/authorize?response_type=code&client_id=abc&redirect_uri=http%3A%2F%2Fx%2Fcb&s=a+b"
HOSTILE = [
    "//evil.example",
    "//evil.example/x",
    "https://evil.example",
    "https://evil.example/account",
    "/\\evil.example",
    "/\\/evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "/ /evil.example",
    "/\n/evil.example",
    "javascript:alert(1)",
    "evil.example",
    "/" + "a" * 2000,
    "",
]


def links(html: str) -> dict[str, str]:
    """The page's links by test id."""
    found = re.findall(r'href="([^"]*)" data-testid="([^"]+)"', html)
    return {testid: unescape(href) for href, testid in found}


def next_of(href: str) -> str | None:
    values = parse_qs(urlsplit(href).query).get("next")
    return values[0] if values else None


def widget_query(telegram_id: int = 5_000_000_001) -> str:
    fields = sign_login_widget(
        {"id": telegram_id, "first_name": "Zoya", "username": "zoya"},
        TOKEN,
        auth_date=int(time.time()),
    )
    return urlencode(fields)


# -- the check --------------------------------------------------------------------------------


@pytest.mark.parametrize("hostile", HOSTILE)
def test_only_a_path_of_this_site_is_followed(hostile: str) -> None:
    assert local_path(hostile) == "/account"


@pytest.mark.parametrize(
    "path", ["/account", "/account?tab=chats", BACK, "/a" * 1000, "/привет", "/x#frag"]
)
def test_paths_of_this_site_are_kept(path: str) -> None:
    assert local_path(path) == path


# -- the login page ---------------------------------------------------------------------------


async def test_the_login_form_brings_the_user_back(site: PageSite) -> None:
    await site.register("ann")
    site.web.cookies.clear()
    page = await site.web.get("/login", params={"next": BACK})
    assert field(page.text, "next") == BACK
    assert next_of(links(page.text)["register-link"]) == BACK
    assert f"location.href = {json.dumps(BACK)}" in page.text.replace("\\u0026", "&")
    signed_in = await site.web.post(
        "/login",
        data={
            "username": "ann",
            "password": PASSWORD,
            "csrf_token": field(page.text, "csrf_token"),
            "next": field(page.text, "next"),
        },
    )
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == BACK


async def test_a_failed_sign_in_keeps_next(site: PageSite) -> None:
    page = await site.web.get("/login", params={"next": "/account?tab=chats"})
    wrong = await site.web.post(
        "/login",
        data={
            "username": "ann",
            "password": "not the one",
            "csrf_token": field(page.text, "csrf_token"),
            "next": "/account?tab=chats",
        },
    )
    assert wrong.status_code == 401
    assert field(wrong.text, "next") == "/account?tab=chats"


async def test_without_next_the_page_is_as_before(site: PageSite) -> None:
    page = await site.web.get("/login")
    assert field(page.text, "next") == "/account"
    assert links(page.text)["register-link"] == "/register"
    assert 'location.href = "/account"' in page.text


@pytest.mark.parametrize("hostile", HOSTILE)
async def test_a_hostile_next_lands_on_the_account_page(site: PageSite, hostile: str) -> None:
    await site.register("ann")
    site.web.cookies.clear()
    page = await site.web.get("/login", params={"next": hostile})
    assert page.status_code == 200
    assert field(page.text, "next") == "/account"
    assert "evil" not in page.text
    signed_in = await site.web.post(
        "/login",
        data={
            "username": "ann",
            "password": PASSWORD,
            "csrf_token": field(page.text, "csrf_token"),
            "next": hostile,
        },
    )
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/account"


async def test_next_given_twice_is_not_followed(site: PageSite) -> None:
    page = await site.web.get("/login", params=[("next", "/a"), ("next", "/b")])
    assert field(page.text, "next") == "/account"


# -- the register page ------------------------------------------------------------------------


async def test_registering_brings_the_user_back(site: PageSite) -> None:
    page = await site.web.get("/register", params={"next": BACK})
    assert field(page.text, "next") == BACK
    assert next_of(links(page.text)["login-link"]) == BACK
    refused = await site.web.post(
        "/register",
        data={"username": "a", "password": PASSWORD, "csrf_token": "x", "next": BACK},
    )
    assert refused.status_code == 403
    assert field(refused.text, "next") == BACK
    made = await site.web.post(
        "/register",
        data={
            "username": "ann",
            "password": PASSWORD,
            "csrf_token": field(page.text, "csrf_token"),
            "next": BACK,
        },
    )
    assert made.status_code == 303
    assert made.headers["location"] == BACK
    assert (await site.web.get("/api/me")).status_code == 200


@pytest.mark.parametrize("hostile", ["//evil.example", "https://evil.example", "/\\evil"])
async def test_registering_with_a_hostile_next_lands_on_the_account_page(
    site: PageSite, hostile: str
) -> None:
    page = await site.web.get("/register", params={"next": hostile})
    assert field(page.text, "next") == "/account"
    assert links(page.text)["login-link"] == "/login"
    made = await site.web.post(
        "/register",
        data={
            "username": "ann",
            "password": PASSWORD,
            "csrf_token": field(page.text, "csrf_token"),
            "next": hostile,
        },
    )
    assert made.headers["location"] == "/account"


# -- Telegram's redirects ---------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/auth/telegram/callback", "/auth/telegram/loginurl"])
async def test_telegram_redirects_follow_next(site: PageSite, path: str) -> None:
    """Telegram adds its signed fields to the site's URL: ``next`` is the site's own."""
    back = await site.web.get(f"{path}?{urlencode({'next': BACK})}&{widget_query()}")
    assert back.status_code == 303, back.text
    assert back.headers["location"] == BACK
    site.web.cookies.clear()
    again = widget_query(5_000_000_003)  # (one signed payload signs in once)
    at_the_end = await site.web.get(f"{path}?{again}&{urlencode({'next': BACK})}")
    assert at_the_end.headers["location"] == BACK


@pytest.mark.parametrize("hostile", ["//evil.example", "https://evil.example", "/\\evil"])
async def test_telegram_redirects_refuse_a_hostile_next(site: PageSite, hostile: str) -> None:
    back = await site.web.get(
        f"/auth/telegram/loginurl?{urlencode({'next': hostile})}&{widget_query()}"
    )
    assert back.status_code == 303
    assert back.headers["location"] == "/account"


async def test_a_failed_telegram_redirect_keeps_next_on_the_login_page(site: PageSite) -> None:
    tampered = widget_query().replace("first_name=Zoya", "first_name=Mallory")
    back = await site.web.get(f"/auth/telegram/callback?{tampered}&{urlencode({'next': BACK})}")
    assert back.status_code == 401
    assert field(back.text, "next") == BACK


async def test_only_next_is_left_out_of_the_signed_fields(site: PageSite) -> None:
    """Any other parameter the site's URL had would be counted as signed, and fail."""
    back = await site.web.get(f"/auth/telegram/loginurl?from=chat&{widget_query()}")
    assert back.status_code == 401


async def test_the_bot_link_follows_next(site: PageSite) -> None:
    user = (await site.services.auth.sign_in_widget(widget_query(5_000_000_002))).id
    code = await site.services.linking.offer_login(user)  # what the bot sends on /login
    back = await site.web.get("/auth/bot", params={"code": code, "next": BACK})
    assert back.status_code == 303
    assert back.headers["location"] == BACK
    site.web.cookies.clear()
    code = await site.services.linking.offer_login(user)
    back = await site.web.get("/auth/bot", params={"code": code, "next": "//evil.example"})
    assert back.headers["location"] == "/account"
    spent = await site.web.get("/auth/bot", params={"code": code, "next": BACK})
    assert spent.status_code == 401
    assert field(spent.text, "next") == BACK
