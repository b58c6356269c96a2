"""Events delivered by the worker's loop to real HTTP endpoints on loopback, each delivery
checked as a site checks it (``standardwebhooks`` and svix's verifier): every event arrives,
once per ``webhook-id`` after the site's dedupe, in order per user, through failures, an
endpoint down, a 410, a Retry-After, a secret's rotation and a dead endpoint beside."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks.webhooks import WebhookVerificationError

from tests.harness.fakes import RecordingTelegram
from tests.harness.site import backend_settings, site_settings
from tests.harness.webhook_receiver import Received, Receiver, SilentEndpoint, always
from tgpass.bootstrap import Services, build, make_worker, memory_stores
from tgpass.domain.webhooks import Event, body_of
from tgpass.errors import NotFound
from tgpass.sandbox.server import free_port
from tgpass.service.webhooks import Deliverer, user_subject

FAST = {
    "events_allow_private_urls": "true",
    "events_retry_schedule": "0,0.3,0.3,0.3,0.3,0.3,0.3,0.3",
    "events_timeout": "2",
}
BACKENDS = ["memory", "sqlite", "postgres"]
STORAGE = {"sqlite": "sqlite+memory", "postgres": "postgres+redis"}


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@contextlib.asynccontextmanager
async def site(
    backend: str, tmp_path: Path, *, name: str = "site", **overrides: Any
) -> AsyncIterator[Services]:
    """The services on ``backend`` (memory, sqlite, postgres), endpoints allowed on loopback
    and retries a fraction of a second apart."""
    values = {**FAST, **overrides}
    if backend == "memory":
        settings = site_settings({"database_url": "sqlite+aiosqlite:///"}, **values)
        services = await build(settings, stores=memory_stores(), telegram=RecordingTelegram())
        try:
            yield services
        finally:
            await services.close()
        return
    async with backend_settings(STORAGE[backend], tmp_path, sqlite_name=f"{name}.db") as storage:
        services = await build(site_settings(storage, **values), telegram=RecordingTelegram())
        try:
            yield services
        finally:
            await services.close()


@contextlib.asynccontextmanager
async def delivering(deliverer: Deliverer) -> AsyncIterator[None]:
    """The worker's loop, for the block."""
    task = asyncio.create_task(deliverer.run())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def announce(services: Services, user: int, n: int = 0) -> Event:
    async with services.uow() as tx:
        return await services.announcer.announce(
            tx, "account.linked", {"site_user_id": str(user), "n": n}, subject=user_subject(user)
        )


def checked(request: Received, secret: str, event: Event) -> None:
    """What a site checks of one delivery, and what Standard Webhooks says it must hold."""
    assert request.verify(secret) == json.loads(body_of(event))
    assert request.body == body_of(event).encode()
    assert request.headers["content-type"] == "application/json"
    assert request.id == event.id
    assert abs(request.timestamp - request.at) <= 2  # stamped when sent, not when announced


async def test_each_event_arrives_once_signed(backend: str, tmp_path: Path) -> None:
    async with site(backend, tmp_path) as services, Receiver() as receiver:
        endpoint = await services.webhooks.add(receiver.url)
        events = [await announce(services, user) for user in range(1, 6)]
        async with delivering(services.deliverer):
            await receiver.wait_accepted({e.id for e in events})
            await asyncio.sleep(0.3)  # time for a duplicate to show, were there one
        by_id = {e.id: e for e in events}
        assert len(receiver.received) == 5
        for request in receiver.received:
            checked(request, endpoint.secret, by_id[request.id])
        deliveries = await services.webhooks.deliveries(endpoint.id)
        assert {(d.state, d.attempts, d.last_status) for d in deliveries} == {("delivered", 1, 204)}


