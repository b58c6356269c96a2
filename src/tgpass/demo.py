"""``tgpass demo`` (``make demo``): the sandbox Telegram and the service, wired together on
SQLite and in-memory storage, with a demo site account, a staff account, two simulated
Telegram users, and two gated chats ("Web-masters" for the role web-master, "Karma 100+")
owned by a third, with the bot their administrator. No token, no network, no configuration.

Every ``t.me`` link the demo site shows points at the sandbox (``<phone>/t.me/...``), so a
browser with no network follows it to the phone with the link opened. ``--check`` walks the
main path once on its own free ports and a temporary directory, so it runs beside a demo.
The demo's own endpoint hears every event the service announces (``demo_events``), and its
events page (``/demo/events``) shows them as they arrive.

What the demo made (accounts, links, chats, the phone's dialogs) is kept in ``.demo/`` for the
next run: the service's database, the sandbox's world and the secret key that link codes are
hashed with. ``--fresh`` starts over.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
import signal
import sys
import tempfile
import textwrap
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any

import httpx

from .bootstrap import Services, build
from .demo_events import PAGE_PATH, EventBoard, registered, secret_of
from .demo_events import router as events_page
from .domain.accounts import User
from .domain.gating import ChatRule
from .sandbox.persist import load_file, save_file
from .sandbox.server import LoopbackServer, Sandbox, free_port
from .sandbox.world import Bot, World
from .settings import Settings
from .startup import CannotStart, ensure_free
from .web.app import create_app

if sys.platform != "win32":
    import fcntl

DEMO_BOT = "tgpass_demo_bot"
DEMO_LOGIN = ("demo", "demo-password")
DEMO_STAFF = ("staff", "staff-password")
CHAT_OWNER = "Olga"
RUSSIAN_USER = "Ян 🚀"
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
"""Where ``tgpass demo`` keeps its data between runs, relative to where it runs."""
_LOCK = ".lock"
SAVE_EVERY = 2.0
"""Seconds between saves of the sandbox's world while the demo runs (a crash loses no more)."""
DRAIN = 5
"""Seconds the site gives requests in flight to end when the demo stops."""


@dataclass(frozen=True)
class DemoData:
    """The demo's files in its directory. The world file is written only once a start has
    seeded everything, so a database without one is the remains of a start that failed."""

    root: Path

    @property
    def database(self) -> Path:
        return self.root / "tgpass-demo.sqlite3"

    @property
    def world_file(self) -> Path:
        return self.root / "sandbox.json"

    @property
    def secret_file(self) -> Path:
        return self.root / "secret-key"

    def _files(self) -> list[Path]:
        """Every file the demo writes here (SQLite's journals too), none of anyone else's."""
        journals = [self.database.with_name(self.database.name + s) for s in ("-wal", "-shm")]
        journals.append(self.database.with_name(self.database.name + "-journal"))
        return [self.database, *journals, self.world_file, self.secret_file]

    def exists(self) -> bool:
        return any(path.exists() for path in self._files())

    def wipe(self) -> None:
        for path in self._files():
            path.unlink(missing_ok=True)

    def secret_key(self) -> str:
        """The service's secret key, the same at every start: a link code made before a
        restart still works after it."""
        if self.secret_file.exists():
            return self.secret_file.read_text(encoding="ascii").strip()
        key = secrets.token_urlsafe(32)
        self.root.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.secret_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as out:
            out.write(key)
        return key


@dataclass(frozen=True)
class Opened:
    """The world a demo starts from and how: kept from the last run, or fresh (and why, when
    there was data that could not be kept)."""

    world: World | None
    why_fresh: str = ""
    """Said after "started fresh", when there was something to say."""

    @property
    def kept(self) -> bool:
        return self.world is not None


