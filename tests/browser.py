"""Real browser tests: Playwright driving Debian's chromium (``apt-get install chromium``)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.conftest import ARTIFACTS, require_or_skip
from tests.harness.fakes import RecordingTelegram
from tests.harness.site import loopback, running_site, site_settings, sqlite_settings
from tgpass.container import Services

CHROMIUM = os.environ.get("TGPASS_CHROMIUM", "/usr/bin/chromium")
# Without these, chromium reaches for Google's hosts, which this closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@asynccontextmanager
async def browser_page() -> AsyncIterator[Any]:
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        require_or_skip("playwright is not installed")
    if not Path(CHROMIUM).exists():
        require_or_skip(f"no chromium at {CHROMIUM} (apt-get install chromium)")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1100, "height": 750})
            yield page
        finally:
            await browser.close()


async def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    await page.screenshot(path=str(path))
    return path


WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
"""A desktop's width and a phone's: every walk of the pages looks at both."""
SIDEWAYS = """() => {
  const width = document.documentElement.clientWidth, out = [];
  for (const el of document.querySelectorAll("body *")) {
    const box = el.getBoundingClientRect();
    const out_of_page = box.right > width + 0.5 || box.left < -0.5;
    if (box.width && out_of_page) out.push(el.tagName + "#" + el.id);
  }
  return out;
}"""
"""The elements of a page that stick out of it sideways (a page evaluates it)."""


@dataclass
class Live:
    url: str
    services: Services


@asynccontextmanager
async def live_site(tmp_path: Path, site_name: str) -> AsyncIterator[Live]:
    """The site on SQLite on a loopback port, Telegram recorded, no worker."""
    port, url = loopback()
    settings = site_settings(
        sqlite_settings(tmp_path, "live.sqlite3"), public_url=url, worker=False, site_name=site_name
    )
    async with running_site(settings, telegram=RecordingTelegram(), port=port) as site:
        yield Live(site.url, site.services)
