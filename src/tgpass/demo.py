"""``tgpass demo`` (``make demo``): the sandbox Telegram and the service, wired together on
SQLite and in-memory storage, with a demo site account and two simulated Telegram users.
No token, no network, no configuration."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import signal
from pathlib import Path

import httpx

from .bootstrap import build
from .sandbox.server import LoopbackServer, Sandbox
from .sandbox.world import World
from .settings import Settings
from .web.app import create_app

DEMO_BOT = "tgpass_demo_bot"
DEMO_LOGIN = ("demo", "demo-password")


def demo_world(site: str) -> World:
    world = World()
    bot = world.add_bot(DEMO_BOT, first_name="tgpass demo", web_app_url=f"{site}/miniapp")
    bot.menu_button = {"type": "web_app", "text": "Open", "web_app": {"url": f"{site}/miniapp"}}
    world.add_account("Zoya", last_name="Ivanova", username="zoya_demo", phone_number="+15550001")
    world.add_account("Ян 🚀", username="yan_demo", language_code="ru", phone_number="+15550002")
    return world


async def run_demo(*, site_port: int, sandbox_port: int, data_dir: Path, check: bool) -> int:
    site = f"http://127.0.0.1:{site_port}"
    world = demo_world(site)
    bot = next(iter(world.bots.values()))
    shutil.rmtree(data_dir, ignore_errors=True)  # every demo starts afresh
    data_dir.mkdir(parents=True)
    async with Sandbox(world, port=sandbox_port) as sandbox:
        settings = Settings.from_mapping(
            {
                "database_url": f"sqlite+aiosqlite:///{data_dir / 'tgpass-demo.sqlite3'}",
                "kv_url": "memory://",
                "bot_token": bot.token,
                "bot_username": DEMO_BOT,
                "bot_api_url": sandbox.url,
                "public_url": site,
                "widget_script_url": f"{sandbox.url}/js/telegram-widget.js",
                "web_app_script_url": f"{sandbox.url}/js/telegram-web-app.js",
                "site_name": "tgpass demo",
            }
        )
        services = await build(settings)
        await services.auth.register(*DEMO_LOGIN, display_name="Demo User")
        server = LoopbackServer(create_app(services, polling=True), port=site_port, lifespan="on")
        await server.start()
        try:
            print_welcome(site, sandbox.url, world)
            if check:
                return await self_check(site, sandbox)
            await _until_stopped()
        finally:
            await server.stop()
            await services.close()
    return 0


def print_welcome(site: str, sandbox: str, world: World) -> None:
    users = ", ".join(a.first_name for a in world.accounts.values())
    print(
        f"""tgpass demo: the service and an offline Telegram, running together.

  site:   {site}        sign in as {DEMO_LOGIN[0]} / {DEMO_LOGIN[1]}, or with Telegram
  phone:  {sandbox}/   act as a Telegram user ({users})

Try: on the site, Account → Link Telegram; open the link on the phone and press START.
Then sign out, and sign in with the Telegram widget, or send /login to @{DEMO_BOT}.
Stop with Ctrl-C.""",
        flush=True,
    )


async def self_check(site: str, sandbox: Sandbox) -> int:
    """Walk the main path once, as a user would, and report (``tgpass demo --check``)."""
    assert sandbox.users is not None
    async with httpx.AsyncClient(base_url=site) as web:
        signed = await web.post(
            "/api/auth/login", json={"username": DEMO_LOGIN[0], "password": DEMO_LOGIN[1]}
        )
        offer = await web.post("/api/link", headers={"X-CSRF-Token": signed.json()["csrf_token"]})
        user_id = (await sandbox.users.list_users())[0]["id"]
        await sandbox.users.open_link(user_id, offer.json()["url"])
        await sandbox.users.start(user_id, DEMO_BOT)
        for _ in range(100):
            status = (await web.get("/api/link")).json()
            if status["linked"]:
                print(f"check: linked {status['telegram']['first_name']} through the bot: OK")
                return 0
            await asyncio.sleep(0.1)
    print("check: the link did not happen")
    return 1


async def _until_stopped() -> None:
    """Until Ctrl-C or SIGTERM; then the servers stop in order, each answering what it holds."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()


def main(*, site_port: int, sandbox_port: int, check: bool) -> int:
    with contextlib.suppress(KeyboardInterrupt):
        return asyncio.run(
            run_demo(
                site_port=site_port,
                sandbox_port=sandbox_port,
                data_dir=Path(".demo"),
                check=check,
            )
        )
    return 0
