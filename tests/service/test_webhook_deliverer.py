"""The deliverer's rules, one pass at a time on the in-memory store, with a transport that
answers what the test says and a clock that stands still: what is sent, what each answer
makes of the delivery, when it is tried again, and when an endpoint is disabled."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook

from tgpass.bootstrap import memory_stores
from tgpass.domain.webhooks import Endpoint, body_of
from tgpass.service.metrics import Metrics
from tgpass.service.ports import EndpointAnswer, EndpointUnreachable, WebhookTransport
from tgpass.service.uow import UnitOfWork
from tgpass.service.webhooks import (
    Announcer,
    Deliverer,
    DelivererConfig,
    WebhookService,
    user_subject,
)
from tgpass.testing import FrozenClock

Reply = Callable[[str], "EndpointAnswer | Exception"]


@dataclass
class ScriptedTransport(WebhookTransport):
    """Answers each POST with ``reply(url)``: a status, or an error to raise."""

    reply: Reply = lambda url: EndpointAnswer(200)
    posts: list[tuple[str, bytes, dict[str, str], float]] = field(default_factory=list)
    gate: asyncio.Event | None = None
    """When set, each POST waits for it before answering."""

    async def post(
        self, url: str, body: bytes, headers: Mapping[str, str], *, timeout: float
    ) -> EndpointAnswer:
        self.posts.append((url, body, dict(headers), timeout))
        if self.gate is not None:
            await self.gate.wait()
        answer = self.reply(url)
        if isinstance(answer, Exception):
            raise answer
        return answer


@dataclass
class World:
    clock: FrozenClock
    transport: ScriptedTransport
    deliverer: Deliverer
    announcer: Announcer
    webhooks: WebhookService
    metrics: Metrics
    uow: Callable[[], UnitOfWork]

    async def announce(self, kind: str = "account.linked", user: int = 1) -> str:
        async with self.uow() as tx:
            event = await self.announcer.announce(
                tx, kind, {"site_user_id": str(user)}, subject=user_subject(user)
            )
        return event.id

    def sample(self, name: str, **labels: str) -> float:
        return self.metrics.registry.get_sample_value(name, labels) or 0.0


def make_world(**config: object) -> World:
    stores = memory_stores()

    def uow() -> UnitOfWork:
        return stores.unit_of_work(lambda: None)

    clock = FrozenClock(1_800_000_000.0)
    transport = ScriptedTransport()
    metrics = Metrics()
    settings: dict[str, object] = {"schedule": (0.0, 5.0, 60.0), "timeout": 3.0, **config}
    deliverer = Deliverer(
        uow,
        transport,
        metrics,
        DelivererConfig(**settings),  # type: ignore[arg-type]
        clock=clock,
        jitter=lambda: 0.0,
    )
    announcer = Announcer(clock=clock)
    webhooks = WebhookService(uow, announcer, allow_private_urls=True, clock=clock)
    return World(clock, transport, deliverer, announcer, webhooks, metrics, uow)


@pytest.fixture
def world() -> World:
    return make_world()


def signature(secret: str, headers: Mapping[str, str], body: bytes) -> str:
    """What a site computes from the secret and what arrived."""
    moment = datetime.fromtimestamp(int(headers["webhook-timestamp"]), UTC)
    return Webhook(secret).sign(headers["webhook-id"], moment, body.decode())


async def only_delivery(world: World, endpoint: Endpoint) -> tuple[str, int, float, int | None]:
    [delivery] = await world.webhooks.deliveries(endpoint.id)
    return delivery.state, delivery.attempts, delivery.available_at, delivery.last_status


async def test_a_delivery_is_signed_by_standard_webhooks_and_recorded(world: World) -> None:
    endpoint = await world.webhooks.add("http://127.0.0.1:9/hook")
    event_id = await world.announce()
    assert await world.deliverer.deliver_due() == 1
    [(url, body, headers, timeout)] = world.transport.posts
    assert (url, timeout) == ("http://127.0.0.1:9/hook", 3.0)
    assert headers["webhook-id"] == event_id
    assert headers["webhook-timestamp"] == str(int(world.clock.now))
    assert headers["Content-Type"] == "application/json"
    [delivery] = await world.webhooks.deliveries(endpoint.id)
    assert body == body_of(delivery.event).encode()
    assert json.loads(body) == {
        "type": "account.linked",
        "timestamp": "2027-01-15T08:00:00.000Z",
        "data": {"site_user_id": "1"},
    }
    # verified as a site would, at the moment it was sent
    assert headers["webhook-signature"] == signature(endpoint.secret, headers, body)
    assert await only_delivery(world, endpoint) == ("delivered", 1, 0.0, 200)
    assert await world.deliverer.deliver_due() == 0  # answered 2xx: not sent again
    assert world.sample("tgpass_webhook_deliveries_total", outcome="delivered") == 1
    assert world.sample("tgpass_webhook_attempts_total", answer="2xx") == 1
    assert world.sample("tgpass_webhook_delivery_seconds_count") == 1


async def test_a_failed_attempt_is_tried_on_the_schedule_then_fails(world: World) -> None:
    endpoint = await world.webhooks.add("http://127.0.0.1:9/hook")
    await world.announce()
    world.transport.reply = lambda url: EndpointAnswer(503)
    assert await world.deliverer.deliver_due() == 1
    assert await only_delivery(world, endpoint) == ("pending", 1, world.clock.now + 5, 503)
    world.clock.advance(4.9)
    assert await world.deliverer.deliver_due() == 0  # not due yet
    world.clock.advance(0.1)
    assert await world.deliverer.deliver_due() == 1
    assert await only_delivery(world, endpoint) == ("pending", 2, world.clock.now + 60, 503)
    world.clock.advance(60)
    assert await world.deliverer.deliver_due() == 1
    assert (await only_delivery(world, endpoint))[:2] == ("failed", 3)
    ids = {headers["webhook-id"] for _, _, headers, _ in world.transport.posts}
    stamps = [headers["webhook-timestamp"] for _, _, headers, _ in world.transport.posts]
    assert len(ids) == 1 and len(set(stamps)) == 3  # one id, a fresh timestamp each time
    assert world.sample("tgpass_webhook_deliveries_total", outcome="retry") == 2
    assert world.sample("tgpass_webhook_deliveries_total", outcome="failed") == 1
    assert world.sample("tgpass_webhook_attempts_total", answer="5xx") == 3


async def test_no_answer_is_retried_with_its_reason(world: World) -> None:
    endpoint = await world.webhooks.add("http://127.0.0.1:9/hook")
    await world.announce()
    world.transport.reply = lambda url: EndpointUnreachable("no answer within 3 s")
    await world.deliverer.deliver_due()
    [delivery] = await world.webhooks.deliveries(endpoint.id)
    assert (delivery.state, delivery.last_status, delivery.last_error) == (
        "pending",
        None,
        "no answer within 3 s",
    )
    assert world.sample("tgpass_webhook_attempts_total", answer="none") == 1


async def test_an_unexpected_error_is_retried_not_raised(world: World) -> None:
    endpoint = await world.webhooks.add("http://127.0.0.1:9/hook")
    await world.announce()
    world.transport.reply = lambda url: RuntimeError("a bug")
    assert await world.deliverer.deliver_due() == 1
    [delivery] = await world.webhooks.deliveries(endpoint.id)
    assert (delivery.state, delivery.last_error) == ("pending", "unexpected RuntimeError")


async def test_retry_after_is_honoured_when_longer(world: World) -> None:
    endpoint = await world.webhooks.add("http://127.0.0.1:9/hook")
    await world.announce()
    world.transport.reply = lambda url: EndpointAnswer(429, retry_after=120)
    await world.deliverer.deliver_due()
    assert await only_delivery(world, endpoint) == ("pending", 1, world.clock.now + 120, 429)


async def test_410_fails_the_delivery_and_disables_the_endpoint(world: World) -> None:
    endpoint = await world.webhooks.add("http://127.0.0.1:9/hook")
    await world.announce()
    world.transport.reply = lambda url: EndpointAnswer(410)
    await world.deliverer.deliver_due()
    assert (await only_delivery(world, endpoint))[0] == "failed"
    disabled = await world.webhooks.get(endpoint.id)
    assert (disabled.enabled, disabled.disabled_reason) == (False, "the endpoint answered 410 Gone")
    assert world.sample("tgpass_webhook_deliveries_total", outcome="gone") == 1
    await world.webhooks.test(endpoint.id)  # a delivery claimed for it is not sent
    assert await world.deliverer.deliver_due() == 0
    assert len(world.transport.posts) == 1


async def test_an_endpoint_failing_too_long_is_disabled_and_not_sent() -> None:
    world = make_world(disable_after=30.0, schedule=(0.0, 20.0, 20.0, 20.0))
    endpoint = await world.webhooks.add("http://127.0.0.1:9/hook")
    await world.announce()
    world.transport.reply = lambda url: EndpointAnswer(500)
    await world.deliverer.deliver_due()
    world.clock.advance(20)
    await world.deliverer.deliver_due()  # failing for 20 s: tried
    assert len(world.transport.posts) == 2
    world.clock.advance(20)
    assert await world.deliverer.deliver_due() == 0  # failing for 40 s: disabled
    disabled = await world.webhooks.get(endpoint.id)
    assert (disabled.enabled, disabled.disabled_reason) == (
        False,
        "failing for more than 30 seconds",
    )
    assert len(world.transport.posts) == 2
    assert (await only_delivery(world, endpoint))[0] == "pending"  # kept, for when it is back


async def test_a_disabled_endpoint_is_not_sent_to(world: World) -> None:
    endpoint = await world.webhooks.add("http://127.0.0.1:9/hook")
    await world.webhooks.update(endpoint.id, enabled=False)
    await world.webhooks.test(endpoint.id)
    assert await world.deliverer.deliver_due() == 0
    assert world.transport.posts == []


async def test_rotation_signs_with_both_secrets_during_the_grace_period() -> None:
    world = make_world()
    world.webhooks.secret_grace = 100.0
    endpoint = await world.webhooks.add("http://127.0.0.1:9/hook")
    rotated = await world.webhooks.rotate_secret(endpoint.id)
    await world.announce()
    await world.deliverer.deliver_due()
    world.clock.advance(100)
    await world.announce(user=2)
    await world.deliverer.deliver_due()
    (_, during, sent_during, _), (_, after, sent_after, _) = world.transport.posts
    assert sent_during["webhook-signature"].split(" ") == [
        signature(rotated.secret, sent_during, during),
        signature(endpoint.secret, sent_during, during),
    ]
    assert sent_after["webhook-signature"] == signature(rotated.secret, sent_after, after)


async def test_per_endpoint_slots_limit_what_is_claimed() -> None:
    world = make_world(concurrency=3)
    endpoint = await world.webhooks.add("http://127.0.0.1:9/hook")
    for user in range(5):
        await world.announce(user=user)
    assert await world.deliverer.deliver_due() == 3
    assert await world.deliverer.deliver_due() == 2
    assert {d.state for d in await world.webhooks.deliveries(endpoint.id)} == {"delivered"}


async def test_pending_deliveries_are_counted_per_endpoint(world: World) -> None:
    first = await world.webhooks.add("http://127.0.0.1:9/a")
    second = await world.webhooks.add("http://127.0.0.1:9/b")
    await world.announce()
    await world.announce(user=2)
    assert await world.deliverer.count_pending() == {first.id: 2, second.id: 2}
    assert world.sample("tgpass_webhook_pending", endpoint=str(first.id)) == 2
    await world.deliverer.deliver_due()
    assert await world.deliverer.count_pending() == {}
    assert world.sample("tgpass_webhook_pending", endpoint=str(second.id)) == 0


async def test_a_delivery_claimed_ahead_is_given_back_once_its_lease_is_nearly_out() -> None:
    # Not sent on a lease that could run out mid-attempt (another claimer could take it
    # then): given back, it is claimed again on a fresh lease and sent, without waiting for
    # the old lease to end (the clock stands still after the jump).
    world = make_world(concurrency=1, ahead=3, timeout=10.0, lease=30.0, poll_interval=0.01)
    endpoint = await world.webhooks.add("http://127.0.0.1:9/hook")
    for user in range(4):
        await world.announce(user=user)
    world.transport.gate = asyncio.Event()
    loop = asyncio.create_task(world.deliverer.run())
    try:
        while not world.transport.posts:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)
        assert len(world.transport.posts) == 1  # one slot; three claimed ahead, waiting
        world.clock.advance(16)  # 14 s of lease left: less than a timeout and a margin
        world.transport.gate.set()
        async with asyncio.timeout(5):
            while len(await world.webhooks.pending_counts()):
                await asyncio.sleep(0.01)
    finally:
        loop.cancel()
        await asyncio.gather(loop, return_exceptions=True)
    sent = [headers["webhook-id"] for _url, _body, headers, _timeout in world.transport.posts]
    assert len(sent) == len(set(sent)) == 4  # each once
    for _url, _body, headers, _timeout in world.transport.posts[1:]:
        assert int(headers["webhook-timestamp"]) == int(world.clock())  # after the jump
    states = [(d.state, d.lease_owner) for d in await world.webhooks.deliveries(endpoint.id)]
    assert states == [("delivered", None)] * 4


async def test_a_stopped_deliverers_claimed_ahead_deliveries_go_to_the_next_at_once() -> None:
    world = make_world(concurrency=1, ahead=3, poll_interval=0.01)
    endpoint = await world.webhooks.add("http://127.0.0.1:9/hook")
    events = [await world.announce(user=user) for user in range(4)]
    world.transport.gate = asyncio.Event()  # the first attempt never ends
    loop = asyncio.create_task(world.deliverer.run())
    try:
        while not world.transport.posts:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)
        leased = {d.lease_owner for d in await world.webhooks.deliveries(endpoint.id)}
        assert leased == {world.deliverer.owner}  # one in flight, three claimed ahead
    finally:
        loop.cancel()
        await asyncio.gather(loop, return_exceptions=True)
    [(_url, _body, headers, _timeout)] = world.transport.posts
    tried = headers["webhook-id"]
    # the clock stands still: no lease has run out, yet the next one sends the three
    world.transport.gate = None
    following = Deliverer(
        world.uow, world.transport, world.metrics, DelivererConfig(concurrency=8), clock=world.clock
    )
    assert await following.deliver_due() == 3
    sent = [headers["webhook-id"] for _url, _body, headers, _timeout in world.transport.posts]
    assert sorted(sent[1:]) == sorted(set(events) - {tried})
    # the one in flight may have reached its endpoint: it waits for its lease
    states = {
        d.event.id: (d.state, d.lease_owner) for d in await world.webhooks.deliveries(endpoint.id)
    }
    assert states.pop(tried) == ("pending", world.deliverer.owner)
    assert set(states.values()) == {("delivered", None)}
