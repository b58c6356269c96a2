"""``tgpass demo``: beside a running demo, ``--check`` keeps to its own ports and data; the
site's ``t.me`` links point at the sandbox phone."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tgpass.cli import main
from tgpass.demo import (
    CHAT_OWNER,
    DEMO_BOT,
    DEMO_LOGIN,
    DEMO_STAFF,
    GATED_CHATS,
    Demo,
    claimed,
    running_demo,
    self_check,
)
from tgpass.domain.gating import ChatRule
from tgpass.sandbox.server import free_port
from tgpass.startup import CannotStart
from tgpass.verify import bot_id_from_token


def tgpass(*argv: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tgpass.cli", *argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        check=False,
    )


@contextlib.contextmanager
def started_demo(cwd: Path, *args: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``tgpass demo`` running in ``cwd`` on free ports, until the block ends."""
    site, phone = free_port(), free_port()
    ports = ("--port", str(site), "--sandbox-port", str(phone))
    process = subprocess.Popen(
        [sys.executable, "-m", "tgpass.cli", "demo", *ports, *args],
        cwd=cwd,
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


@pytest.fixture
def demo_process(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``tgpass demo`` running in ``tmp_path`` on free ports, until the test ends."""
    with started_demo(tmp_path) as running:
        yield running


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
    assert "let into Karma 100+: OK" in check.stdout
    assert "karma 0: removed from Karma 100+: OK" in check.stdout
    assert f"sign in as {DEMO_STAFF[0]} / {DEMO_STAFF[1]}" in check.stdout
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


@pytest.mark.skipif(os.name == "nt", reason="SIGHUP")
def test_closing_the_terminal_keeps_the_data_and_the_next_run_says_so(tmp_path: Path) -> None:
    newcomer = {"username": "newcomer", "password": "a-good-password"}
    with started_demo(tmp_path) as (process, site):
        assert httpx.post(f"{site}/api/auth/register", json=newcomer).status_code == 201
        process.send_signal(signal.SIGHUP)  # what a closed terminal sends
        out, err = process.communicate(timeout=30)
    assert (process.returncode, err) == (0, "")
    assert "started fresh\n          what you do is kept in .demo/ for the next run" in out
    assert out.endswith("tgpass demo: stopping; your data stays in .demo/ for the next run\n")

    with started_demo(tmp_path) as (process, site):
        signed = httpx.post(f"{site}/api/auth/login", json=newcomer)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    assert signed.status_code == 200
    assert (process.returncode, err) == (0, "")
    assert "kept your data from the last run in .demo/\n" in out
    assert "          — start over with tgpass demo --fresh\n" in out


@pytest.mark.skipif(os.name == "nt", reason="SIGINT")
@pytest.mark.parametrize("when", ["while it loads", "while it starts"])
def test_ctrl_c_while_the_demo_starts_is_quiet(tmp_path: Path, when: str) -> None:
    ports = ("--port", str(free_port()), "--sandbox-port", str(free_port()))
    process = subprocess.Popen(
        [sys.executable, "-m", "tgpass.cli", "demo", *ports],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    if when == "while it loads":
        time.sleep(1)  # importing the service takes longer than that
    else:
        assert process.stdout.readline() == "tgpass demo: starting…\n"
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert "Traceback" not in err
    assert process.returncode in {0, 130}, err
    assert err in {"", "tgpass demo: stopped before it started\n"}


def test_a_demo_directory_is_held_while_a_demo_runs(tmp_path: Path) -> None:
    data = tmp_path / ".demo"
    data.mkdir()
    (data / "tgpass-demo.sqlite3").write_text("from a previous demo")
    with claimed(data) as held:
        assert held == data
        assert (data / "tgpass-demo.sqlite3").read_text() == "from a previous demo"  # kept
        assert (data / ".lock").read_text() == str(os.getpid())
        if sys.platform != "win32":
            refused = f"another tgpass demo is running (pid {os.getpid()}); stop it with Ctrl+C"
            with pytest.raises(CannotStart, match=re.escape(refused)), claimed(data):
                pass
    with claimed(data):  # free again once the first demo ended
        pass


@pytest.mark.skipif(sys.platform == "win32", reason="no lock on Windows")
def test_a_second_demo_learns_first_that_one_runs_not_that_its_ports_are_taken(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two tries used to tell "port in use" twice before "another demo is running"."""
    monkeypatch.chdir(tmp_path)
    with socket.socket() as site, socket.socket() as phone, claimed(tmp_path / ".demo"):
        for listener in (site, phone):
            listener.bind(("127.0.0.1", 0))
            listener.listen()
        ports = ("--port", str(site.getsockname()[1]))
        ports += ("--sandbox-port", str(phone.getsockname()[1]))
        code = main(["demo", *ports])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err == (
        f"tgpass demo: another tgpass demo is running (pid {os.getpid()});"
        " stop it with Ctrl+C in its terminal\n"
    )


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
        source = "fetch('/api/me').then((r) => r.json()).then((me) => me.source)"
        assert await back.evaluate(source) == "bot"
        await screenshot(back, "demo-site-signed-in-by-the-bot")


async def test_the_demo_signs_in_with_telegram_login_with_no_configuration(demo: Demo) -> None:
    """Log in with Telegram (OpenID Connect) against the sandbox's provider: the login page's
    button, the user's approval on the phone, back on the site signed in."""
    users = demo.sandbox.users
    assert users is not None
    zoya = next(a.id for a in demo.world.accounts.values() if a.first_name == "Zoya")
    async with httpx.AsyncClient(base_url=demo.site) as web:
        login = await web.get("/login")
        assert 'data-testid="oidc-login"' in login.text
        started = await web.get("/auth/telegram/oidc")
        authorize = started.headers["location"]
        assert authorize.startswith(f"{demo.sandbox.url}/oauth/")
        approved = await users.approve_oidc_login(zoya, authorize_url=authorize)
        back = await web.get(approved["url"])
        assert back.status_code == 303, back.text
        me = await web.get("/api/me")
    assert me.status_code == 200
    assert me.json()["source"] == "oidc"


# -- gated chats ----------------------------------------------------------------------------------


async def test_the_demo_seeds_two_gated_chats_the_bot_heard_of(demo: Demo) -> None:
    views = {view.chat.title: view for view in await demo.services.gating.chats()}
    assert set(views) == {"Web-masters", "Karma 100+"} == set(demo.chats)
    assert views["Web-masters"].rule == ChatRule(roles=frozenset({"web-master"}))
    assert views["Karma 100+"].rule == ChatRule(min_karma=100)
    bot_id = bot_id_from_token(demo.services.settings.bot_token)
    owner = next(a.id for a in demo.world.accounts.values() if a.first_name == CHAT_OWNER)
    for title, view in views.items():
        assert view.rule == GATED_CHATS[title]
        assert view.blocked is None  # gated
        assert view.chat.type == "supergroup" and view.chat.managed
        assert {"can_invite_users", "can_restrict_members"} <= view.chat.bot_rights
        chat = demo.world.chat(demo.chats[title])
        assert chat.members[owner].status == "creator"
        assert chat.members[bot_id].status == "administrator"
        trail = await demo.services.gating.audit_log(chat_id=demo.chats[title])
        # known from the bot's my_chat_member update, then given its rule
        assert [e.action for e in reversed(trail)] == ["bot", "rule"]
        assert trail[-1].reason == "administrator: the bot can gate this chat"


async def test_karma_up_invites_joining_works_and_karma_down_removes(
    demo: Demo, capsys: pytest.CaptureFixture[str]
) -> None:
    """The demo's own walk (``--check``): link, karma 100 → invite on the phone → pressed →
    let in → karma 0 → removed; then the role rule of Web-masters the same way."""
    assert await self_check(demo) == 0, capsys.readouterr().out
    said = capsys.readouterr().out
    # the welcome's walk, step by step
    assert "check: linked Zoya through the bot: OK" in said
    assert "check: Log in with Telegram, approved on the phone: signed in as demo: OK" in said
    assert "check: Sign in with the bot, START on the phone: signed in as demo: OK" in said
    assert "check: the Mini App, opened on the phone: signed in as demo: OK" in said
    assert "the staff page lists Karma 100+ and Web-masters as gated: OK" in said
    assert "karma 100: the invite to Karma 100+ arrived on the phone: OK" in said
    assert "asked to join on the phone: let into Karma 100+: OK" in said
    assert "karma 0: removed from Karma 100+: OK" in said
    assert "check: Ян 🚀 pressed START: the bot answered in Russian: OK" in said
    assert "check: a Russian browser reads the login page in Russian: OK" in said
    zoya = next(a.id for a in demo.world.accounts.values() if a.first_name == "Zoya")
    karma_chat = demo.world.chat(demo.chats["Karma 100+"])
    assert zoya not in karma_chat.members or karma_chat.members[zoya].status == "left"
    trail = await demo.services.gating.audit_log(chat_id=demo.chats["Karma 100+"])
    assert [e.action for e in reversed(trail)] == ["bot", "rule", "invite", "approve", "remove"]
    assert trail[0].reason == "karma 0 < 100"

    users = demo.sandbox.users
    assert users is not None
    async with httpx.AsyncClient(base_url=demo.site) as staff:
        login = {"username": DEMO_STAFF[0], "password": DEMO_STAFF[1]}
        signed = await staff.post("/api/auth/login", json=login)
        staff.headers["X-CSRF-Token"] = signed.json()["csrf_token"]
        found = await staff.get("/api/admin/users", params={"username": DEMO_LOGIN[0]})
        user_id = found.json()["user"]["id"]
        changed = await staff.put(
            f"/api/admin/users/{user_id}/standing", json={"role": "web-master", "karma": 0}
        )
        assert changed.status_code == 200, changed.text
        masters = demo.chats["Web-masters"]
        invite = await eventually(lambda: invite_to(demo, zoya, "Web-masters"))
        await users.press(zoya, DEMO_BOT, "Ask to join", invite)

        async def joined() -> bool:
            rows = (await staff.get(f"/api/admin/users/{user_id}")).json()["chats"]
            return any(r["chat_id"] == masters and r["member"] for r in rows)

        await eventually(joined)
    assert demo.world.chat(masters).members[zoya].status == "member"


async def invite_to(demo: Demo, telegram_id: int, title: str) -> int | None:
    assert demo.sandbox.users is not None
    dialog = await demo.sandbox.users.dialog(telegram_id, DEMO_BOT)
    for message in reversed(dialog["messages"]):
        if f"You may now join {title}" in message.get("text", ""):
            return int(message["message_id"])
    return None


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = 15) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := await check()):
        assert time.monotonic() < deadline, f"not within {timeout} s"
        await asyncio.sleep(0.1)
    return found
