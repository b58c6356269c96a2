"""A newcomer's walk through the site's pages in chromium, at a desktop's width (1280 px) and
a phone's (390 px): staff asked for /admin sign in (a wrong password first: the username
stays) and land there; a person the bot signed in tries to unlink Telegram, is asked first,
is told to set a password, sets one, unlinks; links Telegram again (a reload still shows the
link); signs out, and Back does not show the account. Screenshots go to test-artifacts/."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import SIDEWAYS, WIDTHS, Live, browser_page, live_site, screenshot
from tests.harness.pagesite import PASSWORD
from tgpass.domain.accounts import TelegramProfile


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[Live]:
    async with live_site(tmp_path, "Walk") as site:
        yield site


async def shot(page: Any, width: str, name: str) -> None:
    assert await page.evaluate(SIDEWAYS) == [], f"{name}: sticks out at {width}"
    await screenshot(page, f"newcomer-{width}-{name}")


async def staff_come_back_to_admin(page: Any, live: Live, width: str) -> None:
    name = f"boss-{width}"
    boss = await live.services.auth.register(name, PASSWORD)
    await live.services.accounts.update_user(boss.id, role="staff")
    await page.goto(f"{live.url}/admin")
    assert page.url == f"{live.url}/login?next=%2Fadmin"
    await page.fill("#username", name)
    await page.fill("#password", "not the password")
    await page.get_by_test_id("password-login").click()
    await page.get_by_test_id("error").filter(has_text="Wrong username or password").wait_for()
    assert await page.input_value("#username") == name  # only the password to type again
    await shot(page, width, "1-wrong-password")
    await page.fill("#password", PASSWORD)
    await page.get_by_test_id("password-login").click()
    await page.get_by_test_id("compose").wait_for()
    assert page.url == f"{live.url}/admin"
    assert await page.get_by_test_id("retry").is_hidden()  # no dead letters: nothing to retry
    await shot(page, width, "2-admin")
    await page.get_by_test_id("logout").click()
    await page.get_by_test_id("password-login").wait_for()


async def bot_signs_in(page: Any, live: Live, width: str) -> int:
    """A person the bot signed in: no password, Telegram linked; on the phone, no username
    either (an account made by signing in with Telegram)."""
    username = None if width == "phone" else f"zoya-{width}"
    person = await live.services.accounts.create_user(display_name="Zoya Walker", username=username)
    telegram_id = 7_000_000_000 + len(width)
    profile = TelegramProfile(telegram_id=telegram_id, first_name="Zoya", last_name="Walker")
    await live.services.accounts.link_telegram(person.id, profile, chat_id=telegram_id)
    code = await live.services.linking.offer_login(person.id)
    await page.goto(f"{live.url}/auth/bot?code={code}")
    await page.get_by_test_id("linked").wait_for()
    assert await page.get_by_test_id("source").inner_text() == "the bot's sign-in link"
    await shot(page, width, "3-account")
    return telegram_id


async def unlink_needs_a_password(page: Any, width: str) -> None:
    await page.get_by_test_id("unlink").click()
    await page.get_by_test_id("unlink-confirm").wait_for()
    await shot(page, width, "4-unlink-asked")
    await page.get_by_test_id("unlink-no").click()  # kept: nothing happens
    assert await page.get_by_test_id("linked").is_visible()
    await page.get_by_test_id("unlink").click()
    await page.get_by_test_id("unlink-yes").click()
    told = page.get_by_test_id("unlink-error").filter(has_text="Set a password first")
    await told.wait_for()
    await shot(page, width, "5-unlink-refused")
    if await page.get_by_test_id("new-username").count():  # none yet: chosen with it
        await page.fill("#new-username", f"Zoya-{width}")
    await page.fill("#new-password", "short")
    await page.get_by_test_id("save-password").click()  # the browser's own check stops it
    assert await page.get_by_test_id("password-done").is_hidden()
    await page.fill("#new-password", "a walk in the park")
    await page.get_by_test_id("save-password").click()
    await page.get_by_test_id("password-done").filter(has_text=f"zoya-{width}").wait_for()
    await shot(page, width, "6-password-set")
    await page.get_by_test_id("unlink").click()
    await page.get_by_test_id("unlink-yes").click()
    await page.get_by_test_id("link").wait_for()


async def link_again(page: Any, live: Live, width: str, telegram_id: int) -> None:
    await page.get_by_test_id("link").click()
    await page.get_by_test_id("link-url").filter(has_text="start=").wait_for()
    url = await page.get_by_test_id("link-url").get_attribute("href")
    assert url is not None and url.startswith("https://t.me/example_site_bot?start=")
    await page.reload()  # the same tab shows the same link again
    await page.get_by_test_id("link-url").filter(has_text="start=").wait_for()
    assert await page.get_by_test_id("link-url").get_attribute("href") == url
    await shot(page, width, "7-link-after-reload")
    profile = TelegramProfile(telegram_id=telegram_id, first_name="Zoya", last_name="Walker")
    async with live.services.uow() as tx:  # the person presses START in Telegram
        await live.services.linking.redeem(tx, url.split("start=")[1], profile, telegram_id)
    await page.get_by_test_id("linked").wait_for(timeout=10_000)


async def sign_out_and_back(page: Any, live: Live, width: str) -> None:
    await page.get_by_test_id("logout").click()
    await page.get_by_test_id("password-login").wait_for()
    await page.go_back()  # to the account page: asked again, not shown from a cache
    await page.get_by_test_id("password-login").wait_for()
    assert await page.get_by_test_id("display-name").count() == 0
    assert page.url.startswith(f"{live.url}/login")
    await shot(page, width, "8-back-after-sign-out")


async def test_a_newcomer_walks_the_site_at_both_widths(live: Live) -> None:
    async with browser_page() as first:
        for width, size in WIDTHS.items():
            page = first if width == "desktop" else await first.context.browser.new_page()
            await page.set_viewport_size(size)
            await staff_come_back_to_admin(page, live, width)
            telegram_id = await bot_signs_in(page, live, width)
            await unlink_needs_a_password(page, width)
            await link_again(page, live, width, telegram_id)
            await sign_out_and_back(page, live, width)
