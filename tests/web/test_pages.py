"""The site's pages: forms with CSRF tokens, the widget and Mini App scripts, sign-out."""

from __future__ import annotations

import re

from tests.harness.stack import Stack


def token_in(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the form"
    return match.group(1)


async def test_login_page_offers_every_way_in(stack: Stack) -> None:
    page = await stack.web.get("/login")
    assert page.status_code == 200
    assert 'data-telegram-login="example_site_bot"' in page.text
    assert stack.services.settings.widget_script_url in page.text
    assert "https://t.me/example_site_bot?start=login" in page.text
    assert token_in(page.text) == stack.web.cookies["tgpass_csrf"]


async def test_register_sign_out_and_sign_in_by_forms(stack: Stack) -> None:
    form = await stack.web.get("/register")
    done = await stack.web.post(
        "/register",
        data={
            "username": "ann",
            "password": "correct horse",
            "display_name": "Ann Example",
            "csrf_token": token_in(form.text),
        },
    )
    assert done.status_code == 303
    account = await stack.web.get("/account")
    assert "Ann Example" in account.text
    assert 'data-testid="link"' in account.text
    out = await stack.web.post("/logout", data={"csrf_token": token_in(account.text)})
    assert out.status_code == 303
    assert (await stack.web.get("/account")).headers["location"] == "/login"
    login = await stack.web.get("/login")
    wrong = await stack.web.post(
        "/login",
        data={"username": "ann", "password": "nope nope", "csrf_token": token_in(login.text)},
    )
    assert wrong.status_code == 401
    assert "Wrong username or password." in wrong.text
    right = await stack.web.post(
        "/login",
        data={"username": "ann", "password": "correct horse", "csrf_token": token_in(login.text)},
    )
    assert right.status_code == 303
    assert right.headers["location"] == "/account"


async def test_forms_without_the_token_are_refused(stack: Stack) -> None:
    await stack.web.get("/login")
    forged = await stack.web.post(
        "/login", data={"username": "ann", "password": "correct horse", "csrf_token": "forged"}
    )
    assert forged.status_code == 403
    assert "The form expired" in forged.text
    stack.web.cookies.clear()
    no_cookie = await stack.web.post(
        "/register", data={"username": "bob", "password": "x" * 9, "csrf_token": "x"}
    )
    assert no_cookie.status_code == 403


async def test_mini_app_page_and_bad_bot_links(stack: Stack) -> None:
    page = await stack.web.get("/miniapp")
    assert stack.services.settings.web_app_script_url in page.text
    assert "Telegram.WebApp" in page.text
    bad = await stack.web.get("/auth/bot?code=not-a-code")
    assert bad.status_code == 401
    assert "expired or was already used" in bad.text
    home = await stack.web.get("/")
    assert home.headers["location"] == "/login"
