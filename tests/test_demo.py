"""``tgpass demo``: beside a running demo, ``--check`` keeps to its own ports and data; the
site's ``t.me`` links point at the sandbox phone."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from tgpass.cli import CannotStart
from tgpass.demo import DEMO_BOT, DEMO_LOGIN, Demo, claimed, running_demo
from tgpass.sandbox.server import free_port


def tgpass(*argv: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tgpass.cli", *argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        check=False,
    )


@pytest.fixture
def demo_process(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``tgpass demo`` running in ``tmp_path`` on free ports, until the test ends."""
    site, phone = free_port(), free_port()
    ports = ("--port", str(site), "--sandbox-port", str(phone))
    process = subprocess.Popen(
        [sys.executable, "-m", "tgpass.cli", "demo", *ports],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{site}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.communicate()
            try:
                if httpx.get(f"{url}/login", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the demo did not start in 60 s"
            time.sleep(0.2)
        yield process, url
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


def sign_in(site: str) -> int:
    login = {"username": DEMO_LOGIN[0], "password": DEMO_LOGIN[1]}
    return httpx.post(f"{site}/api/auth/login", json=login, timeout=10).status_code


@pytest.mark.skipif(os.name == "nt", reason="SIGTERM")
def test_check_runs_beside_a_demo_and_leaves_its_data_alone(
    demo_process: tuple[subprocess.Popen[str], str], tmp_path: Path
) -> None:
    process, site = demo_process
    database = tmp_path / ".demo" / "tgpass-demo.sqlite3"
    assert database.exists()

    check = tgpass("demo", "--check", cwd=tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "the link offered on the account page opens the phone: OK" in check.stdout
    assert "through the bot: OK" in check.stdout
    assert site not in check.stdout  # its own ports

    ports = ("--port", str(free_port()), "--sandbox-port", str(free_port()))
    second = tgpass("demo", *ports, cwd=tmp_path, timeout=60)
    assert second.returncode == 2
    assert "another tgpass demo is running" in second.stderr
    assert "Traceback" not in second.stderr

    assert database.exists()
    assert sign_in(site) == 200  # the running demo still has its account

    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "Traceback" not in err


def test_a_demo_directory_is_held_while_a_demo_runs(tmp_path: Path) -> None:
    data = tmp_path / ".demo"
    data.mkdir()
    (data / "old.sqlite3").write_text("from a previous demo")
    (data / "cache").mkdir()
    with claimed(data) as held:
        assert held == data
        assert [p.name for p in data.iterdir()] == [".lock"]  # every demo starts afresh
        (data / "tgpass-demo.sqlite3").write_text("live")
        if sys.platform != "win32":
            with pytest.raises(CannotStart, match="another tgpass demo is running"), claimed(data):
                pass
        assert (data / "tgpass-demo.sqlite3").read_text() == "live"
    with claimed(data):  # free again once the first demo ended
        assert not (data / "tgpass-demo.sqlite3").exists()


# -- the site's t.me links open the sandbox phone -------------------------------------------------


@pytest.fixture
async def demo(tmp_path: Path) -> AsyncIterator[Demo]:
    async with running_demo(
        site_port=free_port(), sandbox_port=free_port(), data_dir=tmp_path
    ) as running:
        yield running


def hrefs(html: str) -> list[str]:
    return [h.replace("&amp;", "&") for h in re.findall(r'href="([^"]+)"', html)]


async def test_the_demo_links_point_at_the_sandbox_phone(demo: Demo) -> None:
    assert demo.link_base == f"{demo.sandbox.url}/t.me"
    async with httpx.AsyncClient(base_url=demo.site) as web:
        login = await web.get("/login")
    bot_links = [h for h in hrefs(login.text) if f"/{DEMO_BOT}?" in h]
    assert bot_links == [f"{demo.sandbox.url}/t.me/{DEMO_BOT}?start=login"]
    assert not [h for h in hrefs(login.text) if "t.me/" in h and not h.startswith(demo.link_base)]


async def test_the_link_offer_points_at_the_sandbox_phone(demo: Demo) -> None:
    async with httpx.AsyncClient(base_url=demo.site) as web:
        login = {"username": DEMO_LOGIN[0], "password": DEMO_LOGIN[1]}
        signed = await web.post("/api/auth/login", json=login)
        offer = await web.post("/api/link", headers={"X-CSRF-Token": signed.json()["csrf_token"]})
    assert offer.status_code == 200, offer.text
    assert offer.json()["url"].startswith(f"{demo.sandbox.url}/t.me/{DEMO_BOT}?start=")


async def test_a_newcomer_links_telegram_by_clicks_alone(demo: Demo) -> None:
    """Site → Account → Link Telegram → the link opens the phone → START → linked; then the
    header's Sign out, "Sign in with the bot" opens the phone, START, the bot's Sign in button
    brings the browser back signed in. No URL typed anywhere."""
    from tests.browser import browser_page, screenshot

    async with browser_page() as site:
        await site.goto(demo.site)
        await site.fill("#username", DEMO_LOGIN[0])
        await site.fill("#password", DEMO_LOGIN[1])
        await site.get_by_test_id("password-login").click()
        await site.get_by_test_id("link").click()
        async with site.expect_popup() as opened:
            await site.get_by_test_id("link-url").filter(has_text="/t.me/").click()
        phone = await opened.value
        assert phone.url.startswith(demo.sandbox.url)
        await phone.get_by_test_id("start").click()
        await phone.get_by_test_id("msg-bot").filter(has_text="Linked!").wait_for(timeout=15_000)
        await screenshot(phone, "demo-phone-linked-by-click")
        await site.get_by_test_id("linked").wait_for(timeout=15_000)
        await screenshot(site, "demo-site-linked-by-click")

        await site.get_by_test_id("logout").click()
        await site.get_by_test_id("bot-login").click()  # "Sign in with the bot": the phone
        await site.wait_for_url(f"{demo.sandbox.url}/**")
        await site.get_by_test_id("start").click()
        offer = site.get_by_test_id("msg-bot").filter(has_text="sign-in link")
        async with site.expect_popup() as opened:
            await offer.get_by_role("button", name="Sign in").click()
        back = await opened.value
        await back.get_by_test_id("display-name").filter(has_text="Demo User").wait_for()
        assert await back.get_by_test_id("source").inner_text() == "bot"
        await screenshot(back, "demo-site-signed-in-by-the-bot")
