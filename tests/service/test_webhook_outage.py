"""The database lost while events are being delivered: the deliverer's loop stops, the
worker waits for the store and starts it again once it answers, and every event reaches the
site once per ``webhook-id``, none sent twice. The store here is the in-memory one, failing
as a lost database does (SQLAlchemy's OperationalError over sqlite3's) at the start of a
transaction, at any call inside one, and at its commit, which then applies nothing."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy.exc import OperationalError

from tests.harness.webhook_receiver import Received, Receiver
from tgpass.bootstrap import memory_stores
from tgpass.outbound import HttpWebhookTransport
from tgpass.service.metrics import Metrics
from tgpass.service.uow import UnitOfWork, WebhookRepository
from tgpass.service.webhooks import Announcer, Deliverer, DelivererConfig, user_subject
from tgpass.service.worker import Worker
from tgpass.store.outages import outage_of

EVENTS = 300
LEASE = 30.0


class SlowReceiver(Receiver):
    """Each answer takes a little while: the outage finds attempts in flight."""

    async def _hook(self, request: web.Request) -> web.Response:
        await asyncio.sleep(0.02)
        return await super()._hook(request)


class Outage:
    """While ``on``, every use of the database fails."""

    def __init__(self) -> None:
        self.on = False
        self.failures = 0

    def check(self) -> None:
        if self.on:
            self.failures += 1
            raise OperationalError("COMMIT", None, sqlite3.OperationalError("disk I/O error"))


class FlakyWebhooks:
    """The repository's every call fails while the outage lasts."""

    def __init__(self, inner: WebhookRepository, outage: Outage) -> None:
        self.inner = inner
        self.outage = outage

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.inner, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            self.outage.check()
            result = await method(*args, **kwargs)
            self.outage.check()  # lost before the answer came back
            return result

        return call


class FlakyUnitOfWork(UnitOfWork):
    def __init__(self, inner: UnitOfWork, outage: Outage) -> None:
        super().__init__()
        self.inner = inner
        self.outage = outage

    async def _begin(self) -> None:
        self.outage.check()
        await self.inner.__aenter__()
        self.webhooks = FlakyWebhooks(self.inner.webhooks, self.outage)  # type: ignore[assignment]

    async def _commit(self) -> None:
        try:
            self.outage.check()
        except OperationalError as lost:
            await self.inner.__aexit__(type(lost), lost, None)  # rolled back
            raise
        await self.inner.__aexit__(None, None, None)

    async def _rollback(self) -> None:
        await self.inner.__aexit__(RuntimeError, RuntimeError("rolled back"), None)


async def test_a_database_outage_stops_the_deliverer_and_loses_or_repeats_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stores = memory_stores()
    outage = Outage()

    def uow() -> UnitOfWork:
        return FlakyUnitOfWork(stores.unit_of_work(lambda: None), outage)

    async def probe() -> None:
        outage.check()

    transport = HttpWebhookTransport(allow_private=True)
    config = DelivererConfig(
        schedule=(0.0, 0.2, 0.2, 0.2), timeout=2.0, lease=LEASE, concurrency=8, poll_interval=0.05
    )
    deliverer = Deliverer(uow, transport, Metrics(), config)
    announcer = Announcer(wake=deliverer.wake)
    runs = 0

    async def run() -> None:
        nonlocal runs
        runs += 1
        await deliverer.run()

    def outage_after(count: int) -> Callable[[Received], int]:
        def answer(request: Received) -> int:
            if len(receiver.received) == count:  # mid-way, with attempts in flight
                outage.on = True
            return 204

        return answer

    receiver = SlowReceiver(outage_after(EVENTS // 3))
    caplog.set_level(logging.INFO, logger="tgpass")
    async with receiver:
        async with uow() as tx:
            endpoint = await tx.webhooks.add_endpoint(
                receiver.url, ["account.linked"], secret="whsec_" + "A" * 32, description="", now=0
            )
            ids = [
                (
                    await announcer.announce(
                        tx, "account.linked", {"n": n}, subject=user_subject(n)
                    )
                ).id
                for n in range(EVENTS)
            ]
        worker = asyncio.create_task(
            Worker({"webhooks": run}, outage_of=outage_of, probe=probe).run()
        )
        try:
            await receiver.wait_for(lambda r: outage.on, seconds=30)
            await asyncio.sleep(1.0)  # an outage of a second, probed meanwhile
            assert outage.failures > 1
            sent_during = len(receiver.received)
            outage.on = False
            # what was claimed ahead goes at once, not a lease later
            await receiver.wait_accepted(set(ids), seconds=LEASE / 2)
            await asyncio.sleep(0.5)  # time for a repeat to show, were there one
        finally:
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
            await transport.close()
    assert runs >= 2, "the worker did not start the deliverer again"
    assert sent_during < EVENTS  # the outage came before the end
    assert receiver.accepted_ids() == dict.fromkeys(ids, 1)
    assert len(receiver.received) == EVENTS  # not even an unanswered repeat
    messages = [r.getMessage() for r in caplog.records if r.name == "tgpass.worker"]
    assert any("the database is unreachable" in m and "webhooks loop" in m for m in messages)
    assert any("the database answers again; the webhooks loop goes on" in m for m in messages)
    async with uow() as tx:
        deliveries = await tx.webhooks.deliveries(endpoint.id, limit=EVENTS)
    assert {(d.state, d.attempts, d.lease_owner) for d in deliveries} == {("delivered", 1, None)}
