"""Every page of the site carries a header: the site's name and navigation (Account; Sign in
or Sign out as fits; neither where the page cannot know, as in the Mini App, which signs in on
its own). At a phone's width (390 px) nothing sticks out sideways."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser import browser_page, screenshot
from tests.harness.stack import Stack
from tgpass.demo import DEMO_LOGIN, Demo, running_demo
from tgpass.sandbox.server import free_port

PHONE = {"width": 390, "height": 844}


def header_of(html: str) -> str:
    headers = re.findall(r'<header class="site".*?</header>', html, re.DOTALL)
    assert len(headers) == 1, "no site header, or more than one"
    return headers[0]


def check_header(html: str, site_name: str, *, signed_in: bool | None) -> str:
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    header = header_of(html)
    assert re.search(rf'<a class="brand"[^>]* href="/"[^>]*>{re.escape(site_name)}</a>', header)
    assert re.search(r'<nav aria-label="Site"', header)
    assert re.search(r'<a href="/account"[^>]*>Account</a>', header)
    sign_in = re.search(r'<a href="/login"[^>]*>Sign in</a>', header)
    sign_out = re.search(
        r'<form method="post" action="/logout".*?'
        r'name="csrf_token" value="[^"]+".*?Sign out</button>',
        header,
        re.DOTALL,
    )
    if signed_in is None:
        assert not sign_in and not sign_out, header
    elif signed_in:
        assert sign_out and not sign_in, header
    else:
        assert sign_in and not sign_out, header
    return header


async def test_signed_out_pages_have_the_header(stack: Stack) -> None:
    for path, status in [
        ("/login", 200),
        ("/register", 200),
        ("/auth/bot?code=used-up", 401),  # an error shown on the sign-in page
        ("/auth/telegram/callback?id=1&hash=0", 401),
    ]:
        page = await stack.web.get(path)
        assert page.status_code == status, path
        check_header(page.text, "Example", signed_in=False)
    login = header_of((await stack.web.get("/login")).text)
    assert 'href="/login" data-testid="nav-sign-in" aria-current="page"' in login
    # the Mini App says who is signed in once it has signed in: one state, in the page
    check_header((await stack.web.get("/miniapp")).text, "Example", signed_in=None)


async def test_the_account_page_has_sign_out_in_the_header(stack: Stack) -> None:
    await stack.register()
    page = await stack.web.get("/account")
    assert page.status_code == 200
    header = check_header(page.text, "Example", signed_in=True)
    assert 'aria-current="page">Account</a>' in header
    token = re.search(r'name="csrf_token" value="([^"]+)"', header)
    assert token is not None
    out = await stack.web.post("/logout", data={"csrf_token": token.group(1)})
    assert (out.status_code, out.headers["location"]) == (303, "/login")
    assert (await stack.web.get("/account")).headers["location"] == "/login"


# -- at a phone's width, in a real browser ------------------------------------------------------


@pytest.fixture
async def demo(tmp_path: Path) -> AsyncIterator[Demo]:
    async with running_demo(
        site_port=free_port(), sandbox_port=free_port(), data_dir=tmp_path
    ) as running:
        yield running


SIDEWAYS = """() => {
  const root = document.documentElement, width = root.clientWidth, out = [];
  if (root.scrollWidth > width) out.push("page: " + root.scrollWidth);
  for (const el of document.querySelectorAll("body *")) {
    const box = el.getBoundingClientRect();
    if (box.width && (box.right > width + 0.5 || box.left < -0.5)) {
      const name = el.tagName + (el.dataset.testid ? "[" + el.dataset.testid + "]" : "");
      out.push(name + ": " + Math.round(box.left) + ".." + Math.round(box.right));
    }
  }
  return out;
}"""


async def fits_a_phone(page: Any, name: str) -> None:
    for test_id in ("site-name", "nav-account"):
        assert await page.get_by_test_id(test_id).is_visible(), f"{name}: {test_id} hidden"
    assert await page.evaluate(SIDEWAYS) == [], f"{name}: sticks out at 390 px"
    await screenshot(page, f"layout-390-{name}")


async def test_pages_fit_a_phone(demo: Demo) -> None:
    async with browser_page() as page:
        await page.set_viewport_size(PHONE)
        await page.goto(f"{demo.site}/login")
        await page.get_by_test_id("nav-sign-in").wait_for()
        await fits_a_phone(page, "login")

        await page.get_by_test_id("nav-account").click()  # signed out: Account asks to sign in
        await page.wait_for_url(f"{demo.site}/login")

        await page.goto(f"{demo.site}/register")
        await fits_a_phone(page, "register")

        await page.goto(f"{demo.site}/miniapp")
        await fits_a_phone(page, "miniapp")

        await page.goto(f"{demo.site}/login")
        await page.fill("#username", DEMO_LOGIN[0])
        await page.fill("#password", DEMO_LOGIN[1])
        await page.get_by_test_id("password-login").click()
        await page.get_by_test_id("display-name").wait_for()
        assert await page.get_by_test_id("logout").is_visible()
        await fits_a_phone(page, "account")

        await page.get_by_test_id("link").click()  # the offer: a long link and a QR code
        await page.get_by_test_id("link-url").filter(has_text="/t.me/").wait_for()
        await fits_a_phone(page, "account-link-offer")

        await page.get_by_test_id("logout").click()
        await page.get_by_test_id("nav-sign-in").wait_for()
        async with httpx.AsyncClient(base_url=demo.site) as web:
            assert (await web.get("/account")).headers["location"] == "/login"
