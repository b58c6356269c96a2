"""The pages' language in headless chromium: a Russian browser gets the login page in
Russian; the switcher turns an English page Russian, and the choice follows the person from
page to page and, kept with their account, into the next sign-in. Screenshots of the Russian
login and account pages at 1280 px go to test-artifacts/."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import browser_page, screenshot
from tests.harness.fakes import RecordingTelegram
from tests.harness.site import loopback, running_site, site_settings, sqlite_settings

PASSWORD = "correct horse battery"


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[str]:
    port, site = loopback()
    settings = site_settings(
        sqlite_settings(tmp_path, "language-walk.sqlite3"),
        public_url=site,
        site_name="Walk",
        worker=False,
    )
    async with running_site(settings, telegram=RecordingTelegram(), port=port, lifespan="on"):
        yield site


async def wide(page: Any, **headers: str) -> None:
    await page.set_viewport_size({"width": 1280, "height": 900})
    if headers:
        await page.set_extra_http_headers(headers)


async def nothing_overflows(page: Any) -> None:
    """No box is wider than the window (a long Russian word pushing a page sideways)."""
    wider = await page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert not wider


async def test_a_russian_browser_gets_the_login_page_in_russian(live: str) -> None:
    async with browser_page() as page:
        await wide(page, **{"Accept-Language": "ru-RU,ru;q=0.9"})
        await page.goto(f"{live}/login")
        assert await page.get_attribute("html", "lang") == "ru"
        assert await page.title() == "Войти · Walk"
        assert await page.get_by_test_id("password-login").inner_text() == "Войти"
        assert await page.get_by_test_id("language-choice").input_value() == "ru"
        await nothing_overflows(page)
        await screenshot(page, "language-ru-login")


async def test_the_switcher_turns_the_pages_and_the_choice_follows_the_account(
    live: str,
) -> None:
    async with browser_page() as page:
        await wide(page, **{"Accept-Language": "en"})
        await page.goto(f"{live}/register")
        await page.fill("#username", "olga")
        await page.fill("#display_name", "Ольга")
        await page.fill("#password", PASSWORD)
        await page.get_by_test_id("register").click()
        await page.get_by_test_id("display-name").wait_for()
        assert await page.get_attribute("html", "lang") == "en"
        assert "Hello" in await page.locator("h1").inner_text()

        # switch on the account page: back on it, in Russian
        await page.get_by_test_id("language-choice").select_option("ru")
        await page.get_by_test_id("language-save").click()
        await page.wait_for_url(f"{live}/account")
        assert await page.get_attribute("html", "lang") == "ru"
        assert await page.locator("h1").inner_text() == "Здравствуйте, Ольга"
        assert await page.get_by_test_id("logout").inner_text() == "Выйти"
        await nothing_overflows(page)
        await screenshot(page, "language-ru-account")

        # the choice sticks from page to page (the browser still asks for English)
        await page.goto(f"{live}/no-such-page")
        assert await page.get_by_test_id("error-title").inner_text() == "Страница не найдена"

    # a browser that never chose, once signed in, speaks the account's language
    async with browser_page() as fresh:
        await wide(fresh, **{"Accept-Language": "en"})
        await fresh.goto(f"{live}/login")
        assert await fresh.get_attribute("html", "lang") == "en"
        await fresh.fill("#username", "olga")
        await fresh.fill("#password", PASSWORD)
        await fresh.get_by_test_id("password-login").click()
        await fresh.get_by_test_id("display-name").wait_for()
        assert await fresh.get_attribute("html", "lang") == "ru"
        await fresh.get_by_test_id("logout").click()
        await fresh.wait_for_url(f"{live}/login")
        assert await fresh.get_attribute("html", "lang") == "ru"  # the cookie outlives it
        assert await fresh.get_by_test_id("password-login").inner_text() == "Войти"