async def test_an_endpoint_failing_for_a_while_gets_each_event_once_after_dedupe(
    backend: str, tmp_path: Path
) -> None:
    tries: dict[str, int] = {}

    def flaky(request: Received) -> int:
        tries[request.id] = tries.get(request.id, 0) + 1
        return 500 if tries[request.id] <= 3 else 200

    async with site(backend, tmp_path) as services, Receiver(flaky) as receiver:
        endpoint = await services.webhooks.add(receiver.url)
        events = [await announce(services, user) for user in range(1, 6)]
        async with delivering(services.deliverer):
            await receiver.wait_accepted({e.id for e in events})
            await asyncio.sleep(0.3)
        assert receiver.accepted_ids() == {e.id: 1 for e in events}  # nothing lost or doubled
        by_id = {e.id: e for e in events}
        for event in events:
            tried = [r for r in receiver.received if r.id == event.id]
            assert [r.status for r in tried] == [500, 500, 500, 200]
            for request in tried:
                checked(request, endpoint.secret, by_id[request.id])
            # a fresh timestamp on each try: three waits of 0.3 s or more lie between the
            # first and the last, so their whole seconds differ
            assert tried[-1].timestamp > tried[0].timestamp
        deliveries = await services.webhooks.deliveries(endpoint.id)
        assert {(d.state, d.attempts) for d in deliveries} == {("delivered", 4)}


async def test_an_endpoint_down_then_up_gets_everything(backend: str, tmp_path: Path) -> None:
    port = free_port()
    async with site(backend, tmp_path) as services:
        endpoint = await services.webhooks.add(f"http://127.0.0.1:{port}/hook")
        events = [await announce(services, user) for user in range(1, 6)]
        async with delivering(services.deliverer):
            deadline = time.monotonic() + 10
            while not all(d.attempts >= 2 for d in await services.webhooks.deliveries(endpoint.id)):
                assert time.monotonic() < deadline, "no attempts while the endpoint was down"
                await asyncio.sleep(0.05)
            [refused, *_] = await services.webhooks.deliveries(endpoint.id)
            assert refused.state == "pending" and refused.last_error
            async with Receiver(port=port) as receiver:
                await receiver.wait_accepted({e.id for e in events})
                await asyncio.sleep(0.3)
        assert receiver.accepted_ids() == {e.id: 1 for e in events}
        for request in receiver.received:
            request.verify(endpoint.secret)


async def test_410_disables_the_endpoint_with_its_reason(backend: str, tmp_path: Path) -> None:
    async with site(backend, tmp_path) as services, Receiver(always(410)) as receiver:
        endpoint = await services.webhooks.add(receiver.url)
        await announce(services, 1)
        async with delivering(services.deliverer):
            await receiver.wait_for(lambda r: len(r.received) == 1)
            deadline = time.monotonic() + 10
            while (await services.webhooks.get(endpoint.id)).enabled:
                assert time.monotonic() < deadline, "the endpoint was not disabled"
                await asyncio.sleep(0.05)
            await announce(services, 2)  # nobody is listening there now
            await asyncio.sleep(0.5)
        gone = await services.webhooks.get(endpoint.id)
        assert gone.disabled_reason == "the endpoint answered 410 Gone"
        [delivery] = await services.webhooks.deliveries(endpoint.id)
        assert (delivery.state, delivery.last_status) == ("failed", 410)
        assert len(receiver.received) == 1


async def test_retry_after_is_honoured(backend: str, tmp_path: Path) -> None:
    answers = iter([(429, {"Retry-After": "2"})])

    def busy_once(request: Received) -> int | tuple[int, dict[str, str]]:
        return next(answers, 200)

    async with site(backend, tmp_path) as services, Receiver(busy_once) as receiver:
        await services.webhooks.add(receiver.url)
        event = await announce(services, 1)
        async with delivering(services.deliverer):
            await receiver.wait_accepted({event.id})
        first, second = receiver.received
        assert (first.status, second.status) == (429, 200)
        # the schedule says 0.3 s; the endpoint asked for 2
        assert second.at - first.at >= 1.9