def open_data(data: DemoData, *, fresh: bool = False) -> Opened:
    """The last run's world, or a clean directory to start from."""
    if fresh or not data.exists():
        data.wipe()
        return Opened(None, ", as asked (--fresh)" if fresh else "")
    try:
        world = _load_world(data)
    except (OSError, ValueError, KeyError, TypeError) as error:
        data.wipe()
        return Opened(None, f": the last run's data could not be read ({error})")
    if world is None or not data.database.exists():
        data.wipe()
        return Opened(None, ": the last run stopped before it had started")
    return Opened(world)


def _load_world(data: DemoData) -> World | None:
    if not data.world_file.exists():
        return None
    world = load_file(data.world_file)
    if world.find_bot(DEMO_BOT) is None:
        raise ValueError(f"no @{DEMO_BOT} in {data.world_file.name}")
    return world


class _Keeper:
    """Saves the sandbox's world to the demo's directory: from ``start()`` (once the demo is
    seeded) every ``SAVE_EVERY`` seconds, and a last time on ``close()``."""

    def __init__(self, world: World, path: Path) -> None:
        self.world = world
        self.path = path
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        save_file(self.world, self.path)
        self._task = asyncio.create_task(self._every())

    async def _every(self) -> None:
        while True:
            await asyncio.sleep(SAVE_EVERY)
            save_file(self.world, self.path)

    async def close(self) -> None:
        if self._task is None:
            return  # never started: what a failed start made is not worth keeping
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        save_file(self.world, self.path)


def demo_world(site: str) -> World:
    world = World()
    point_bot_at(world.add_bot(DEMO_BOT, first_name="tgpass demo"), site)
    world.add_account("Zoya", last_name="Ivanova", username="zoya_demo", phone_number="+15550001")
    world.add_account(
        RUSSIAN_USER, username="yan_demo", language_code="ru", phone_number="+15550002"
    )
    world.add_account(CHAT_OWNER, username="olga_owns_chats")
    return world


def point_bot_at(bot: Bot, site: str) -> None:
    """The bot's Mini App and Telegram Login's callback on the site, wherever it runs this time
    (a kept world may come from a run on another port)."""
    bot.web_app_url = f"{site}/miniapp"
    bot.menu_button = {"type": "web_app", "text": "Open", "web_app": {"url": f"{site}/miniapp"}}
    bot.oidc_redirect_uris = [f"{site}/auth/telegram/oidc/callback"]


