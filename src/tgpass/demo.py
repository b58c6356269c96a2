"""``tgpass demo`` (``make demo``): the sandbox Telegram and the service, wired together on
SQLite and in-memory storage, with a demo site account, a staff account, two simulated
Telegram users, and two gated chats ("Web-masters" for the role web-master, "Karma 100+")
owned by a third, with the bot their administrator. No token, no network, no configuration.

Every ``t.me`` link the demo site shows points at the sandbox (``<phone>/t.me/...``), so a
browser with no network follows it to the phone with the link opened. ``--check`` walks the
main path once on its own free ports and a temporary directory, so it runs beside a demo.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import shutil
import signal
import sys
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from .bootstrap import Services, build
from .cli import CannotStart, ensure_free
from .domain.gating import ChatRule
from .sandbox.server import LoopbackServer, Sandbox, free_port
from .sandbox.world import World
from .settings import Settings
from .web.app import create_app

if sys.platform != "win32":
    import fcntl

DEMO_BOT = "tgpass_demo_bot"
DEMO_LOGIN = ("demo", "demo-password")
DEMO_STAFF = ("staff", "staff-password")
CHAT_OWNER = "Olga"
GATED_CHATS = {
    "Web-masters": ChatRule(roles=frozenset({"web-master"})),
    "Karma 100+": ChatRule(min_karma=100),
}
"""The demo's gated chats and their rules, by title."""
BOT_RIGHTS = {"can_invite_users": True, "can_restrict_members": True}
HOST = "127.0.0.1"
SITE_PORT = 8000
SANDBOX_PORT = 8081
DATA_DIR = Path(".demo")
"""Where ``tgpass demo`` keeps its database, relative to where it runs; emptied at each start."""
_LOCK = ".lock"


def demo_world(site: str) -> World:
    world = World()
    bot = world.add_bot(
        DEMO_BOT,
        first_name="tgpass demo",
        web_app_url=f"{site}/miniapp",
        oidc_redirect_uris=[f"{site}/auth/telegram/oidc/callback"],  # Telegram Login's callback
    )
    bot.menu_button = {"type": "web_app", "text": "Open", "web_app": {"url": f"{site}/miniapp"}}
    world.add_account("Zoya", last_name="Ivanova", username="zoya_demo", phone_number="+15550001")
    world.add_account("Ян 🚀", username="yan_demo", language_code="ru", phone_number="+15550002")
    world.add_account(CHAT_OWNER, username="olga_owns_chats")
    return world


def demo_settings(
    site: str, sandbox: Sandbox, bot_token: str, data_dir: Path, oidc_client_secret: str
) -> Settings:
    return Settings.from_mapping(
        {
            "database_url": f"sqlite+aiosqlite:///{data_dir / 'tgpass-demo.sqlite3'}",
            "kv_url": "memory://",
            "bot_token": bot_token,
            "bot_username": DEMO_BOT,
            "bot_api_url": sandbox.url,
            "public_url": site,
            "widget_script_url": f"{sandbox.url}/js/telegram-widget.js",
            "web_app_script_url": f"{sandbox.url}/js/telegram-web-app.js",
            "telegram_link_base": f"{sandbox.url}/t.me",
            "site_name": "tgpass demo",
            "oidc_issuer": sandbox.oidc_issuer,
            "oidc_client_secret": oidc_client_secret,
        }
    )


@dataclass(frozen=True)
class Demo:
    """A running demo: the site, the sandbox Telegram behind it, the wired services."""

    site: str
    sandbox: Sandbox
    services: Services
    world: World
    chats: dict[str, int]
    """The gated chats' Telegram ids, by title."""

    @property
    def link_base(self) -> str:
        """Where the site's ``t.me`` links point: the sandbox phone."""
        return self.services.settings.telegram_link_base