async def test_rotation_signs_with_both_secrets_in_the_grace_period_then_the_new_one(
    backend: str, tmp_path: Path
) -> None:
    async with (
        site(backend, tmp_path, events_secret_grace="1.5") as services,
        Receiver() as receiver,
    ):
        endpoint = await services.webhooks.add(receiver.url)
        rotated = await services.webhooks.rotate_secret(endpoint.id)
        async with delivering(services.deliverer):
            during = await announce(services, 1)
            await receiver.wait_accepted({during.id})
            await asyncio.sleep(max(0.0, rotated.previous_secret_until - time.time()) + 0.1)
            after = await announce(services, 2)
            await receiver.wait_accepted({after.id})
        sent_during, sent_after = receiver.received
        old, new = endpoint.secret, rotated.secret
        # each signature is checked alone, with its own secret
        signatures = sent_during.headers["webhook-signature"].split(" ")
        assert len(signatures) == 2
        for secret, signature in zip((new, old), signatures, strict=True):
            alone = {**sent_during.headers, "webhook-signature": signature}
            Received(alone, sent_during.body, sent_during.at, 204).verify(secret)
        assert len(sent_after.headers["webhook-signature"].split(" ")) == 1
        sent_after.verify(new)
        with pytest.raises(WebhookVerificationError):
            sent_after.verify(old)


async def test_per_user_order_holds_while_the_first_is_retried(
    backend: str, tmp_path: Path
) -> None:
    first_tries = 0

    def fail_the_first_twice(request: Received) -> int:
        nonlocal first_tries
        if request.payload["data"]["n"] == 0:
            first_tries += 1
            return 503 if first_tries <= 2 else 200
        return 200

    async with site(backend, tmp_path) as services, Receiver(fail_the_first_twice) as receiver:
        endpoint = await services.webhooks.add(receiver.url)
        events = [await announce(services, 7, n) for n in range(6)]
        other = await announce(services, 8, 99)  # another user's: not held back
        async with delivering(services.deliverer):
            await receiver.wait_accepted({e.id for e in [*events, other]})
        arrived = [r.id for r in receiver.received]
        assert [i for i in arrived if i != other.id] == [events[0].id] * 3 + [
            e.id for e in events[1:]
        ]
        # the other user's event went at once, before the first one's second try
        second_try = [n for n, i in enumerate(arrived) if i == events[0].id][1]
        assert arrived.index(other.id) < second_try
        for request in receiver.received:
            request.verify(endpoint.secret)


async def all_received(services: Services, receiver: Receiver, count: int) -> float:
    """Announce ``count`` events (as many users) and deliver them: how long until the
    receiver had them all."""
    events = [await announce(services, 1000 + n) for n in range(count)]
    started = time.monotonic()
    async with delivering(services.deliverer):
        await receiver.wait_accepted({e.id for e in events}, seconds=60)
    return time.monotonic() - started


async def test_a_dead_endpoint_does_not_slow_a_healthy_one(backend: str, tmp_path: Path) -> None:
    # Not a rate (bench/events.py measures that): every event reaches the healthy endpoint
    # while each of the dead one's attempts is still waiting for its 30 s timeout.
    async with (
        site(backend, tmp_path, name="dead", events_timeout="30") as services,
        Receiver() as healthy,
        SilentEndpoint() as dead,
    ):
        dead_endpoint = await services.webhooks.add(dead.url)
        await services.webhooks.add(healthy.url)
        took = await all_received(services, healthy, 300)
        # every slot of the dead one was taken and none has come back, all the while
        assert dead.connections == services.deliverer.config.concurrency
        assert all(d.attempts == 0 for d in await services.webhooks.deliveries(dead_endpoint.id))
    assert took < 30  # well inside one of the dead endpoint's timeouts


async def test_events_done_with_are_forgotten_after_the_retention(tmp_path: Path) -> None:
    # One attempt each: delivered to one endpoint, failed to the other, the first event is
    # done with; the second, never tried, is pending and kept however old.
    settings = {"events_retention": "0", "events_retry_schedule": "0"}
    async with (
        site("sqlite", tmp_path, **settings) as services,
        Receiver() as fine,
        Receiver(always(503)) as failing,
    ):
        endpoints = [
            await services.webhooks.add(fine.url),
            await services.webhooks.add(failing.url),
        ]
        done = await announce(services, 1)
        await services.deliverer.deliver_due()
        pending = await announce(services, 1)
        assert await services.webhooks.prune() == 1
        assert await services.webhooks.prune() == 0
        for endpoint in endpoints:
            left = await services.webhooks.deliveries(endpoint.id)
            assert [(d.event.id, d.state) for d in left] == [(pending.id, "pending")]
        with pytest.raises(NotFound):  # forgotten: nothing to retry
            await services.webhooks.retry(endpoints[0].id, done.id)
        assert "webhooks-prune" in make_worker(services).loops
