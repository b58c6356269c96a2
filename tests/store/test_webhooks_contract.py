"""The contract of the webhook store (endpoints, events, deliveries) on every backend,
through the unit of work."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
from collections.abc import Sequence
from pathlib import Path

import pytest

from tgpass.domain.webhooks import DeliveryResult, Endpoint, Event
from tgpass.service.uow import UnitOfWorkFactory
from tgpass.store.sql import SqlUnitOfWork

from .conftest import sql_engine

NOW = 1_800_000_000.0
LEASE = 60.0
HOLD = 3600.0
_numbers = itertools.count(1)


def event(kind: str = "account.linked", subject: str | None = None, **data: object) -> Event:
    number = next(_numbers)
    return Event(f"msg_{number:024x}", kind, NOW + number / 1000, dict(data), subject)


async def add_endpoint(
    uow: UnitOfWorkFactory, events: Sequence[str] = ("account.linked",), url: str = "https://a"
) -> Endpoint:
    async with uow() as tx:
        return await tx.webhooks.add_endpoint(
            url, events, secret="whsec_one", description="site", now=NOW
        )


async def record(uow: UnitOfWorkFactory, *events: Event, now: float = NOW) -> None:
    async with uow() as tx:
        for e in events:
            await tx.webhooks.record(e, now=now)


async def claim(
    uow: UnitOfWorkFactory,
    endpoint: Endpoint,
    *,
    owner: str = "w1",
    now: float = NOW,
    limit: int = 10,
) -> list[str]:
    async with uow() as tx:
        taken = await tx.webhooks.claim(
            endpoint.id, owner=owner, now=now, lease=LEASE, limit=limit, order_hold=HOLD
        )
    return [d.event.id for d in taken]


async def settle(
    uow: UnitOfWorkFactory, *results: DeliveryResult, owner: str = "w1", now: float = NOW
) -> list[DeliveryResult]:
    async with uow() as tx:
        return await tx.webhooks.settle(results, owner=owner, now=now)


def delivered(endpoint: Endpoint, e: Event, at: float = NOW) -> DeliveryResult:
    return DeliveryResult(endpoint.id, e.id, "delivered", at, status=200)


def retried(endpoint: Endpoint, e: Event, at: float = NOW, *, again: float) -> DeliveryResult:
    return DeliveryResult(
        endpoint.id, e.id, "pending", at, status=503, error="HTTP 503", available_at=again
    )


def failed(endpoint: Endpoint, e: Event, at: float = NOW) -> DeliveryResult:
    return DeliveryResult(endpoint.id, e.id, "failed", at, error="timed out")


async def test_an_event_goes_to_the_enabled_endpoints_that_asked_for_it(
    uow: UnitOfWorkFactory,
) -> None:
    linked = await add_endpoint(uow, ["account.linked", "account.unlinked"])
    other = await add_endpoint(uow, ["chat.paused"], url="https://b")
    off = await add_endpoint(uow, ["account.linked"], url="https://c")
    async with uow() as tx:
        await tx.webhooks.save_endpoint(dataclasses.replace(off, enabled=False))
    first = event("account.linked")
    async with uow() as tx:
        assert await tx.webhooks.record(first, now=NOW) == 1
        assert await tx.webhooks.record(event("account.deleted"), now=NOW) == 0
        assert await tx.webhooks.pending_counts() == {linked.id: 1}
        assert await tx.webhooks.due_endpoints(now=NOW) == [linked.id]
        [delivery] = await tx.webhooks.deliveries(linked.id)
    assert delivery.event == first
    assert (delivery.state, delivery.attempts, delivery.available_at) == ("pending", 0, NOW)
    assert delivery.created_at == NOW
    # a test is sent to the endpoints named, whatever they asked for
    test = event("webhook.test")
    async with uow() as tx:
        assert await tx.webhooks.record(test, now=NOW, endpoint_ids=[other.id]) == 1
        assert await tx.webhooks.pending_counts() == {linked.id: 1, other.id: 1}
        assert [d.event for d in await tx.webhooks.deliveries(other.id)] == [test]


async def test_a_rolled_back_event_is_never_delivered(uow: UnitOfWorkFactory) -> None:
    endpoint = await add_endpoint(uow)

    async def announce_then_fail() -> None:
        async with uow() as tx:
            assert await tx.webhooks.record(event(), now=NOW) == 1
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        await announce_then_fail()
    async with uow() as tx:
        assert await tx.webhooks.pending_counts() == {}
        assert await tx.webhooks.deliveries(endpoint.id) == []
        assert await tx.webhooks.due_endpoints(now=NOW) == []
    assert await claim(uow, endpoint) == []


async def test_claims_take_due_deliveries_in_event_order_and_lease_them(
    uow: UnitOfWorkFactory,
) -> None:
    endpoint = await add_endpoint(uow)
    events = [event(subject=None) for _ in range(5)]
    await record(uow, *events)
    assert await claim(uow, endpoint, limit=3) == [e.id for e in events[:3]]
    async with uow() as tx:
        taken = await tx.webhooks.claim(
            endpoint.id, owner="w2", now=NOW + 1, lease=LEASE, limit=10, order_hold=HOLD
        )
        assert [d.event.id for d in taken] == [e.id for e in events[3:]]
        assert {(d.lease_owner, d.available_at) for d in taken} == {("w2", NOW + 1 + LEASE)}
        # leased: nothing is due until a lease runs out
        assert await tx.webhooks.due_endpoints(now=NOW + 30) == []
    assert await claim(uow, endpoint, owner="w3", now=NOW + 30) == []
    # the first claimer died: its deliveries go to the next one, in order
    assert await claim(uow, endpoint, owner="w3", now=NOW + LEASE + 0.5) == [
        e.id for e in events[:3]
    ]


async def test_a_claim_takes_only_its_endpoints_deliveries(uow: UnitOfWorkFactory) -> None:
    one = await add_endpoint(uow)
    two = await add_endpoint(uow, url="https://b")
    e = event()
    await record(uow, e)
    assert await claim(uow, one) == [e.id]
    assert await claim(uow, two) == [e.id]
    assert await claim(uow, two, owner="w2") == []


async def test_deliveries_about_one_subject_go_in_order(uow: UnitOfWorkFactory) -> None:
    endpoint = await add_endpoint(uow)
    first, second, third = (event(subject="user:1") for _ in range(3))
    other, anyone = event(subject="user:2"), event(subject=None)
    await record(uow, first, second, other, third, anyone)
    # one at a time per subject: the later ones wait while the first is pending
    assert await claim(uow, endpoint) == [first.id, other.id, anyone.id]
    assert await claim(uow, endpoint, owner="w2", now=NOW + 1) == []
    # a retry put off: the first is pending and not leased, the second still waits
    await settle(uow, retried(endpoint, first, again=NOW + 5))
    assert await claim(uow, endpoint, now=NOW + 2) == []
    assert await claim(uow, endpoint, now=NOW + 5) == [first.id]
    await settle(uow, delivered(endpoint, first, NOW + 6), now=NOW + 6)
    assert await claim(uow, endpoint, now=NOW + 6) == [second.id]
    # a delivery that failed for good holds nothing back
    await settle(uow, failed(endpoint, second, NOW + 7), now=NOW + 7)
    assert await claim(uow, endpoint, now=NOW + 7) == [third.id]


async def test_a_delivery_failing_longer_than_the_hold_lets_later_ones_pass(
    uow: UnitOfWorkFactory,
) -> None:
    endpoint = await add_endpoint(uow)
    first, second = event(subject="user:1"), event(subject="user:1")
    await record(uow, first, second)
    assert await claim(uow, endpoint) == [first.id]
    await settle(uow, retried(endpoint, first, NOW + 1, again=NOW + 2 * HOLD))
    assert await claim(uow, endpoint, now=NOW + 1 + HOLD - 1) == []
    assert await claim(uow, endpoint, now=NOW + 1 + HOLD + 1) == [second.id]


async def test_a_claim_takes_no_more_than_its_limit(uow: UnitOfWorkFactory) -> None:
    endpoint = await add_endpoint(uow)
    events = [event(subject=f"user:{n}") for n in range(4)]
    await record(uow, *events)
    assert await claim(uow, endpoint, limit=1) == [events[0].id]
    assert await claim(uow, endpoint, limit=2) == [events[1].id, events[2].id]
    assert await claim(uow, endpoint, limit=0) == []


async def test_only_the_leaseholder_settles(uow: UnitOfWorkFactory) -> None:
    endpoint = await add_endpoint(uow)
    e = event()
    await record(uow, e)
    assert await settle(uow, delivered(endpoint, e)) == []  # not claimed by anyone
    await claim(uow, endpoint, owner="w1")
    assert await settle(uow, delivered(endpoint, e), owner="w2") == []
    unknown = DeliveryResult(endpoint.id, "msg_unknown", "delivered", NOW, status=200)
    assert await settle(uow, unknown) == []
    async with uow() as tx:
        [d] = await tx.webhooks.deliveries(endpoint.id)
    assert (d.state, d.attempts, d.lease_owner) == ("pending", 0, "w1")
    # the lease ran out and another took it: the first one's outcome is not recorded
    await claim(uow, endpoint, owner="w2", now=NOW + LEASE + 1)
    assert await settle(uow, delivered(endpoint, e), owner="w1") == []
    result = delivered(endpoint, e, NOW + LEASE + 2)
    assert await settle(uow, result, owner="w2") == [result]


async def test_untried_deliveries_given_back_are_claimed_at_once(uow: UnitOfWorkFactory) -> None:
    endpoint = await add_endpoint(uow)
    other = await add_endpoint(uow, url="https://b")
    events = [event(subject=f"user:{n}") for n in range(4)]
    await record(uow, *events)
    assert await claim(uow, endpoint, owner="w1") == [e.id for e in events]
    await claim(uow, other, owner="w1")
    back = [(endpoint.id, events[2].id), (endpoint.id, events[3].id)]
    async with uow() as tx:
        # another's lease, an unknown event and a delivery not named are left alone
        assert await tx.webhooks.release("w2", back, now=NOW + 1) == 0
        assert await tx.webhooks.release("w1", [(endpoint.id, "msg_unknown")], now=NOW) == 0
        assert await tx.webhooks.release("w1", [*back, back[0]], now=NOW + 1) == 2
    # due at once for anyone, long before w1's lease ends, and never tried
    assert await claim(uow, endpoint, owner="w2", now=NOW + 1) == [events[2].id, events[3].id]
    async with uow() as tx:
        listed = {d.event.id: d for d in await tx.webhooks.deliveries(endpoint.id)}
        assert await tx.webhooks.release("w1", back, now=NOW + 2) == 0  # w2's now
    assert [listed[e.id].lease_owner for e in events] == ["w1", "w1", "w2", "w2"]
    assert {d.attempts for d in listed.values()} == {0}
    assert await claim(uow, other, owner="w2", now=NOW + 1) == []  # still w1's
    # a delivery already settled is not given back
    await settle(uow, delivered(endpoint, events[0]))
    async with uow() as tx:
        assert await tx.webhooks.release("w1", [(endpoint.id, events[0].id)], now=NOW) == 0
        [done] = [
            d for d in await tx.webhooks.deliveries(endpoint.id) if d.event.id == events[0].id
        ]
    assert done.state == "delivered"


async def test_settling_counts_attempts_and_records_the_outcome(uow: UnitOfWorkFactory) -> None:
    endpoint = await add_endpoint(uow)
    e = event()
    await record(uow, e)
    await claim(uow, endpoint)
    await settle(uow, retried(endpoint, e, NOW + 1, again=NOW + 10))
    async with uow() as tx:
        [d] = await tx.webhooks.deliveries(endpoint.id)
        assert await tx.webhooks.due_endpoints(now=NOW + 9) == []
        assert await tx.webhooks.due_endpoints(now=NOW + 10) == [endpoint.id]
    assert (d.state, d.attempts, d.available_at) == ("pending", 1, NOW + 10)
    assert (d.last_status, d.last_error, d.first_failed_at) == (503, "HTTP 503", NOW + 1)
    assert d.lease_owner is None
    assert await claim(uow, endpoint, now=NOW + 9) == []
    assert await claim(uow, endpoint, now=NOW + 10) == [e.id]
    await settle(uow, retried(endpoint, e, NOW + 11, again=NOW + 20))
    assert await claim(uow, endpoint, now=NOW + 20) == [e.id]
    await settle(uow, delivered(endpoint, e, NOW + 21))
    async with uow() as tx:
        [d] = await tx.webhooks.deliveries(endpoint.id)
        assert await tx.webhooks.pending_counts() == {}
        assert await tx.webhooks.due_endpoints(now=NOW + 1000) == []
    assert (d.state, d.attempts, d.last_status, d.delivered_at) == ("delivered", 3, 200, NOW + 21)
    assert d.first_failed_at == NOW + 1  # when its failures began stays, for the record
    assert await claim(uow, endpoint, now=NOW + 1000) == []


async def test_a_failed_delivery_stays_failed(uow: UnitOfWorkFactory) -> None:
    endpoint = await add_endpoint(uow)
    e = event()
    await record(uow, e)
    await claim(uow, endpoint)
    await settle(uow, failed(endpoint, e, NOW + 1))
    async with uow() as tx:
        [d] = await tx.webhooks.deliveries(endpoint.id)
        assert await tx.webhooks.pending_counts() == {}
    assert (d.state, d.attempts, d.last_status, d.last_error) == ("failed", 1, None, "timed out")
    assert d.delivered_at is None
    assert await claim(uow, endpoint, now=NOW + 10 * HOLD) == []


async def test_an_endpoint_knows_when_its_failures_began(uow: UnitOfWorkFactory) -> None:
    endpoint = await add_endpoint(uow)
    events = [event(subject=None) for _ in range(3)]
    await record(uow, *events)
    await claim(uow, endpoint)
    await settle(uow, retried(endpoint, events[0], NOW + 1, again=NOW + 5))
    await settle(uow, failed(endpoint, events[1], NOW + 2))
    async with uow() as tx:
        found = await tx.webhooks.endpoint(endpoint.id)
    assert found is not None
    assert found.failing_since == NOW + 1  # the first failure, not the latest
    await settle(uow, delivered(endpoint, events[2], NOW + 3))
    async with uow() as tx:
        found = await tx.webhooks.endpoint(endpoint.id)
    assert found is not None
    assert found.failing_since is None


async def test_a_batch_of_outcomes_is_taken_in_its_order(uow: UnitOfWorkFactory) -> None:
    endpoint = await add_endpoint(uow)
    events = [event(subject=None) for _ in range(5)]
    await record(uow, *events)
    await claim(uow, endpoint)
    await settle(uow, failed(endpoint, events[0], NOW + 1), delivered(endpoint, events[1]))
    async with uow() as tx:
        found = await tx.webhooks.endpoint(endpoint.id)
    assert found is not None
    assert found.failing_since is None
    await settle(
        uow,
        failed(endpoint, events[2], NOW + 2),
        delivered(endpoint, events[3], NOW + 3),
        retried(endpoint, events[4], NOW + 4, again=NOW + 10),
    )
    async with uow() as tx:
        found = await tx.webhooks.endpoint(endpoint.id)
    assert found is not None
    assert found.failing_since == NOW + 4


async def test_deliveries_are_listed_newest_first(uow: UnitOfWorkFactory) -> None:
    endpoint = await add_endpoint(uow)
    other = await add_endpoint(uow, url="https://b")
    events = [event(subject=None) for _ in range(4)]
    await record(uow, *events)
    await claim(uow, endpoint)
    await settle(
        uow,
        delivered(endpoint, events[0]),
        retried(endpoint, events[1], again=NOW + 5),
        failed(endpoint, events[2]),
    )
    async with uow() as tx:
        listed = await tx.webhooks.deliveries(endpoint.id)
        assert [d.event.id for d in await tx.webhooks.deliveries(endpoint.id, limit=2)] == [
            events[3].id,
            events[2].id,
        ]
        assert len(await tx.webhooks.deliveries(other.id)) == 4
    assert [d.event.id for d in listed] == [e.id for e in reversed(events)]
    assert [(d.state, d.last_status, d.last_error) for d in listed] == [
        ("pending", None, None),
        ("failed", None, "timed out"),
        ("pending", 503, "HTTP 503"),
        ("delivered", 200, None),
    ]
    assert {d.endpoint_id for d in listed} == {endpoint.id}


async def test_a_retry_sends_a_delivery_again_now(uow: UnitOfWorkFactory) -> None:
    endpoint = await add_endpoint(uow)
    sent, dead = event(subject=None), event(subject=None)
    await record(uow, sent, dead)
    await claim(uow, endpoint)
    await settle(uow, delivered(endpoint, sent), failed(endpoint, dead))
    async with uow() as tx:
        assert await tx.webhooks.retry(endpoint.id, sent.id, now=NOW + 100)
        assert await tx.webhooks.retry(endpoint.id, dead.id, now=NOW + 100)
        assert not await tx.webhooks.retry(endpoint.id, "msg_none", now=NOW + 100)
        assert not await tx.webhooks.retry(endpoint.id + 1, sent.id, now=NOW + 100)
        assert await tx.webhooks.pending_counts() == {endpoint.id: 2}
        listed = await tx.webhooks.deliveries(endpoint.id)
    assert {(d.state, d.available_at, d.lease_owner) for d in listed} == {
        ("pending", NOW + 100, None)
    }
    assert await claim(uow, endpoint, now=NOW + 100) == [sent.id, dead.id]
    # a retry also takes a delivery back from a claimer that holds it
    async with uow() as tx:
        assert await tx.webhooks.retry(endpoint.id, sent.id, now=NOW + 101)
    assert await settle(uow, delivered(endpoint, sent)) == []
    assert await claim(uow, endpoint, owner="w2", now=NOW + 101) == [sent.id]


async def test_pending_deliveries_are_counted_by_endpoint(uow: UnitOfWorkFactory) -> None:
    one = await add_endpoint(uow, ["account.linked", "chat.paused"])
    two = await add_endpoint(uow, ["chat.paused"], url="https://b")
    done = event()
    await record(uow, done, event(), event("chat.paused"))
    async with uow() as tx:
        assert await tx.webhooks.pending_counts() == {one.id: 3, two.id: 1}
    await claim(uow, one, limit=1)
    await settle(uow, delivered(one, done))
    async with uow() as tx:
        assert await tx.webhooks.pending_counts() == {one.id: 2, two.id: 1}


async def test_deleting_an_endpoint_deletes_its_deliveries(uow: UnitOfWorkFactory) -> None:
    kept = await add_endpoint(uow, url="https://b")
    gone = await add_endpoint(uow)
    e = event()
    await record(uow, e)
    async with uow() as tx:
        assert await tx.webhooks.delete_endpoint(gone.id)
        assert not await tx.webhooks.delete_endpoint(gone.id)
        assert await tx.webhooks.endpoint(gone.id) is None
        assert await tx.webhooks.deliveries(gone.id) == []
        assert await tx.webhooks.pending_counts() == {kept.id: 1}
        assert not await tx.webhooks.retry(gone.id, e.id, now=NOW)
        assert [x.id for x in await tx.webhooks.endpoints()] == [kept.id]
    assert await claim(uow, gone) == []
    # an endpoint's id is never given again, not even the highest's
    again = await add_endpoint(uow, url="https://c")
    assert again.id > gone.id


async def test_an_endpoint_keeps_every_field(uow: UnitOfWorkFactory) -> None:
    first = await add_endpoint(uow, ["account.linked", "chat.paused"])
    second = await add_endpoint(uow, url="https://b/hook?x=1")
    assert first.id != second.id
    assert (first.url, first.events, first.secret) == (
        "https://a",
        ("account.linked", "chat.paused"),
        "whsec_one",
    )
    assert (first.description, first.created_at, first.enabled) == ("site", NOW, True)
    assert (first.previous_secret, first.previous_secret_until, first.failing_since) == (
        None,
        0.0,
        None,
    )
    changed = dataclasses.replace(
        first,
        url="https://c",
        events=("chat.resumed",),
        secret="whsec_two",
        description="changed",
        enabled=False,
        disabled_reason="410 Gone",
        previous_secret="whsec_one",
        previous_secret_until=NOW + 86400,
        failing_since=NOW - 5,
    )
    async with uow() as tx:
        await tx.webhooks.save_endpoint(changed)
        # a disabled endpoint hears nothing and is never due
        assert await tx.webhooks.record(event("chat.resumed"), now=NOW) == 0
    async with uow() as tx:
        assert await tx.webhooks.endpoint(first.id) == changed
        assert await tx.webhooks.endpoint(second.id) == second
        assert await tx.webhooks.endpoint(second.id + 100) is None
        assert await tx.webhooks.endpoints() == [changed, second]


async def test_a_long_reason_for_disabling_is_cut_to_fit(uow: UnitOfWorkFactory) -> None:
    endpoint = await add_endpoint(uow)
    async with uow() as tx:
        await tx.webhooks.save_endpoint(
            dataclasses.replace(endpoint, enabled=False, disabled_reason="é" * 1000)
        )
    async with uow() as tx:
        found = await tx.webhooks.endpoint(endpoint.id)
    assert found is not None
    assert found.disabled_reason == "é" * 255


async def test_a_disabled_endpoint_is_never_due(uow: UnitOfWorkFactory) -> None:
    endpoint = await add_endpoint(uow)
    await record(uow, event())
    async with uow() as tx:
        await tx.webhooks.save_endpoint(dataclasses.replace(endpoint, enabled=False))
        assert await tx.webhooks.due_endpoints(now=NOW) == []
        assert await tx.webhooks.pending_counts() == {endpoint.id: 1}


async def test_two_claimers_at_once_never_share_a_delivery(tmp_path: Path) -> None:
    async for engine in sql_engine("postgres", tmp_path):
        uow: UnitOfWorkFactory = lambda bound=engine: SqlUnitOfWork(bound)  # noqa: E731
        endpoint = await add_endpoint(uow)
        first, later = event(subject="user:1"), event(subject="user:1")
        others = [event(subject=None) for _ in range(12)]
        await record(uow, first, later, *others)
        async with uow() as a:
            mine = await a.webhooks.claim(
                endpoint.id, owner="a", now=NOW, lease=LEASE, limit=4, order_hold=HOLD
            )
            async with uow() as b:
                # a's rows are locked and not yet leased in b's view: b skips them, never waits
                theirs = await asyncio.wait_for(
                    b.webhooks.claim(
                        endpoint.id, owner="b", now=NOW, lease=LEASE, limit=100, order_hold=HOLD
                    ),
                    timeout=30,
                )
        assert [d.event.id for d in mine] == [first.id, *(e.id for e in others[:3])]
        # the later delivery about user:1 waits for the first, which a holds
        assert [d.event.id for d in theirs] == [e.id for e in others[3:]]
        assert await claim(uow, endpoint, owner="c") == []
        # many claimers at once, each in its own transaction: every delivery goes to one
        more = [event(subject=None) for _ in range(40)]
        await record(uow, *more, now=NOW + 2 * LEASE)
        batches = await asyncio.gather(
            *(claim(uow, endpoint, owner=f"w{n}", now=NOW + 2 * LEASE, limit=3) for n in range(20))
        )
        taken = [event_id for batch in batches for event_id in batch]
        assert len(taken) == len(set(taken))
        assert set(taken) <= {e.id for e in [first, later, *others, *more]}
        assert len(taken) == min(60, 1 + len(others) + len(more))


async def test_old_events_are_pruned_once_nothing_of_them_is_pending(
    uow: UnitOfWorkFactory,
) -> None:
    one = await add_endpoint(uow)
    two = await add_endpoint(uow, url="https://b")
    sent, gave_up, half_done, pending, recent = (event() for _ in range(5))
    await record(uow, sent, gave_up, half_done, pending, recent)
    assert len(await claim(uow, one)) == 5
    assert len(await claim(uow, two)) == 5
    await settle(uow, delivered(one, sent), failed(one, gave_up), delivered(one, half_done))
    await settle(uow, delivered(two, sent), failed(two, gave_up), delivered(two, recent))
    await settle(uow, delivered(one, recent))
    # half_done is still pending for two; pending for both
    cutoff = recent.occurred_at  # recent is not older than it
    async with uow() as tx:
        assert await tx.webhooks.prune(before=cutoff, limit=1) == 1
        assert await tx.webhooks.prune(before=cutoff, limit=100) == 1
        assert await tx.webhooks.prune(before=cutoff, limit=100) == 0
        for endpoint in (one, two):
            left = {d.event.id for d in await tx.webhooks.deliveries(endpoint.id)}
            assert left == {half_done.id, pending.id, recent.id}
        # what is gone cannot be retried; what is left can
        assert not await tx.webhooks.retry(one.id, sent.id, now=NOW + 10)
        assert await tx.webhooks.retry(one.id, half_done.id, now=NOW + 10)
        assert await tx.webhooks.pending_counts() == {one.id: 2, two.id: 2}
