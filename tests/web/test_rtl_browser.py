"""The site in Persian, in chromium, laid out right to left: the login page for a browser that
asks for Persian, and a signed-in person's account page after they pick Persian in the
language switcher, at a desktop's width (1280 px) and a phone's (390 px). Each page is
checked by where things land (text hugs the right edge, buttons start on the right, nothing
sticks out of the page), not only by its ``dir``. Someone's Latin words in a Persian sentence
(a name ending in "!", a URL ending in "/") keep their own order. Full-page screenshots go to
test-artifacts/rtl-*.png."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import SIDEWAYS, WIDTHS, Live, browser_page, live_site
from tests.conftest import ARTIFACTS
from tests.harness.pagesite import PASSWORD
from tgpass.domain.accounts import TelegramProfile

PERSIAN = re.compile(r"[\u0600-\u06ff]")
LATIN = re.compile(r"[A-Za-z]")
# The box of an element's own text (a Range over its contents), not of the element: a block
# spans its container's width either way; only its text shows which side it starts from.
TEXT_BOX = """(selector) => {
  const el = document.querySelector(selector);
  const range = document.createRange();
  range.selectNodeContents(el);
  const box = range.getBoundingClientRect();
  return {left: box.left, right: box.right};
}"""
CONTENT_BOX = """(selector) => {
  const el = document.querySelector(selector), box = el.getBoundingClientRect();
  const style = getComputedStyle(el);
  return {left: box.left + parseFloat(style.paddingLeft),
          right: box.right - parseFloat(style.paddingRight)};
}"""
BOX = """(selector) => {
  const box = document.querySelector(selector).getBoundingClientRect();
  return {left: box.left, right: box.right};
}"""
# Where the first and the last character of an element's text land on the screen.
ENDS = """(selector) => {
  const root = document.querySelector(selector);
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  let node = walker.nextNode();
  while (node && !node.data.trim()) node = walker.nextNode();
  const text = node.data.trimEnd(), range = document.createRange();
  const at = (i) => {
    range.setStart(node, i); range.setEnd(node, i + 1);
    return range.getBoundingClientRect();
  };
  const first = at(node.data.indexOf(text.trim()[0])), last = at(text.length - 1);
  return {text: root.textContent, first: [first.left, first.right], last: [last.left, last.right]};
}"""


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[Live]:
    async with live_site(tmp_path, "tgpass") as site:
        yield site


async def box(page: Any, script: str, selector: str) -> dict[str, float]:
    found: dict[str, float] = await page.evaluate(script, selector)
    return found


async def assert_right_to_left(page: Any, name: str) -> None:
    """The page is Persian and laid out from the right: what would fail if it were not."""
    root = await page.evaluate(
        "() => [document.documentElement.lang, document.documentElement.dir,"
        " getComputedStyle(document.body).direction]"
    )
    assert root == ["fa", "rtl", "rtl"], name
    text = await page.inner_text("main")
    assert len(PERSIAN.findall(text)) > 2 * len(LATIN.findall(text)), f"{name}: {text}"
    await assert_on_the_right(page, name, TEXT_BOX, "main h1", "main")
    assert await page.evaluate(SIDEWAYS) == [], f"{name}: sticks out of the page"


async def assert_on_the_right(
    page: Any, name: str, script: str, selector: str, container: str
) -> None:
    """What ``selector`` shows (its text, or its box) starts at the right edge of the content
    box of ``container`` and stops well short of its left edge."""
    inside = await box(page, CONTENT_BOX, container)
    found = await box(page, script, selector)
    assert abs(inside["right"] - found["right"]) < 2, f"{name}: {selector} is not on the right"
    assert found["left"] - inside["left"] > 40, f"{name}: {selector} starts on the left"


async def shoot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"rtl-{name}.png"), full_page=True)


async def the_login_page(page: Any, live: Live, width: str) -> None:
    await page.goto(f"{live.url}/login")
    name = f"login-{width}"
    await assert_right_to_left(page, name)
    assert await page.inner_text("main h1") == "ورود به tgpass"
    assert await page.inner_text("label[for=username]") == "نام کاربری"
    label = "label[for=username]"
    await assert_on_the_right(page, name, TEXT_BOX, label, label)
    await assert_on_the_right(page, name, BOX, "[data-testid=password-login]", "main")
    # what is typed into a field reads in its own direction: a Latin username left to right
    direction = "e => getComputedStyle(e).direction"
    await page.fill("#username", "parisa")
    assert await page.eval_on_selector("#username", direction) == "ltr"
    await page.fill("#username", "پریسا")
    assert await page.eval_on_selector("#username", direction) == "rtl"
    await page.fill("#username", "")
    await shoot(page, name)


async def sign_in_and_choose_persian(page: Any, live: Live) -> None:
    """Signed in in English, then Persian chosen in the footer's switcher."""
    person = await live.services.auth.register("parisa", PASSWORD, display_name="پریسا رضایی")
    profile = TelegramProfile(
        telegram_id=7_100_000_000, first_name="Parisa", last_name="Rezaei", username="parisa_r"
    )
    await live.services.accounts.link_telegram(person.id, profile, chat_id=profile.telegram_id)
    await page.set_extra_http_headers({"Accept-Language": "en"})
    await page.goto(f"{live.url}/login")
    await page.fill("#username", "parisa")
    await page.fill("#password", PASSWORD)
    await page.get_by_test_id("password-login").click()
    await page.get_by_test_id("linked").wait_for()
    assert await page.evaluate("() => document.documentElement.dir") == "ltr"
    await page.get_by_test_id("language-choice").select_option("fa")
    async with page.expect_navigation():
        await page.get_by_test_id("language-save").click()
    assert page.url == f"{live.url}/account"


