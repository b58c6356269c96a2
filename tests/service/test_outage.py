"""An outage of Redis is expected, not a bug: the worker says so once (WARNING: what is
unreachable, which loop waits), says nothing more while it lasts, says once (INFO) that it is
over, and delivers what waited at once, not a lease later. Redis here is a server of the
test's own, stopped and started again."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.conftest import require_or_skip
from tests.harness.stack import settings_for
from tgpass.bootstrap import build, make_worker
from tgpass.domain.accounts import TelegramProfile
from tgpass.domain.delivery import OutgoingMessage
from tgpass.sandbox.server import Sandbox
from tgpass.service.notify.notifications import Audience

BOT = "outage_bot"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisServer:
    """A redis-server of this test's own, on a port of its own, that keeps nothing on disk."""

    def __init__(self, directory: Path) -> None:
        self.port = _free_port()
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", str(self.directory)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port)):
                return
            time.sleep(0.05)
        raise AssertionError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None:
        require_or_skip("no redis-server to stop and start (apt-get install redis-server)")
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with Sandbox() as made:
        made.world.flood.limits.enabled = False
        yield made


def lines(caplog: pytest.LogCaptureFixture, level: int) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith("tgpass") and r.levelno == level]


async def test_a_redis_outage_is_one_warning_then_one_info_and_nothing_waits_a_lease(
    sandbox: Sandbox, redis_server: RedisServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    users = sandbox.users
    assert users is not None
    info = await users.create_bot(BOT, first_name="Outage")
    settings = settings_for(
        sandbox, info["token"], tmp_path, kv_url=redis_server.url, store_timeout=1.0
    )
    services = await build(settings)
    tg = int((await users.create_user("Ann"))["id"])
    await users.start(tg, BOT)
    user = await services.accounts.create_user(display_name="Ann", site_user_id="ann")
    await services.accounts.link_telegram(user.id, TelegramProfile(tg, "Ann"), chat_id=tg)
    caplog.set_level(logging.INFO, logger="tgpass")
    worker = asyncio.create_task(make_worker(services, outbox=True).run())
    try:
        redis_server.stop()
        message = OutgoingMessage("Sent through an outage", parse_mode=None)
        await services.notifications.broadcast(message, Audience())
        services.sender.wake()
        await asyncio.sleep(4)  # an outage of a few seconds

        warnings = lines(caplog, logging.WARNING)
        assert warnings, "the outage was not said"
        assert all("Redis is unreachable" in r.getMessage() for r in warnings), warnings
        loops = [r.getMessage().split("the ")[-1] for r in warnings]
        assert len(loops) == len(set(loops))  # once per loop, not once a second
        assert "outbox loop waits for it" in " ".join(r.getMessage() for r in warnings)
        assert not [r for r in caplog.records if r.exc_info], "an outage is not a traceback"
        assert not lines(caplog, logging.ERROR)
        assert await users.received(tg, BOT) == [] or all(
            m["text"] != message.text for m in await users.received(tg, BOT)
        )

        redis_server.start()
        back = time.monotonic()
        while not any(m["text"] == message.text for m in await users.received(tg, BOT)):
            assert time.monotonic() - back < 10, "what waited was not delivered"
            await asyncio.sleep(0.1)
        delivered_after = time.monotonic() - back
        print(f"delivered {delivered_after:.1f} s after Redis came back")
        assert delivered_after < services.settings.send_lease / 4
        infos = [r.getMessage() for r in lines(caplog, logging.INFO)]
        assert any("Redis answers again; the outbox loop goes on" in m for m in infos), infos
        assert not [r for r in caplog.records if r.exc_info]
    finally:
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker
        await services.close()