@contextlib.asynccontextmanager
async def running_demo(*, site_port: int, sandbox_port: int, data_dir: Path) -> AsyncIterator[Demo]:
    """The sandbox and the seeded site, served on loopback ports for as long as the block runs."""
    site = f"http://{HOST}:{site_port}"
    world = demo_world(site)
    bot = next(iter(world.bots.values()))
    async with Sandbox(world, host=HOST, port=sandbox_port) as sandbox:
        services = await build(
            demo_settings(site, sandbox, bot.token, data_dir, bot.oidc_client_secret)
        )
        try:
            await services.auth.register(*DEMO_LOGIN, display_name="Demo User")
            staff = await services.auth.register(*DEMO_STAFF, display_name="Demo Staff")
            await services.accounts.update_user(staff.id, role="staff")
            chats = await _chats_for_the_bot(sandbox, bot.id)
            server = LoopbackServer(
                create_app(services, polling=True), host=HOST, port=site_port, lifespan="on"
            )
            await server.start()
            try:
                await _gate(services, chats)
                yield Demo(site, sandbox, services, world, chats)
            finally:
                await server.stop()
        finally:
            await services.close()


async def _chats_for_the_bot(sandbox: Sandbox, bot_id: int) -> dict[str, int]:
    """The gated chats, as their owner makes them: a supergroup each, the bot made an
    administrator with the rights to invite and to remove."""
    users = sandbox.users
    assert users is not None
    owner = next(a.id for a in sandbox.world.accounts.values() if a.first_name == CHAT_OWNER)
    chats = {}
    for title in GATED_CHATS:
        chat = await users.create_chat(title, owner, type="supergroup")
        await users.add_bot_to_chat(chat["id"], bot_id, BOT_RIGHTS)
        chats[title] = int(chat["id"])
    return chats


async def _gate(services: Services, chats: dict[str, int], *, timeout: float = 30) -> None:
    """Once the bot has heard it is their administrator (my_chat_member, read by the running
    worker), each chat gets its rule."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        known = {view.chat.chat_id for view in await services.gating.chats()}
        if known >= set(chats.values()):
            break
        if loop.time() > deadline:
            raise CannotStart("the bot did not hear of its chats in the sandbox")
        await asyncio.sleep(0.05)
    for title, chat_id in chats.items():
        await services.gating.set_rule(chat_id, GATED_CHATS[title], managed=True)


async def run_demo(*, site_port: int, sandbox_port: int, data_dir: Path, check: bool) -> int:
    async with running_demo(
        site_port=site_port, sandbox_port=sandbox_port, data_dir=data_dir
    ) as demo:
        print_welcome(demo)
        if check:
            return await self_check(demo)
        await _until_stopped()
    return 0


def print_welcome(demo: Demo) -> None:
    users = ", ".join(a.first_name for a in demo.world.accounts.values())
    print(
        f"""tgpass demo: the service and an offline Telegram, running together.

  site:   {demo.site}        sign in as {DEMO_LOGIN[0]} / {DEMO_LOGIN[1]}, or with Telegram
  staff:  {demo.site}/admin/chats   sign in as {DEMO_STAFF[0]} / {DEMO_STAFF[1]}
  phone:  {demo.sandbox.url}/   act as a Telegram user ({users})

Try: on the site, Account → Link Telegram; click the link (it opens the phone) and press START.
Then sign out, and sign in with "Log in with Telegram" (approve it on the phone), or send
/login to @{DEMO_BOT}.

Gated chats: {CHAT_OWNER} owns two supergroups with @{DEMO_BOT} as their administrator,
"Web-masters" (role web-master) and "Karma 100+" (karma 100 or more).
  1. Link Telegram as {DEMO_LOGIN[0]} (above).
  2. In a private window (or after signing out), sign in as {DEMO_STAFF[0]} / {DEMO_STAFF[1]},
     open Staff → Gated chats and look up the username {DEMO_LOGIN[0]}.
  3. Raise its karma to 100 (or make its role web-master): the invite arrives on the phone.
  4. On the phone, press "Ask to join" under it: the bot lets you in.
  5. Lower the karma: you are removed (not banned) and told why. The page shows each step.