async def the_account_page(page: Any, width: str) -> None:
    name = f"account-{width}"
    await assert_right_to_left(page, name)
    assert await page.inner_text("[data-testid=display-name]") == "پریسا رضایی"
    assert await page.inner_text("[data-testid=nav-account]") == "حساب کاربری"
    await assert_on_the_right(page, name, TEXT_BOX, "#password-title", "main")
    await assert_on_the_right(page, name, BOX, "[data-testid=unlink]", "main")
    linked = "[data-testid=linked]"
    text, inside = await box(page, TEXT_BOX, linked), await box(page, CONTENT_BOX, linked)
    assert abs(inside["right"] - text["right"]) < 2, f"{name}: {linked} is not on the right"
    await shoot(page, name)


async def test_the_persian_pages_read_right_to_left(live: Live) -> None:
    async with browser_page() as page:
        await page.set_extra_http_headers({"Accept-Language": "fa"})
        for width, size in WIDTHS.items():
            await page.set_viewport_size(size)
            await the_login_page(page, live, width)
        await sign_in_and_choose_persian(page, live)
        for width, size in WIDTHS.items():
            await page.set_viewport_size(size)
            await the_account_page(page, width)


async def assert_reads_in_its_own_order(page: Any, selector: str, text: str) -> None:
    """``selector`` shows ``text`` left to right: its last character after its first, not
    pulled to the other end by the page's right-to-left order."""
    ends = await page.evaluate(ENDS, selector)
    assert ends["text"] == text
    assert ends["first"][1] <= ends["last"][0] + 0.5, f"{selector}: {text!r} reordered: {ends}"


async def test_latin_names_and_urls_keep_their_order_on_a_persian_page(live: Live) -> None:
    person = await live.services.auth.register("anna", PASSWORD, display_name="Anna!")
    await live.services.accounts.update_user(person.id, role="staff")
    await live.services.webhooks.add("https://example.com/hook/")
    async with browser_page() as page:
        await page.set_extra_http_headers({"Accept-Language": "fa"})
        await page.goto(f"{live.url}/login")
        await page.fill("#username", "anna")
        await page.fill("#password", PASSWORD)
        await page.get_by_test_id("password-login").click()
        await page.wait_for_url(f"{live.url}/account")
        assert await page.evaluate("() => document.documentElement.dir") == "rtl"
        await assert_reads_in_its_own_order(page, "[data-testid=display-name]", "Anna!")
        await assert_reads_in_its_own_order(page, "[data-testid=username]", "anna")
        assert await page.inner_text("main h2") == "تلگرام"
        await shoot(page, "account-latin-name")

        await page.goto(f"{live.url}/admin/webhooks")
        url = "https://example.com/hook/"
        await page.get_by_test_id("endpoint-url").wait_for()
        await assert_reads_in_its_own_order(page, "[data-testid=endpoint-url]", url)
        await page.get_by_test_id("show-deliveries").click()
        await page.get_by_test_id("deliveries").wait_for()
        await assert_reads_in_its_own_order(page, "[data-testid=deliveries-url]", url)