def demo_settings(
    site: str, sandbox: Sandbox, bot: Bot, data: DemoData, secret_key: str
) -> Settings:
    return Settings.from_mapping(
        {
            "database_url": f"sqlite+aiosqlite:///{data.database}",
            "kv_url": "memory://",
            "secret_key": secret_key,
            "bot_token": bot.token,
            "bot_username": DEMO_BOT,
            "bot_api_url": sandbox.url,
            "public_url": site,
            "widget_script_url": f"{sandbox.url}/js/telegram-widget.js",
            "web_app_script_url": f"{sandbox.url}/js/telegram-web-app.js",
            "telegram_link_base": f"{sandbox.url}/t.me",
            "site_name": "tgpass demo",
            "telegram_login_issuer": sandbox.oidc_issuer,
            "telegram_login_client_secret": bot.oidc_client_secret,
            "login_widget": True,  # the older widget too, under Telegram Login
            "events_allow_private_urls": True,  # its events page is on the site, on loopback
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
    data: DemoData
    opened: Opened
    """Whether the demo kept the last run's data."""
    events: EventBoard
    """What the demo's events page shows: the events its own endpoint received."""

    @property
    def link_base(self) -> str:
        """Where the site's ``t.me`` links point: the sandbox phone."""
        return self.services.settings.telegram_link_base


@contextlib.asynccontextmanager
async def running_demo(
    *, site_port: int, sandbox_port: int, data_dir: Path, fresh: bool = False
) -> AsyncIterator[Demo]:
    """The sandbox and the seeded site, served on loopback ports for as long as the block runs,
    on the data kept in ``data_dir`` by the last run (unless ``fresh``)."""
    site = f"http://{HOST}:{site_port}"
    data = DemoData(data_dir)
    opened = open_data(data, fresh=fresh)
    world = opened.world or demo_world(site)
    bot = world.bot_by_username(DEMO_BOT)
    point_bot_at(bot, site)
    keeper = _Keeper(world, data.world_file)
    try:
        async with Sandbox(world, host=HOST, port=sandbox_port) as sandbox:
            settings = demo_settings(site, sandbox, bot, data, data.secret_key())
            services = await build(settings)
            try:
                endpoint = await registered(services.webhooks, site)
                events = EventBoard(secret_of(services.webhooks, endpoint.id))
                chats, new = await _chats_for_the_bot(sandbox, bot.id)
                app = create_app(services, polling=True)
                app.include_router(events_page(events))
                # its own clients stop with it and hold no long poll: a slow request in
                # flight (a loaded machine) gets time to end rather than be cut off
                server = LoopbackServer(app, host=HOST, port=site_port, lifespan="on", drain=DRAIN)
                await server.start()
                try:
                    # once the events page listens: the accounts' signed_up reach it at once
                    await _seed_accounts(services)
                    await _gate(services, new)
                    keeper.start()
                    yield Demo(site, sandbox, services, world, chats, data, opened, events)
                finally:
                    await server.stop()
            finally:
                await services.close()
    finally:
        await keeper.close()


async def _seed_accounts(services: Services) -> None:
    """The demo's site accounts, made unless a kept database has them already."""
    await _account(services, *DEMO_LOGIN, display_name="Demo User")
    staff = await _account(services, *DEMO_STAFF, display_name="Demo Staff")
    if staff.role != "staff":  # as staff would set it: the site hears of it too
        await services.site.set_standing(staff.id, role="staff", karma=staff.karma)


async def _account(services: Services, username: str, password: str, *, display_name: str) -> User:
    found = await services.accounts.find_user(username=username)
    return found or await services.auth.register(username, password, display_name=display_name)


async def _chats_for_the_bot(
    sandbox: Sandbox, bot_id: int
) -> tuple[dict[str, int], dict[str, int]]:
    """The gated chats, as their owner makes them: a supergroup each, the bot made an
    administrator with the rights to invite and to remove. All of them, and those made now
    (a kept world has them already)."""
    users = sandbox.users
    assert users is not None
    owner = next(a.id for a in sandbox.world.accounts.values() if a.first_name == CHAT_OWNER)
    chats = _owned_chats(sandbox.world, owner)
    new = {}
    for title in [t for t in GATED_CHATS if t not in chats]:
        chat = await users.create_chat(title, owner, type="supergroup")
        await users.add_bot_to_chat(chat["id"], bot_id, BOT_RIGHTS)
        new[title] = int(chat["id"])
    return {**chats, **new}, new


def _owned_chats(world: World, owner: int) -> dict[str, int]:
    """The gated chats already in the world: by title, created by their owner."""
    return {
        chat.title: chat.id
        for chat in world.chats.values()
        if chat.title in GATED_CHATS
        and owner in chat.members
        and chat.members[owner].status == "creator"
    }


async def _gate(services: Services, chats: dict[str, int], *, timeout: float = 30) -> None:
    """Once the bot has heard it is their administrator (my_chat_member, read by the running
    worker), each new chat gets its rule (a kept chat keeps the rule staff gave it)."""
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


async def run_demo(
    *, site_port: int, sandbox_port: int, data_dir: Path, check: bool, fresh: bool = False
) -> int:
    # Before the servers start: a terminal closed while they do must not kill the process
    # before it has saved anything.
    stopped = None if check else _stop_on_signals()
    async with running_demo(
        site_port=site_port, sandbox_port=sandbox_port, data_dir=data_dir, fresh=fresh
    ) as demo:
        print_welcome(demo, check=check)
        if stopped is None:
            return await self_check(demo)
        await stopped.wait()
        print(f"tgpass demo: stopping; {_kept_until_next_run(demo)}", flush=True)
    return 0


def rerun(options: str) -> str:
    """How to run the demo again with ``options``, the way it was run (make sets
    ``TGPASS_DEMO_VIA=make``)."""
    if os.environ.get("TGPASS_DEMO_VIA") == "make":
        quoted = f'"{options}"' if " " in options else options
        return f"make demo DEMO_ARGS={quoted}"
    return f"tgpass demo {options}"


def data_lines(demo: Demo) -> tuple[str, str]:
    """What the demo did with the last run's data, and what comes next."""
    where = f"{demo.data.root}/"
    if demo.opened.kept:
        start_over = f"— start over with {rerun('--fresh')}"
        return f"kept your data from the last run in {where}", start_over
    kept_next = f"what you do is kept in {where} for the next run"
    return f"started fresh{demo.opened.why_fresh}", kept_next


def _kept_until_next_run(demo: Demo) -> str:
    return f"your data stays in {demo.data.root}/ for the next run"


WALK = (
    f"On the site, sign in as {DEMO_LOGIN[0]}, open Account → Link Telegram and click the link:"
    " it opens the phone, where you press START. The account page shows the link.",
    'Sign out, then "Log in with Telegram": approve it on the phone, and you are signed in.',
    "Or sign out, then the older Login Widget below it: pick a Telegram user, and you are"
    " signed in.",
    'Or sign out, then "Sign in with the bot": press START on the phone, then the bot\'s'
    " Sign in button.",
    'Or, in the bot\'s chat on the phone, press "Open app": its Mini App signs you in.',
    f"On the phone, switch to {RUSSIAN_USER} and press START: the bot speaks Russian, as that"
    " user's Telegram app does. The site's pages take the language their browser asks for, or"
    " the one picked at the foot of any page.",
)
"""The steps the welcome offers, the README's quick start tells and ``--check`` walks."""


def _numbered(steps: tuple[str, ...]) -> str:
    return "\n".join(
        textwrap.fill(step, width=96, initial_indent=f"  {n}. ", subsequent_indent="     ")
        for n, step in enumerate(steps, start=1)
    )


def print_welcome(demo: Demo, *, check: bool = False) -> None:
    users = ", ".join(a.first_name for a in demo.world.accounts.values())
    said, then = data_lines(demo)
    data = "" if check else f"\n  data:   {said}\n          {then}\n"
    print(
        f"""tgpass demo: the service and an offline Telegram, running together.

  site:   {demo.site}        sign in as {DEMO_LOGIN[0]} / {DEMO_LOGIN[1]}
  staff:  {demo.site}/admin/chats   sign in as {DEMO_STAFF[0]} / {DEMO_STAFF[1]}
  phone:  {demo.sandbox.url}/   act as a Telegram user ({users})
  events: {demo.site}{PAGE_PATH}   every event the site is told of, live, as you walk
{data}
Try it (every t.me link of the demo opens the phone):
{_numbered(WALK)}

Gated chats: {CHAT_OWNER} owns two supergroups with @{DEMO_BOT} as their administrator,
"Web-masters" (role web-master) and "Karma 100+" (karma 100 or more).
  1. Link Telegram as {DEMO_LOGIN[0]} (above).
  2. In a private window (or after signing out), sign in as {DEMO_STAFF[0]} / {DEMO_STAFF[1]},
     open Staff → Gated chats and look up the username {DEMO_LOGIN[0]}.
  3. Raise its karma to 100 (or make its role web-master): the invite arrives on the phone.
  4. On the phone, press "Ask to join" under it: the bot lets you in.
  5. Lower the karma: you are removed (not banned) and told why. The page shows each step.

Stop with Ctrl+C.""",
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
    """Walk the welcome's steps once, as a newcomer would, and report (``tgpass demo --check``)."""
    try:
        telegram_id = await _walk(demo)
        await _walk_telegram_login(demo, telegram_id)
        await _walk_login_widget(demo, telegram_id)
        await _walk_bot_sign_in(demo, telegram_id)
        await _walk_mini_app(demo, telegram_id)
        await _walk_gated_chats(demo, telegram_id)
        await _walk_languages(demo)
    except _CheckFailed as failure:
        print(f"check: FAILED: {failure}", flush=True)
        return 1
    return 0


async def _walk(demo: Demo) -> int:
    """Sign in, link Telegram through the bot; the Telegram user linked."""
    users = demo.sandbox.users
    assert users is not None
    async with httpx.AsyncClient(base_url=demo.site) as web:
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


async def _walk_telegram_login(demo: Demo, telegram_id: int) -> None:
    """Signed out: the login page's "Log in with Telegram", approved on the phone."""
    users = demo.sandbox.users
    assert users is not None
    async with httpx.AsyncClient(base_url=demo.site) as web:
        button = _href((await web.get("/login")).text, "oidc-login")
        started = await web.get(button)
        authorize = started.headers.get("location", "")
        if not authorize.startswith(f"{demo.sandbox.url}/"):
            raise _CheckFailed(f"Log in with Telegram goes to {authorize!r}, not to the phone")
        approved = await users.approve_oidc_login(telegram_id, authorize_url=authorize)
        await web.get(approved["url"])
        await _signed_in_as_demo(web, "oidc", "Log in with Telegram, approved on the phone")


async def _walk_login_widget(demo: Demo, telegram_id: int) -> None:
    """Signed out: the older Login Widget below Telegram Login; a Telegram user picked."""
    users = demo.sandbox.users
    assert users is not None
    async with httpx.AsyncClient(base_url=demo.site) as web:
        if 'data-testid="widget"' not in (await web.get("/login")).text:
            raise _CheckFailed("the login page offers no Login Widget")
        # what the widget's script posts once a user is picked, signed by the sandbox
        fields = await users.widget_login(telegram_id, DEMO_BOT)
        await web.post("/api/auth/telegram/widget", json=fields)
        await _signed_in_as_demo(web, "widget", "the Login Widget, a Telegram user picked")


async def _walk_bot_sign_in(demo: Demo, telegram_id: int) -> None:
    """Signed out: "Sign in with the bot" opens the phone; START, then the bot's button."""
    users = demo.sandbox.users
    assert users is not None
    async with httpx.AsyncClient(base_url=demo.site) as web:
        link = _href((await web.get("/login")).text, "bot-login")
        await _opens_the_phone(demo, link, "the bot sign-in link")
        seen = len((await users.dialog(telegram_id, DEMO_BOT))["messages"])
        await users.open_link(telegram_id, link)
        await users.start(telegram_id, DEMO_BOT)
        await web.get(await _button_to_the_site(demo, telegram_id, after=seen))
        await _signed_in_as_demo(web, "bot", "Sign in with the bot, START on the phone")


async def _walk_mini_app(demo: Demo, telegram_id: int) -> None:
    """The bot's Mini App, opened on the phone, signs in with what Telegram hands it."""
    users = demo.sandbox.users
    assert users is not None
    opened = await users.open_mini_app(telegram_id, DEMO_BOT)
    async with httpx.AsyncClient(base_url=demo.site) as web:
        await web.post("/api/auth/telegram/miniapp", json={"init_data": opened["init_data"]})
        await _signed_in_as_demo(web, "miniapp", "the Mini App, opened on the phone")


async def _signed_in_as_demo(web: httpx.AsyncClient, source: str, how: str) -> None:
    me = await web.get("/api/me")
    if me.status_code != 200:
        raise _CheckFailed(f"{how}: not signed in (HTTP {me.status_code})")
    found = me.json()
    if (found["user"]["username"], found["source"]) != (DEMO_LOGIN[0], source):
        raise _CheckFailed(f"{how}: signed in as {found['user']['username']} by {found['source']}")
    _ok(f"{how}: signed in as {DEMO_LOGIN[0]}")


async def _button_to_the_site(demo: Demo, telegram_id: int, *, after: int) -> str:
    """The address behind the first button to the site (its sign-in link) in the bot's chat
    once ``after`` messages."""
    users = demo.sandbox.users
    assert users is not None
    for _ in range(100):
        dialog = await users.dialog(telegram_id, DEMO_BOT)
        for message in dialog["messages"][after:]:
            rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
            for button in (b for row in rows for b in row):
                if str(button.get("url", "")).startswith(f"{demo.site}/auth/bot"):
                    return str(button["url"])
        await asyncio.sleep(0.1)
    raise _CheckFailed("the bot sent no sign-in button within 10 s")


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
        # the button's label is in the phone's language, as the bot wrote it there
        language = demo.world.account(telegram_id).language_code
        join = demo.services.gating.texts.for_telegram(language).join_button
        await users.press(telegram_id, DEMO_BOT, join, message_id)
        await _until(staff, user_id, demo.chats[title], _in_it, f"let into {title}")
        # Telegram's news of the join can come before the approval is written down: the
        # walk goes on once both are, so that its trail reads in the order it happened
        await _until_audited(staff, user_id, demo.chats[title], "approve")
        _ok(f"asked to join on the phone: let into {title}")

        await _standing(staff, user_id, karma=0)
        await _until(staff, user_id, demo.chats[title], _removed, f"removed from {title}")
        _ok(f"karma 0: removed from {title}")


async def _walk_languages(demo: Demo) -> None:
    """The Russian-speaking user hears the bot in Russian; a Russian browser reads the site
    in Russian."""
    users = demo.sandbox.users
    assert users is not None
    yan = next(a for a in demo.world.accounts.values() if a.first_name == RUSSIAN_USER)
    russian = demo.services.gating.texts.for_telegram(yan.language_code)
    before = len((await users.dialog(yan.id, DEMO_BOT))["messages"])
    await users.start(yan.id, DEMO_BOT)
    for _ in range(100):
        said = [m.get("text", "") for m in (await users.dialog(yan.id, DEMO_BOT))["messages"]]
        answers = said[before:]
        if any(text != "/start" for text in answers):
            break
        await asyncio.sleep(0.1)
    # unlinked, as the demo starts; linked, the greeting (by a name the walk cannot know)
    unlinked = _plain(russian.how_to_link(yan.first_name))
    greeting = _plain(russian.greeting(yan.first_name, "\x00")).split("\x00")[0]
    if not any(text == unlinked or text.startswith(greeting) for text in answers):
        raise _CheckFailed(f"the bot did not answer {RUSSIAN_USER} in Russian: {answers!r}")
    _ok(f"{RUSSIAN_USER} pressed START: the bot answered in Russian")
    async with httpx.AsyncClient(base_url=demo.site) as browser:
        page = await browser.get("/login", headers={"Accept-Language": "ru-RU,ru;q=0.9"})
    if '<html lang="ru"' not in page.text:
        raise _CheckFailed("a Russian browser did not get the login page in Russian")
    _ok("a Russian browser reads the login page in Russian")


def _plain(html: str) -> str:
    """A message as the phone shows it: its text, without the HTML it was sent with."""
    return unescape(re.sub(r"<[^>]+>", "", html))


async def _until_audited(staff: httpx.AsyncClient, user_id: int, chat_id: int, action: str) -> None:
    """Until the user's audit trail on the staff page has ``action`` in the chat."""
    for _ in range(150):
        found = (await staff.get(f"/api/admin/users/{user_id}")).json()
        if any(e["chat_id"] == chat_id and e["action"] == action for e in found["audit"]):
            return
        await asyncio.sleep(0.1)
    raise _CheckFailed(f"no {action} in the audit trail within 15 s")


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


def _stop_on_signals() -> asyncio.Event:
    """Set by Ctrl+C, SIGTERM or the terminal closing (SIGHUP); then the servers stop in
    order, each answering what it holds, and the world is saved."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            loop.add_signal_handler(getattr(signal, name), stop.set)
    return stop


@contextlib.contextmanager
def claimed(data_dir: Path) -> Iterator[Path]:
    """``data_dir``, held while the demo runs: a second demo from the same place is refused
    (it would share the first one's data), and told which process holds it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with (data_dir / _LOCK).open("a+", encoding="ascii") as lock:
        if sys.platform != "win32":
            try:
                fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                lock.seek(0)
                raise CannotStart(_running_already(lock.read().strip())) from None
            lock.truncate(0)
            lock.write(str(os.getpid()))
            lock.flush()
        yield data_dir


def _running_already(pid: str) -> str:
    which = f" (pid {pid})" if pid.isdigit() else ""
    return f"another tgpass demo is running{which}; stop it with Ctrl+C in its terminal"


def _two_free_ports() -> tuple[int, int]:
    first = free_port()
    second = free_port()
    while second == first:
        second = free_port()
    return first, second


def port_option(option: str, example: int) -> str:
    """The option that moves a port, as the user would pass it (through make or not)."""
    if os.environ.get("TGPASS_DEMO_VIA") == "make":
        return f"{option} ({rerun(f'{option} {example}')})"
    return option


def _ensure_ports(site_port: int, sandbox_port: int) -> None:
    if site_port == sandbox_port:
        raise CannotStart(f"the site and the sandbox need two ports, both are {site_port}")
    ensure_free(HOST, site_port, port_option("--port", site_port + 1))
    ensure_free(HOST, sandbox_port, port_option("--sandbox-port", sandbox_port + 1))


@contextlib.contextmanager
def _sigint_deferred() -> Iterator[None]:
    """Ctrl+C in the block is raised at its end, not in the middle of what it does."""
    pressed: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda number, _: pressed.append(number))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if pressed:
            raise KeyboardInterrupt


def _run(*, site_port: int, sandbox_port: int, data_dir: Path, check: bool, fresh: bool) -> int:
    """The demo's event loop; Ctrl+C while it starts stops it as quietly as once it runs.
    Only Ctrl+C cancels the demo's main task; the Runner then raises KeyboardInterrupt or,
    when the task's cancels do not add up to its one (a race seen on loaded machines), the
    CancelledError itself: both mean Ctrl+C."""
    stopped = (KeyboardInterrupt, asyncio.CancelledError)
    with contextlib.suppress(*stopped), asyncio.Runner() as runner:
        with _sigint_deferred():
            print("tgpass demo: starting…", flush=True)
            runner.get_loop()  # whole before a Ctrl+C lands: half a loop dies noisily
        return runner.run(
            run_demo(
                site_port=site_port,
                sandbox_port=sandbox_port,
                data_dir=data_dir,
                check=check,
                fresh=fresh,
            )
        )
    return 0


def main(
    *,
    site_port: int | None = None,
    sandbox_port: int | None = None,
    check: bool = False,
    fresh: bool = False,
    data_dir: Path = DATA_DIR,
) -> int:
    """Run the demo until stopped, or walk it once (``check``): its own ports and data then.

    A demo already running from ``data_dir`` or a port in use raise ``CannotStart``, in that
    order: the first says all there is to know.
    """
    if check:
        spare = _two_free_ports()
        site_port, sandbox_port = site_port or spare[0], sandbox_port or spare[1]
        _ensure_ports(site_port, sandbox_port)
        with tempfile.TemporaryDirectory(prefix="tgpass-demo-") as where:
            return _run(
                site_port=site_port,
                sandbox_port=sandbox_port,
                data_dir=Path(where),
                check=True,
                fresh=True,
            )
    site_port, sandbox_port = site_port or SITE_PORT, sandbox_port or SANDBOX_PORT
    with claimed(data_dir):  # first: a second demo learns that, not that its ports are taken
        _ensure_ports(site_port, sandbox_port)
        return _run(
            site_port=site_port,
            sandbox_port=sandbox_port,
            data_dir=data_dir,
            check=False,
            fresh=fresh,
        )
