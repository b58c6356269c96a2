"""Deliverers sharing one PostgreSQL: two of them send each event once between them, and a
worker process killed with SIGKILL while its deliveries are in flight loses none of them
once another worker runs."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

from tests.harness.fakes import RecordingTelegram
from tests.harness.site import (
    BOT_USERNAME,
    SECRET_KEY,
    SITE,
    TOKEN,
    backend_settings,
    site_settings,
)
from tests.harness.webhook_receiver import HOLD, Received, Receiver
from tgpass.bootstrap import Services, build
from tgpass.domain.webhooks import Event
from tgpass.service.webhooks import Deliverer, user_subject

EVENTS = {
    "events_allow_private_urls": "true",
    "events_retry_schedule": "0,0.3,0.3,0.3,0.3,0.3",
    "events_timeout": "3",  # so a dead worker's leases end in 16 s
}


@contextlib.asynccontextmanager
async def postgres(tmp_path: Path) -> AsyncIterator[dict[str, str]]:
    async with backend_settings("postgres+redis", tmp_path) as storage:
        yield {**storage, **EVENTS}


@contextlib.asynccontextmanager
async def services_on(values: dict[str, str]) -> AsyncIterator[Services]:
    services = await build(site_settings(values), telegram=RecordingTelegram())
    try:
        yield services
    finally:
        await services.close()


@contextlib.asynccontextmanager
async def delivering(*deliverers: Deliverer) -> AsyncIterator[None]:
    tasks = [asyncio.create_task(d.run()) for d in deliverers]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def announce_many(services: Services, count: int) -> list[Event]:
    events = []
    async with services.uow() as tx:
        for n in range(count):
            events.append(
                await services.announcer.announce(
                    tx, "account.standing_changed", {"n": n}, subject=user_subject(n)
                )
            )
    return events


def attempts_made(services: Services) -> float:
    return sum(
        services.metrics.registry.get_sample_value("tgpass_webhook_attempts_total", {"answer": a})
        or 0.0
        for a in ("2xx", "3xx", "4xx", "5xx", "none")
    )


async def test_two_deliverers_send_each_event_once(tmp_path: Path) -> None:
    async with (
        postgres(tmp_path) as values,
        services_on(values) as first,
        services_on(values) as second,
        Receiver() as receiver,
    ):
        endpoint = await first.webhooks.add(receiver.url)
        events = await announce_many(first, 300)
        async with delivering(first.deliverer, second.deliverer):
            await receiver.wait_accepted({e.id for e in events}, seconds=60)
            await asyncio.sleep(0.5)  # time for a duplicate to show, were there one
        assert receiver.accepted_ids() == {e.id: 1 for e in events}
        assert len(receiver.received) == 300  # not even an unanswered duplicate
        for request in receiver.received[:20]:
            request.verify(endpoint.secret)
        # both took a share; neither sent what the other held
        shares = attempts_made(first), attempts_made(second)
        assert sum(shares) == 300 and min(shares) > 0, shares
        deliveries = await first.webhooks.deliveries(endpoint.id, limit=300)
        assert {(d.state, d.attempts) for d in deliveries} == {("delivered", 1)}


@contextlib.contextmanager
def worker_process(values: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    """``tgpass worker`` on the same database, as a deployment runs it."""
    mapping = {
        "bot_token": TOKEN,
        "bot_username": BOT_USERNAME,
        "bot_api_url": "http://127.0.0.1:9",  # no Telegram here: its loops wait, ours go
        "public_url": SITE,
        "secret_key": SECRET_KEY,
        **values,
    }
    env = {**os.environ, **{f"TGPASS_{k.upper()}": v for k, v in mapping.items()}}
    process = subprocess.Popen(
        [sys.executable, "-m", "tgpass.cli", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
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
                process.wait()


async def test_a_worker_killed_between_commit_and_delivery_loses_nothing(
    tmp_path: Path,
) -> None:
    holding = True

    def hold_then_accept(request: Received) -> int:
        return HOLD if holding else 200

    async with (
        postgres(tmp_path) as values,
        services_on(values) as services,
        Receiver(hold_then_accept) as receiver,
    ):
        endpoint = await services.webhooks.add(receiver.url)
        events = await announce_many(services, 20)  # committed, none delivered yet
        slots = services.deliverer.config.concurrency
        with worker_process(values) as first:
            await receiver.wait_for(lambda r: len(r.received) >= slots, seconds=60)
            os.kill(first.pid, signal.SIGKILL)  # its attempts in flight, none answered
            first.wait()
        deliveries = await services.webhooks.deliveries(endpoint.id, limit=20)
        # it held its slots' worth in flight, and maybe more claimed ahead, none settled
        leased = {d.event.id for d in deliveries if d.lease_owner is not None}
        assert len(leased) >= slots and all(d.state == "pending" for d in deliveries)
        assert receiver.accepted() == []
        holding = False
        with worker_process(values):
            # the rest at once; what the dead worker held once its leases run out
            await receiver.wait_accepted({e.id for e in events}, seconds=90)
            await asyncio.sleep(0.5)
        assert receiver.accepted_ids() == {e.id: 1 for e in events}
        held_ids = {r.id for r in receiver.received if r.status == 0}
        assert len(held_ids) == slots and held_ids <= leased  # sent again, same webhook-id
        for request in receiver.accepted():
            request.verify(endpoint.secret)