Stop with Ctrl-C.""",
        flush=True,
    )


class _CheckFailed(Exception):
    pass


def _ok(what: str) -> None:
    print(f"check: {what}: OK", flush=True)


def _href(html: str, test_id: str) -> str:
    tag = re.search(rf'<a [^>]*data-testid="{test_id}"[^>]*>', html)
    href = re.search(r'href="([^"]*)"', tag.group(0)) if tag else None
    if href is None:
        raise _CheckFailed(f"no {test_id} link on the page")
    return href.group(1).replace("&amp;", "&")


async def _opens_the_phone(demo: Demo, url: str, what: str) -> None:
    """``url`` points at the sandbox's ``/t.me``, and a browser following it gets the phone."""
    if not url.startswith(f"{demo.link_base}/"):
        raise _CheckFailed(f"{what} points at {url}, not at the phone ({demo.link_base}/)")
    async with httpx.AsyncClient(follow_redirects=True) as browser:
        page = await browser.get(url)
    if page.status_code != 200 or 'data-testid="open-link"' not in page.text:
        raise _CheckFailed(f"{what} ({url}) does not open the phone: HTTP {page.status_code}")
    _ok(f"{what} opens the phone")


async def self_check(demo: Demo) -> int:
    """Walk the main path once, as a newcomer would, and report (``tgpass demo --check``)."""
    try:
        telegram_id = await _walk(demo)
        await _walk_gated_chats(demo, telegram_id)
    except _CheckFailed as failure:
        print(f"check: FAILED: {failure}", flush=True)
        return 1
    return 0


async def _walk(demo: Demo) -> int:
    """Sign in, link Telegram through the bot; the Telegram user linked."""
    users = demo.sandbox.users
    assert users is not None
    async with httpx.AsyncClient(base_url=demo.site) as web:
        login_page = await web.get("/login")
        await _opens_the_phone(demo, _href(login_page.text, "bot-login"), "the bot sign-in link")
        signed = await web.post(
            "/api/auth/login", json={"username": DEMO_LOGIN[0], "password": DEMO_LOGIN[1]}
        )
        if signed.status_code != 200:
            raise _CheckFailed(f"signing in as {DEMO_LOGIN[0]}: HTTP {signed.status_code}")
        _ok(f"signed in as {DEMO_LOGIN[0]}")
        offer = await web.post("/api/link", headers={"X-CSRF-Token": signed.json()["csrf_token"]})
        url: str = offer.json()["url"]
        await _opens_the_phone(demo, url, "the link offered on the account page")
        user_id = int((await users.list_users())[0]["id"])
        # what the phone does with the link it opens with: the bot's chat, then START
        await users.open_link(user_id, url)
        await users.start(user_id, DEMO_BOT)
        for _ in range(100):
            status = (await web.get("/api/link")).json()
            if status["linked"]:
                _ok(f"linked {status['telegram']['first_name']} through the bot")
                return user_id
            await asyncio.sleep(0.1)
    raise _CheckFailed("the bot did not link the account within 10 s")


async def _walk_gated_chats(demo: Demo, telegram_id: int) -> None:
    """As staff: the chats are gated; the linked user's karma raised to 100 brings an invite
    to the phone, pressing it lets them in, karma 0 removes them."""
    users = demo.sandbox.users
    assert users is not None
    title = "Karma 100+"
    async with httpx.AsyncClient(base_url=demo.site) as staff:
        signed = await staff.post(
            "/api/auth/login", json={"username": DEMO_STAFF[0], "password": DEMO_STAFF[1]}
        )
        if signed.status_code != 200:
            raise _CheckFailed(f"signing in as {DEMO_STAFF[0]}: HTTP {signed.status_code}")
        staff.headers["X-CSRF-Token"] = signed.json()["csrf_token"]
        chats = (await staff.get("/api/admin/chats")).json()
        gated = sorted(c["title"] for c in chats if c["status"] == "gated")
        if gated != sorted(GATED_CHATS):
            raise _CheckFailed(f"the gated chats are {gated}, not {sorted(GATED_CHATS)}")
        _ok(f"the staff page lists {' and '.join(gated)} as gated")
        found = await staff.get("/api/admin/users", params={"username": DEMO_LOGIN[0]})
        user_id = int(found.json()["user"]["id"])

        await _standing(staff, user_id, karma=100)
        message_id = await _invite_on_the_phone(demo, telegram_id, title)
        _ok(f"karma 100: the invite to {title} arrived on the phone")
        await users.press(telegram_id, DEMO_BOT, demo.services.gating.texts.join_button, message_id)
        await _until(staff, user_id, demo.chats[title], _in_it, f"let into {title}")
        _ok(f"asked to join on the phone: let into {title}")

        await _standing(staff, user_id, karma=0)
        await _until(staff, user_id, demo.chats[title], _removed, f"removed from {title}")
        _ok(f"karma 0: removed from {title}")


