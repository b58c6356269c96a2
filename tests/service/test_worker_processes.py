"""Worker processes over one PostgreSQL and one Redis, sending to the sandbox with its
flood limits on: two of them split a broadcast with no duplicate and no loss; a worker
killed with SIGKILL mid-broadcast loses nothing once another runs, and repeats at most
what it had in flight."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

from tests.harness.site import backend_settings
from tgpass.bootstrap import Services, build
from tgpass.domain.accounts import TelegramProfile
from tgpass.domain.delivery import OutgoingMessage
from tgpass.sandbox.server import Sandbox, SandboxUsers
from tgpass.service.notify.notifications import Audience
from tgpass.settings import Settings

BOT = "workers_bot"


@contextmanager
def worker_process(env: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tgpass.cli", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


@asynccontextmanager
async def broadcast_setup(
    tmp_path: Path, users: int
) -> AsyncIterator[tuple[SandboxUsers, Services, dict[str, str], list[int], str]]:
    async with backend_settings("postgres+redis", tmp_path) as storage, Sandbox() as sandbox:
        assert sandbox.users is not None
        await sandbox.users.set_limits()  # Telegram's figures: 30/s for the bot
        bot = await sandbox.users.create_bot(BOT)
        values = {
            **storage,
            "bot_token": bot["token"],
            "bot_api_url": sandbox.url,
            "secret_key": "shared-key",
            "send_lease": "20",  # a dead worker's rows come back soon
        }
        services = await build(Settings.from_mapping(values))
        try:
            tgs = []
            for n in range(users):
                tg = int((await sandbox.users.create_user(f"W{n}"))["id"])
                await sandbox.users.start(tg, BOT)
                tgs.append(tg)
            async with services.uow() as tx:
                for n, tg in enumerate(tgs):
                    user = await tx.accounts.create_user(display_name=f"W{n}")
                    profile = TelegramProfile(telegram_id=tg, first_name=f"W{n}")
                    await tx.accounts.link_telegram(user.id, profile, chat_id=tg)
            accepted = await services.notifications.broadcast(
                OutgoingMessage("to everyone", parse_mode=None), Audience()
            )
            env = {
                **os.environ,
                **{f"TGPASS_{k.upper()}": str(v) for k, v in values.items()},
                "TGPASS_WORKER": "true",
            }
            yield sandbox.users, services, env, tgs, accepted.id
        finally:
            await services.close()


async def wait_done(services: Services, notification_id: str, seconds: float = 90) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        status = await services.notifications.status(notification_id)
        if status.status == "done":
            return status
        assert time.monotonic() < deadline, f"not delivered in time: {status.counts}"
        await asyncio.sleep(0.3)


async def deliveries(users: SandboxUsers, tgs: list[int]) -> Counter[int]:
    counts: Counter[int] = Counter()
    for tg in tgs:
        counts[tg] = sum(m["text"] == "to everyone" for m in await users.received(tg, BOT))
    return counts


async def test_two_workers_split_a_broadcast_with_no_duplicate_and_no_loss(
    tmp_path: Path,
) -> None:
    async with broadcast_setup(tmp_path, 300) as (users, services, env, tgs, notification):
        with worker_process(env), worker_process(env):
            status = await wait_done(services, notification)
        assert status.counts["sent"] == 300
        got = await deliveries(users, tgs)
        async with services.uow() as tx:
            rows = await tx.outbox.of_notification(notification, limit=300)
        twice = {tg for tg, n in got.items() if n != 1}
        evidence = [(r.chat_id, r.attempts, r.last_error) for r in rows if r.chat_id in twice]
        assert set(got.values()) == {1}, evidence
        # leased to one claimer at a time (a 429 is not an attempt)
        assert {r.attempts for r in rows} == {1}


async def test_a_killed_worker_loses_nothing_and_repeats_at_most_its_in_flight(
    tmp_path: Path,
) -> None:
    async with broadcast_setup(tmp_path, 300) as (users, services, env, tgs, notification):
        with worker_process(env) as first:
            deadline = time.monotonic() + 30
            while (await services.notifications.status(notification)).counts["sent"] < 60:
                assert time.monotonic() < deadline, "the first worker sent nothing"
                await asyncio.sleep(0.1)
            os.kill(first.pid, signal.SIGKILL)
            first.wait()
        stranded = (await services.notifications.status(notification)).counts["sending"]
        with worker_process(env):
            status = await wait_done(services, notification)
        assert status.counts["sent"] == 300
        got = await deliveries(users, tgs)
        assert min(got.values()) == 1  # nothing lost
        repeated = sum(n - 1 for n in got.values())
        # only rows sent but not yet recorded when it died can go twice
        assert repeated <= stranded, (repeated, stranded)
        assert repeated <= 5
