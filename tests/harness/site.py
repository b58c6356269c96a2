"""One way to build a running site for a test: settings on a backend (a fresh SQLite file, or
a PostgreSQL schema and a Redis key prefix of the test's own), optionally a sandbox Telegram
with a bot, the services built from them, and the app, reached through httpx's ASGI transport
or served on a loopback port (in the test's event loop, or in a thread of its own for a test
that blocks).

Every builder of the tests (``stack``, ``served``, ``page_site``, the OpenID sites, the browser
tests' live sites, the fuzzed service, the stores' contract runs on PostgreSQL) is a thin use
of this module."""

from __future__ import annotations

import asyncio
import secrets
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import httpx
import uvicorn
from fastapi import FastAPI

from tests.conftest import postgres_or_skip, redis_or_skip
from tgpass.bootstrap import Services, build, memory_stores
from tgpass.sandbox.server import LoopbackServer, Sandbox, free_port
from tgpass.sandbox.world import World
from tgpass.service.ports import Messenger
from tgpass.settings import Settings
from tgpass.store.sql import make_engine
from tgpass.web.app import create_app

SITE = "http://testserver"
TOKEN = "123456789:AAbbccddeeffgghhiijjkkllmmnnooppqqr"
BOT_USERNAME = "example_site_bot"
API_KEY = "site-api-key-for-tests"
SITE_AUTH = {"Authorization": f"Bearer {API_KEY}"}
WEBHOOK_SECRET = "hook-secret_1"
SECRET_KEY = "test-secret-key"

# The service's backend pairs: the one for development and the one for production.
BACKENDS = ["sqlite+memory", "postgres+redis"]
# No database at all: the in-memory stores, for a test of a use case (``memory=True`` below).
MEMORY = "memory"


# -- settings ---------------------------------------------------------------------------------


@asynccontextmanager
async def postgres_schema(prefix: str = "tgpass_test") -> AsyncIterator[tuple[str, str]]:
    """The test PostgreSQL's URL and a schema of this test's own, dropped afterwards."""
    database = await postgres_or_skip()
    schema = f"{prefix}_{secrets.token_hex(6)}"
    admin = make_engine(database)
    async with admin.begin() as db:
        await db.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        yield database, schema
    finally:
        async with admin.begin() as db:
            await db.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        await admin.dispose()


def sqlite_settings(tmp_path: Path, name: str = "tgpass.sqlite3") -> dict[str, str]:
    return {"database_url": f"sqlite+aiosqlite:///{tmp_path / name}", "kv_url": "memory://"}


@asynccontextmanager
async def backend_settings(
    kind: str, tmp_path: Path, *, sqlite_name: str = "tgpass.sqlite3"
) -> AsyncIterator[dict[str, str]]:
    """The stores' settings on ``kind`` (one of BACKENDS, or MEMORY: a SQLite file the
    in-memory stores never make); runs never meet."""
    if kind in ("sqlite+memory", MEMORY):
        yield sqlite_settings(tmp_path, sqlite_name)
        return
    redis = await redis_or_skip()
    async with postgres_schema() as (database, schema):
        yield {
            "database_url": database,
            "database_schema": schema,
            "kv_url": redis,
            "kv_prefix": f"tgpass-test:{schema}:",
        }


def site_settings(base: Mapping[str, Any], **overrides: Any) -> Settings:
    """A site of a bot nobody runs (TOKEN): for a recording Telegram."""
    return Settings.from_mapping(
        {
            "bot_token": TOKEN,
            "bot_username": BOT_USERNAME,
            "public_url": SITE,
            "secret_key": SECRET_KEY,
            "api_keys": API_KEY,
            "webhook_secret": WEBHOOK_SECRET,
            **base,
            **overrides,
        }
    )


def sandbox_settings(
    sandbox: Sandbox,
    token: str,
    tmp_path: Path,
    *,
    sqlite_name: str = "service.sqlite3",
    **overrides: Any,
) -> Settings:
    """A site of the sandbox's bot ``token``, on SQLite and memory."""
    return Settings.from_mapping(
        {
            **sqlite_settings(tmp_path, sqlite_name),
            "bot_token": token,
            "bot_api_url": sandbox.url,
            "public_url": SITE,
            "webhook_secret": WEBHOOK_SECRET,
            "secret_key": SECRET_KEY,
            "api_keys": API_KEY,
            "site_name": "Example",
            **overrides,
        }
    )


# -- a sandbox Telegram -----------------------------------------------------------------------


@asynccontextmanager
async def sandbox_bot(
    username: str = BOT_USERNAME,
    *,
    world: World | None = None,
    flood_limits: bool = False,
    limits_scale: float | None = None,
    **bot: Any,
) -> AsyncIterator[tuple[Sandbox, dict[str, Any]]]:
    """A running sandbox Telegram and a bot made in it (what ``createBot`` answered); its
    flood limits off, or on at ``limits_scale`` times Telegram's figures."""
    async with Sandbox(world) if world is not None else Sandbox() as sandbox:
        if not flood_limits:
            sandbox.world.flood.limits.enabled = False
        assert sandbox.users is not None
        if limits_scale is not None:
            await sandbox.users.set_limits(scale=limits_scale)
        info = await sandbox.users.create_bot(username, **bot)
        yield sandbox, info