def _in_it(row: dict[str, Any]) -> bool:
    return bool(row["member"])


def _removed(row: dict[str, Any]) -> bool:
    return row["removed"] is not None and not row["member"]


async def _standing(staff: httpx.AsyncClient, user_id: int, *, karma: int) -> None:
    changed = await staff.put(
        f"/api/admin/users/{user_id}/standing", json={"role": "member", "karma": karma}
    )
    if changed.status_code != 200:
        raise _CheckFailed(f"changing karma on the staff page: HTTP {changed.status_code}")


async def _invite_on_the_phone(demo: Demo, telegram_id: int, title: str) -> int:
    """The id of the bot's message inviting the user to ``title``, once it arrives."""
    users = demo.sandbox.users
    assert users is not None
    for _ in range(150):
        dialog = await users.dialog(telegram_id, DEMO_BOT)
        for message in reversed(dialog["messages"]):
            rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
            if title in message.get("text", "") and any("url" in b for row in rows for b in row):
                return int(message["message_id"])
        await asyncio.sleep(0.1)
    raise _CheckFailed(f"no invite to {title} reached the phone within 15 s")


async def _until(
    staff: httpx.AsyncClient,
    user_id: int,
    chat_id: int,
    done: Callable[[dict[str, Any]], bool],
    said: str,
) -> None:
    """Until the staff page shows the user's standing in the chat ``done``."""
    for _ in range(150):
        found = (await staff.get(f"/api/admin/users/{user_id}")).json()
        if any(c["chat_id"] == chat_id and done(c) for c in found["chats"]):
            return
        await asyncio.sleep(0.1)
    raise _CheckFailed(f"not {said} within 15 s")


async def _until_stopped() -> None:
    """Until Ctrl-C or SIGTERM; then the servers stop in order, each answering what it holds."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()


@contextlib.contextmanager
def claimed(data_dir: Path) -> Iterator[Path]:
    """``data_dir``, emptied and held while the demo runs: a second demo from the same place is
    refused rather than allowed to delete the running one's data."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with (data_dir / _LOCK).open("a") as lock:
        if sys.platform != "win32":
            try:
                fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise CannotStart(
                    f"another tgpass demo is running from {data_dir.resolve()}: stop it first"
                    " (tgpass demo --check runs beside it)"
                ) from None
        for child in data_dir.iterdir():  # every demo starts afresh
            if child.name == _LOCK:
                continue
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
        yield data_dir


def _two_free_ports() -> tuple[int, int]:
    first = free_port()
    second = free_port()
    while second == first:
        second = free_port()
    return first, second


def main(
    *,
    site_port: int | None = None,
    sandbox_port: int | None = None,
    check: bool = False,
    data_dir: Path = DATA_DIR,
) -> int:
    """Run the demo until stopped, or walk it once (``check``): its own ports and data then.

    A port in use or a demo already running from ``data_dir`` raise ``CannotStart``.
    """
    if check:
        spare = _two_free_ports()
        site_port, sandbox_port = site_port or spare[0], sandbox_port or spare[1]
    else:
        site_port, sandbox_port = site_port or SITE_PORT, sandbox_port or SANDBOX_PORT
    if site_port == sandbox_port:
        raise CannotStart(f"the site and the sandbox need two ports, both are {site_port}")
    ensure_free(HOST, site_port, "--port")
    ensure_free(HOST, sandbox_port, "--sandbox-port")
    with contextlib.ExitStack() as stack:
        if check:
            where = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tgpass-demo-")))
        else:
            where = stack.enter_context(claimed(data_dir))
        with contextlib.suppress(KeyboardInterrupt):
            return asyncio.run(
                run_demo(
                    site_port=site_port, sandbox_port=sandbox_port, data_dir=where, check=check
                )
            )
    return 0
