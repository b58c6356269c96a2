"""``tgpass demo`` (``make demo``): the sandbox Telegram and the service, wired together on
SQLite and in-memory storage, with a demo site account and two simulated Telegram users.
No token, no network, no configuration.

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
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from .bootstrap import Services, build
from .cli import CannotStart, ensure_free
from .sandbox.server import LoopbackServer, Sandbox, free_port
from .sandbox.world import World
from .settings import Settings
from .web.app import create_app

if sys.platform != "win32":
    import fcntl

DEMO_BOT = "tgpass_demo_bot"
DEMO_LOGIN = ("demo", "demo-password")
HOST = "127.0.0.1"
SITE_PORT = 8000
SANDBOX_PORT = 8081
DATA_DIR = Path(".demo")
"""Where ``tgpass demo`` keeps its database, relative to where it runs; emptied at each start."""
_LOCK = ".lock"


def demo_world(site: str) -> World:
    world = World()
    bot = world.add_bot(DEMO_BOT, first_name="tgpass demo", web_app_url=f"{site}/miniapp")
    bot.menu_button = {"type": "web_app", "text": "Open", "web_app": {"url": f"{site}/miniapp"}}
    world.add_account("Zoya", last_name="Ivanova", username="zoya_demo", phone_number="+15550001")
    world.add_account("Ян 🚀", username="yan_demo", language_code="ru", phone_number="+15550002")
    return world


def demo_settings(site: str, sandbox: Sandbox, bot_token: str, data_dir: Path) -> Settings:
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
        }
    )


@dataclass(frozen=True)
class Demo:
    """A running demo: the site, the sandbox Telegram behind it, the wired services."""

    site: str
    sandbox: Sandbox
    services: Services
    world: World

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
        services = await build(demo_settings(site, sandbox, bot.token, data_dir))
        try:
            await services.auth.register(*DEMO_LOGIN, display_name="Demo User")
            server = LoopbackServer(
                create_app(services, polling=True), host=HOST, port=site_port, lifespan="on"
            )
            await server.start()
            try:
                yield Demo(site, sandbox, services, world)
            finally:
                await server.stop()
        finally:
            await services.close()


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
  phone:  {demo.sandbox.url}/   act as a Telegram user ({users})

Try: on the site, Account → Link Telegram; click the link (it opens the phone) and press START.
Then sign out, and sign in with the Telegram widget, or send /login to @{DEMO_BOT}.
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
        await _walk(demo)
    except _CheckFailed as failure:
        print(f"check: FAILED: {failure}", flush=True)
        return 1
    return 0


async def _walk(demo: Demo) -> None:
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
        user_id = (await users.list_users())[0]["id"]
        # what the phone does with the link it opens with: the bot's chat, then START
        await users.open_link(user_id, url)
        await users.start(user_id, DEMO_BOT)
        for _ in range(100):
            status = (await web.get("/api/link")).json()
            if status["linked"]:
                _ok(f"linked {status['telegram']['first_name']} through the bot")
                return
            await asyncio.sleep(0.1)
    raise _CheckFailed("the bot did not link the account within 10 s")


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
