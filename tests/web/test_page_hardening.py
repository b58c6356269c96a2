"""What every page of the site sends, walked over the app's own routes (a new page cannot be
forgotten): never framed (RFC 9700 §4.16) but the Mini App, by Telegram's clients only; never
stored; errors as a page for a person and as JSON for a program; an icon; staff pages that
come back after signing in; words for people where codes were."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from tests.harness.pagesite import (
    PASSWORD,
    PageSite,
    field,
)
from tgpass.settings import Settings
from tgpass.web import admin
from tgpass.web.edge import TELEGRAM_WEB, mini_app_framers

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
PAGES = {"/login", "/register", "/account", "/admin", "/admin/chats", "/miniapp"}
"""Pages the walk must meet as HTML (so that it cannot pass by meeting none)."""
SIGNED_IN_PAGES = ["/account", "/admin", "/admin/chats"]


def app_of(site: PageSite) -> FastAPI:
    transport = site.web._transport
    assert isinstance(transport, httpx.ASGITransport)
    app = transport.app
    assert isinstance(app, FastAPI)
    return app


def get_paths(app: FastAPI) -> list[str]:
    """Every GET route of the app (included routers' too), path parameters filled in."""
    paths = []
    for route in iter_route_contexts(app.routes):
        if route.path and "GET" in (route.methods or ()):
            paths.append(re.sub(r"\{[^}]+\}", "1", route.path))
    return sorted(set(paths))


async def staff(site: PageSite) -> None:
    await site.register("boss")
    boss = await site.services.accounts.find_user(username="boss")
    assert boss is not None
    await site.services.accounts.update_user(boss.id, role="staff")


def is_html(answer: httpx.Response) -> bool:
    return answer.headers.get("content-type", "").startswith("text/html")


async def html_pages(site: PageSite) -> dict[str, httpx.Response]:
    """The GET routes that answer a browser with HTML, and what they answered."""
    found = {}
    for path in get_paths(app_of(site)):
        answer = await site.web.get(path, headers=BROWSER)
        if is_html(answer):
            found[path] = answer
    return found


def assert_not_framed(path: str, answer: httpx.Response) -> None:
    assert answer.headers.get("x-frame-options") == "DENY", path
    assert "frame-ancestors 'none'" in answer.headers.get("content-security-policy", ""), path


async def test_no_page_may_be_framed_but_the_mini_app(site: PageSite) -> None:
    signed_out = await html_pages(site)
    await staff(site)
    signed_in = await html_pages(site)
    assert set(signed_in) >= PAGES, sorted(signed_in)
    for pages in (signed_out, signed_in):
        for path, answer in pages.items():
            if path == "/miniapp":
                continue
            assert_not_framed(path, answer)
    for path in ("/no/such/page", "/admin/nothing"):
        missing = await site.web.get(path, headers=BROWSER)
        assert missing.status_code == 404
        assert_not_framed(path, missing)


async def test_the_mini_app_is_framed_by_telegram_s_clients_only(site: PageSite) -> None:
    page = await site.web.get("/miniapp", headers=BROWSER)
    assert page.status_code == 200
    assert "x-frame-options" not in page.headers
    assert page.headers["content-security-policy"] == f"frame-ancestors {TELEGRAM_WEB}"
    sandbox = Settings(bot_api_url="http://127.0.0.1:8081")
    assert mini_app_framers(sandbox) == [TELEGRAM_WEB, "http://127.0.0.1:8081"]
    assert mini_app_framers(Settings()) == [TELEGRAM_WEB]  # the Bot API frames nothing


async def test_the_openid_pages_keep_their_own_headers(site: PageSite) -> None:
    # the provider's pages set their headers themselves: the edge adds none twice
    answer = await site.web.get("/oidc/authorize?client_id=nobody", headers=BROWSER)
    assert is_html(answer)
    for name in ("x-frame-options", "content-security-policy", "cache-control"):
        assert len(answer.headers.get_list(name)) == 1, name


async def test_pages_for_a_signed_in_user_are_never_stored(site: PageSite) -> None:
    await staff(site)
    for path in SIGNED_IN_PAGES:
        answer = await site.web.get(path, headers=BROWSER)
        assert answer.status_code == 200, path
        assert answer.headers["cache-control"] == "no-store", path


async def test_a_mistyped_address_is_a_page_for_a_person(site: PageSite) -> None:
    answer = await site.web.get("/acount", headers=BROWSER)
    assert answer.status_code == 404
    assert is_html(answer)
    assert 'data-testid="error-title">Page not found<' in answer.text
    assert '<a class="button" href="/" data-testid="home">' in answer.text
    assert '<header class="site"' in answer.text  # the site's own page, its header and all
    wrong_method = await site.web.get("/logout", headers=BROWSER)
    assert (wrong_method.status_code, is_html(wrong_method)) == (405, True)


@pytest.mark.parametrize(
    ("path", "accept"),
    [
        ("/acount", None),
        ("/acount", "*/*"),
        ("/acount", "application/json"),
        ("/acount", "application/json, text/html;q=0.5"),
        ("/api/nothing", BROWSER["Accept"]),  # the API answers JSON, whoever asks
        ("/api/me", BROWSER["Accept"]),
    ],
)
async def test_programs_get_the_json_error(site: PageSite, path: str, accept: str | None) -> None:
    headers = {"Accept": accept} if accept else {}
    if accept is None:
        site.web.headers.pop("Accept", None)
    answer = await site.web.get(path, headers=headers)
    assert answer.status_code in {401, 404}
    assert answer.headers["content-type"] == "application/json"
    assert set(answer.json()["error"]) >= {"code", "message"}


async def test_a_refused_form_is_a_page_with_the_reason(site: PageSite) -> None:
    answer = await site.web.post("/logout", data={"csrf_token": "x"}, headers=BROWSER)
    assert answer.status_code == 303  # signed out already: nothing to refuse
    await site.register("ann")
    forged = await site.web.post("/logout", data={"csrf_token": "forged"}, headers=BROWSER)
    assert (forged.status_code, is_html(forged)) == (403, True)
    assert "The form expired; reload the page and try again." in forged.text


async def test_a_failure_on_our_side_is_a_page_for_a_person(site: PageSite) -> None:
    async def broken() -> None:
        raise RuntimeError("boom")

    app_of(site).add_api_route("/broken-page", broken)
    page = await site.web.get("/broken-page", headers=BROWSER)
    assert (page.status_code, is_html(page)) == (500, True)
    assert "Something went wrong on our side" in page.text
    assert "boom" not in page.text
    assert_not_framed("/broken-page", page)
    program = await site.web.get("/broken-page")
    assert program.json()["error"]["code"] == "internal"


async def test_the_site_has_an_icon(site: PageSite) -> None:
    icon = await site.web.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.headers["content-type"] == "image/svg+xml"
    assert icon.content.startswith(b"<svg") and len(icon.content) < 2000
    login = await site.web.get("/login")
    assert '<link rel="icon" href="/favicon.ico" type="image/svg+xml">' in login.text


@pytest.mark.parametrize("path", ["/admin", "/admin/chats"])
async def test_staff_pages_come_back_after_signing_in(site: PageSite, path: str) -> None:
    await staff(site)
    token = field((await site.web.get("/account")).text, "csrf_token")
    await site.web.post("/logout", data={"csrf_token": token})
    asked = await site.web.get(path)
    assert asked.status_code == 303
    login = await site.web.get(asked.headers["location"])
    assert field(login.text, "next") == path
    form = {
        "username": "boss",
        "password": PASSWORD,
        "csrf_token": field(login.text, "csrf_token"),
        "next": field(login.text, "next"),
    }
    signed_in = await site.web.post("/login", data=form)
    assert (signed_in.status_code, signed_in.headers["location"]) == (303, path)
    assert (await site.web.get(path)).status_code == 200


async def test_a_wrong_password_keeps_the_username(site: PageSite) -> None:
    await site.register("ann")
    site.web.cookies.delete("tgpass_session")
    login = await site.web.get("/login")
    token = field(login.text, "csrf_token")
    form = {"username": "ann", "password": "not it!!", "csrf_token": token}
    wrong = await site.web.post("/login", data=form)
    assert wrong.status_code == 401
    assert field(wrong.text, "username") == "ann"
    assert "not it!!" not in wrong.text
    assert "Wrong username or password." in wrong.text


async def test_the_account_page_says_how_one_signed_in_in_words(site: PageSite) -> None:
    await site.register("ann")
    page = await site.web.get("/account")
    assert re.search(r'data-source="password">your password</span>', page.text)


def test_every_audit_action_the_service_records_has_a_sentence() -> None:
    service = Path(__file__).parents[2] / "src" / "tgpass" / "service"
    recorded = set()
    for source in service.rglob("*.py"):
        text = source.read_text()
        recorded |= set(re.findall(r'effects\.audit\(\s*tx,\s*[\w.]+,\s*"([a-z-]+)"', text))
        recorded |= set(re.findall(r'self\._audit\(tx, chat, "([a-z-]+)"', text))
    assert {"bot", "rule", "invite", "remove"} <= recorded  # the search finds them
    assert recorded <= set(admin.AUDIT_SENTENCES), recorded - set(admin.AUDIT_SENTENCES)