# -- the site ---------------------------------------------------------------------------------


@dataclass
class Site:
    services: Services
    app: FastAPI
    web: httpx.AsyncClient
    url: str


Prepare = Callable[[Services], Awaitable[None]]


async def assemble(
    settings: Settings,
    *,
    telegram: Messenger | None = None,
    migrate: bool = True,
    memory: bool = False,
    prepare: Prepare | None = None,
    polling: bool = False,
) -> tuple[Services, FastAPI]:
    """The services and the app as the service composes them; ``prepare`` changes the
    services before the app is made. The caller closes the services. With ``memory``, the
    services keep their data in memory (for a test of a use case, not of the database),
    whatever database the settings name."""
    stores = memory_stores() if memory else None
    services = await build(settings, stores=stores, telegram=telegram, migrate_schema=migrate)
    try:
        if prepare is not None:
            await prepare(services)
        return services, create_app(services, polling=polling)
    except BaseException:
        await services.close()
        raise


@asynccontextmanager
async def built(
    settings: Settings,
    *,
    telegram: Messenger | None = None,
    migrate: bool = True,
    memory: bool = False,
) -> AsyncIterator[Services]:
    """The services alone (on the in-memory stores with ``memory``), closed afterwards."""
    stores = memory_stores() if memory else None
    services = await build(settings, stores=stores, telegram=telegram, migrate_schema=migrate)
    try:
        yield services
    finally:
        await services.close()


@asynccontextmanager
async def running_site(
    settings: Settings,
    *,
    telegram: Messenger | None = None,
    migrate: bool = True,
    memory: bool = False,
    prepare: Prepare | None = None,
    polling: bool = False,
    client: tuple[str, int] | None = None,
    port: int | None = None,
    lifespan: Literal["on", "off"] = "off",
    logs: bool = False,
) -> AsyncIterator[Site]:
    """The site, closed afterwards. Without ``port``, ``web`` calls the app in process (from
    ``client``, if given); with one, the app is served by uvicorn on that loopback port and
    ``web`` speaks HTTP to it (with ``logs``, uvicorn logs everything, its access log too)."""
    services, app = await assemble(
        settings,
        telegram=telegram,
        migrate=migrate,
        memory=memory,
        prepare=prepare,
        polling=polling,
    )
    try:
        if port is None:
            if client is None:
                transport = httpx.ASGITransport(app=app)
            else:
                transport = httpx.ASGITransport(app=app, client=client)
            async with httpx.AsyncClient(transport=transport, base_url=SITE) as web:
                yield Site(services, app, web, SITE)
            return
        async with (
            serve(app, port, lifespan=lifespan, logs=logs) as url,
            httpx.AsyncClient(base_url=url) as web,
        ):
            yield Site(services, app, web, url)
    finally:
        await services.close()


@asynccontextmanager
async def serve(
    app: FastAPI, port: int, *, lifespan: Literal["on", "off"] = "off", logs: bool = False
) -> AsyncIterator[str]:
    """``app`` served by uvicorn on a loopback port; its URL. With ``logs``, uvicorn's records,
    its access log's too, go at DEBUG to the root logger (where ``caplog`` sees them)."""
    if not logs:
        async with LoopbackServer(app, port=port, lifespan=lifespan) as server:
            yield server.url
        return
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        lifespan=lifespan,
        log_config=None,
        log_level="debug",
        access_log=True,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            await task  # raises what stopped it
            raise RuntimeError("the server stopped before it started")
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@contextmanager
def site_in_thread(settings: Settings, **options: Any) -> Iterator[str]:
    """``running_site`` on a loopback port, in an event loop of a thread of its own: for a test
    that calls the site from blocking code. The site's URL."""
    port, url = loopback()
    started = threading.Event()
    failed: list[BaseException] = []
    stop: list[Callable[[], None]] = []

    async def run() -> None:
        loop, done = asyncio.get_running_loop(), asyncio.Event()
        stop.append(lambda: loop.call_soon_threadsafe(done.set))
        async with running_site(settings, port=port, **options):
            started.set()
            await done.wait()

    def main() -> None:
        try:
            asyncio.run(run())
        except BaseException as error:  # raised again in the test's thread
            failed.append(error)
        finally:
            started.set()

    thread = threading.Thread(target=main, daemon=True)
    thread.start()
    if not started.wait(timeout=30):
        raise TimeoutError("the site did not start")
    if failed:
        raise failed[0]
    try:
        yield url
    finally:
        stop[0]()
        thread.join(timeout=10)
    if failed:
        raise failed[0]


def loopback() -> tuple[int, str]:
    """A free loopback port and the site's URL there (its ``public_url``, before it runs)."""
    port = free_port()
    return port, f"http://127.0.0.1:{port}"
