"""Telegram's JS library in headless chromium, the site and the sandbox each served by uvicorn:
the login page's popup button, the sandbox's phone in the popup, the ID token posted back to
the page, which signs in and goes on to the account page; then a popup closed unanswered and
one declined, each leaving the page as it was, ready for another try."""

from __future__ import annotations

from typing import Any

from tests.browser import browser_page, screenshot
from tests.web import test_oidc_login_browser as redirect_flow
from tests.web.test_oidc_login_browser import Live

live = redirect_flow.live  # the redirect flow's site, sandbox and user, as they are


async def _approve_in_popup(page: Any, live: Live, *, approve: bool = True) -> None:
    """Click the popup button; in the popup (the sandbox's phone), log in as the user."""
    from playwright.async_api import expect

    button = page.get_by_test_id("oidc-popup-login")
    await expect(button).to_be_enabled(timeout=10_000)  # its nonce is there
    async with page.expect_popup() as opened:
        await button.click()
    popup = await opened.value
    sheet = popup.get_by_test_id("oidc-login")
    await sheet.wait_for(state="visible", timeout=10_000)
    assert popup.url.startswith(f"{live.sandbox.url}/?oidc=")
    await popup.get_by_test_id("user-select").select_option(str(live.tg_user))
    await expect(sheet).to_contain_text(f"Log in to {live.site}")
    if approve:
        await screenshot(popup, "oidc-sdk-2-telegram-asks")
    async with popup.expect_event("close", timeout=10_000):  # the answer posted, it closes
        await popup.get_by_test_id("oidc-approve" if approve else "oidc-decline").click()


async def test_log_in_with_the_js_library_in_a_popup(live: Live) -> None:
    from playwright.async_api import expect

    async with browser_page() as page:
        await page.goto(f"{live.site}/login")
        library = f"{live.sandbox.oidc_issuer}/js/telegram-login.js"
        assert await page.evaluate(
            "(src) => !!document.querySelector(`script[src='${src}']`) && !!window.Telegram.Login",
            library,
        )
        await expect(page.get_by_test_id("oidc-popup-login")).to_be_enabled(timeout=10_000)
        await screenshot(page, "oidc-sdk-1-login-page")

        # closed without an answer: nothing happens, and the button is ready again
        async with page.expect_popup() as opened:
            await page.get_by_test_id("oidc-popup-login").click()
        await (await opened.value).close()
        await expect(page.get_by_test_id("oidc-popup-login")).to_be_enabled(timeout=10_000)
        await expect(page.get_by_test_id("oidc-popup-error")).to_be_hidden()
        assert page.url == f"{live.site}/login"

        # declined on the phone: the page says so, and stays
        await _approve_in_popup(page, live, approve=False)
        error = page.get_by_test_id("oidc-popup-error")
        await expect(error).to_contain_text("access_denied", timeout=10_000)
        assert page.url == f"{live.site}/login"
        assert (await page.request.get(f"{live.site}/api/me")).status == 401

        # approved: the page posts the ID token and goes on to the account page
        await _approve_in_popup(page, live)
        await page.get_by_test_id("display-name").wait_for(timeout=10_000)
        assert page.url == f"{live.site}/account"
        assert await page.get_by_test_id("display-name").inner_text() == "Зоя Lee"
        assert await page.get_by_test_id("source").inner_text() == "Log in with Telegram"
        await screenshot(page, "oidc-sdk-3-signed-in")
        link = await live.services.accounts.telegram_link(telegram_id=live.tg_user)
        assert link is not None
        assert link.profile.username == "zoya_oidc"
