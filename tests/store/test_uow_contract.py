"""One contract for the unit of work and its repositories, on memory, SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest

from tgpass.domain.accounts import TelegramProfile
from tgpass.domain.delivery import NewMessage, OutgoingMessage, Settlement
from tgpass.errors import Conflict
from tgpass.service.uow import Consent, Notification, StoredAnswer, UnitOfWorkFactory

NOW = 1_800_000_000.0
HOUR = 3600.0


def message(text: str = "hello") -> OutgoingMessage:
    return OutgoingMessage(text)


async def queue(uow: UnitOfWorkFactory, count: int, **fields: object) -> list[int]:
    async with uow() as tx:
        return await tx.outbox.add(
            [NewMessage(1000 + n, message(f"m{n}"), **fields) for n in range(count)],  # type: ignore[arg-type]
            now=NOW,
            deadline=NOW + HOUR,
        )


async def test_a_failed_block_changes_nothing(uow: UnitOfWorkFactory) -> None:
    committed: list[str] = []

    async def fail_midway() -> None:
        async with uow() as tx:
            tx.after_commit(lambda: committed.append("no"))
            user = await tx.accounts.create_user(display_name="Gone", username="gone")
            await tx.outbox.add([NewMessage(1, message())], now=NOW, deadline=NOW + HOUR)
            assert await tx.accounts.get_user(user.id) is not None  # visible inside
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await fail_midway()
    async with uow() as tx:
        tx.after_commit(lambda: committed.append("yes"))
        assert await tx.accounts.find_user(username="gone") is None
        assert sum((await tx.outbox.counts()).values()) == 0
    assert committed == ["yes"]


async def test_a_conflict_inside_a_transaction_can_be_carried_on(uow: UnitOfWorkFactory) -> None:
    async with uow() as tx:
        await tx.accounts.create_user(display_name="A", site_user_id="s-1")
    async with uow() as tx:
        with pytest.raises(Conflict):
            await tx.accounts.create_user(display_name="B", site_user_id="s-1")
        found = await tx.accounts.find_user(site_user_id="s-1")
        assert found is not None
        await tx.accounts.update_user(found.id, karma=5)
    async with uow() as tx:
        again = await tx.accounts.find_user(site_user_id="s-1")
        assert again is not None
        assert again.karma == 5


async def test_claims_take_due_rows_oldest_first_and_hold_them(uow: UnitOfWorkFactory) -> None:
    ids = await queue(uow, 5)
    async with uow() as tx:
        first = await tx.outbox.claim(owner="w1", now=NOW, lease=60, limit=3)
    assert [i.id for i in first] == ids[:3]
    assert all(i.state == "sending" for i in first)
    assert first[0].message == message("m0")
    async with uow() as tx:
        rest = await tx.outbox.claim(owner="w2", now=NOW + 1, lease=60, limit=10)
        assert [i.id for i in rest] == ids[3:]
        assert await tx.outbox.claim(owner="w2", now=NOW + 59, lease=60, limit=10) == []
        # a dead worker's lease runs out: its rows are claimable again
        again = await tx.outbox.claim(owner="w3", now=NOW + 60.5, lease=60, limit=10)
    assert [i.id for i in again] == ids[:3]


async def test_claims_can_name_rows(uow: UnitOfWorkFactory) -> None:
    ids = await queue(uow, 3)
    async with uow() as tx:
        taken = await tx.outbox.claim(owner="w", now=NOW, lease=60, limit=10, ids=[ids[1]])
    assert [i.id for i in taken] == [ids[1]]


async def test_settlements_move_rows_and_count_attempts(uow: UnitOfWorkFactory) -> None:
    ids = await queue(uow, 4, notification_id="n1", user_id=7)
    settlements = [
        Settlement(ids[0], "sent", message_id=42, available_at=NOW),
        Settlement(ids[1], "unreachable", error="Forbidden: blocked", available_at=NOW),
        Settlement(ids[2], "queued", attempted=False, error="429", available_at=NOW + 5),
        Settlement(ids[3], "queued", error="502", available_at=NOW + 2, chat_id=-100),
    ]
    async with uow() as tx:
        await tx.outbox.claim(owner="w", now=NOW, lease=60, limit=10)
        assert await tx.outbox.settle(settlements, owner="w", now=NOW) == settlements
    async with uow() as tx:
        sent = await tx.outbox.get(ids[0])
        paused = await tx.outbox.get(ids[2])
        moved = await tx.outbox.get(ids[3])
        counts = await tx.outbox.counts("n1")
        assert await tx.outbox.claim(owner="w", now=NOW + 1, lease=60, limit=10) == []
        retried = await tx.outbox.claim(owner="w", now=NOW + 5, lease=60, limit=10)
    assert sent is not None and (sent.state, sent.message_id, sent.attempts) == ("sent", 42, 1)
    assert sent.finished_at == NOW
    assert paused is not None and (paused.attempts, paused.last_error) == (0, "429")
    assert moved is not None and (moved.chat_id, moved.attempts) == (-100, 1)
    assert counts == {"queued": 2, "sending": 0, "sent": 1, "failed": 0, "unreachable": 1}
    assert sorted(i.id for i in retried) == [ids[2], ids[3]]


async def test_a_settled_row_is_not_overwritten_by_a_late_settlement(
    uow: UnitOfWorkFactory,
) -> None:
    [item_id] = await queue(uow, 1)
    async with uow() as tx:
        await tx.outbox.claim(owner="w", now=NOW, lease=60, limit=1)
        sent = Settlement(item_id, "sent", message_id=1)
        late = Settlement(item_id, "queued", error="late")
        assert await tx.outbox.settle([sent], owner="w", now=NOW) == [sent]
        assert await tx.outbox.settle([late], owner="w", now=NOW) == []
        item = await tx.outbox.get(item_id)
    assert item is not None and item.state == "sent"


async def test_a_row_named_twice_in_one_batch_is_settled_by_the_first(
    uow: UnitOfWorkFactory,
) -> None:
    [item_id] = await queue(uow, 1)
    first = Settlement(item_id, "queued", error="502", available_at=NOW + 5)
    second = Settlement(item_id, "sent", message_id=3)
    async with uow() as tx:
        await tx.outbox.claim(owner="w", now=NOW, lease=60, limit=1)
        assert await tx.outbox.settle([first, second], owner="w", now=NOW) == [first]
        item = await tx.outbox.get(item_id)
    assert item is not None and (item.state, item.last_error) == ("queued", "502")


async def test_dead_letters_are_listed_and_requeued(uow: UnitOfWorkFactory) -> None:
    ids = await queue(uow, 3, user_id=9)
    async with uow() as tx:
        await tx.outbox.claim(owner="w", now=NOW, lease=60, limit=10)
        await tx.outbox.settle(
            [Settlement(i, "failed", error="chat not found") for i in ids[:2]], owner="w", now=NOW
        )
        assert [i.id for i in await tx.outbox.dead()] == [ids[1], ids[0]]
        assert [i.id for i in await tx.outbox.recent(9, limit=2)] == [ids[2], ids[1]]
        assert await tx.outbox.requeue([ids[0]], now=NOW + 10, deadline=NOW + HOUR) == 1
        assert await tx.outbox.requeue(None, now=NOW + 10, deadline=NOW + HOUR) == 1
        assert await tx.outbox.dead() == []
        counts = await tx.outbox.counts()
    assert counts["queued"] == 2


async def test_rows_may_start_final(uow: UnitOfWorkFactory) -> None:
    async with uow() as tx:
        [item_id] = await tx.outbox.add(
            [NewMessage(5, message(), notification_id="b", state="unreachable", last_error="x")],
            now=NOW,
            deadline=NOW,
        )
        assert await tx.outbox.claim(owner="w", now=NOW, lease=60, limit=10) == []
        assert (await tx.outbox.counts("b"))["unreachable"] == 1
        assert [i.id for i in await tx.outbox.of_notification("b")] == [item_id]


@pytest.mark.parametrize("expired", [False, True])
async def test_concurrent_claimers_never_share_a_row(uow: UnitOfWorkFactory, expired: bool) -> None:
    await queue(uow, 120)
    now = NOW
    if expired:  # a dead worker's rows, its lease over: taken over by the others
        async with uow() as tx:
            await tx.outbox.claim(owner="dead", now=NOW, lease=10, limit=120)
        now = NOW + 11
    sizes: list[int] = []

    async def claimer(name: str) -> list[int]:
        taken: list[int] = []
        while True:
            async with uow() as tx:
                batch = await tx.outbox.claim(owner=name, now=now, lease=60, limit=7)
            if not batch:
                return taken
            sizes.append(len(batch))
            taken.extend(i.id for i in batch)
            await asyncio.sleep(0)

    results = await asyncio.gather(*(claimer(f"w{n}") for n in range(6)))
    every = [i for taken in results for i in taken]
    assert len(every) == 120
    assert len(set(every)) == 120
    assert max(sizes) <= 7  # none took more than it asked for


async def test_one_live_code_per_account(uow: UnitOfWorkFactory) -> None:
    async with uow() as tx:
        user = await tx.accounts.create_user(display_name="C")
        await tx.links.put_code(user.id, "h1", expires_at=NOW + 60)
        await tx.links.put_code(user.id, "h2", expires_at=NOW + 120)  # replaces h1
        assert await tx.links.pending_code(user.id, now=NOW) == NOW + 120
        assert await tx.links.take_code("h1", now=NOW) is None
        assert await tx.links.take_code("h2", now=NOW) == user.id
        assert await tx.links.take_code("h2", now=NOW) is None
        assert await tx.links.pending_code(user.id, now=NOW) is None
        await tx.links.put_code(user.id, "h3", expires_at=NOW + 60)
        assert await tx.links.take_code("h3", now=NOW + 61) is None  # expired
        await tx.links.put_code(user.id, "h4", expires_at=NOW + 60)
        assert await tx.links.cancel_code(user.id)
        assert not await tx.links.cancel_code(user.id)
        assert await tx.links.take_code("h4", now=NOW) is None


async def test_a_code_is_taken_once_under_concurrency(uow: UnitOfWorkFactory) -> None:
    async with uow() as tx:
        user = await tx.accounts.create_user(display_name="R")
        await tx.links.put_code(user.id, "race", expires_at=NOW + 60)

    async def take() -> int | None:
        async with uow() as tx:
            return await tx.links.take_code("race", now=NOW)

    results = await asyncio.gather(*(take() for _ in range(20)))
    assert [r for r in results if r is not None] == [user.id]


async def test_only_the_owner_consumes_a_consent(uow: UnitOfWorkFactory) -> None:
    async with uow() as tx:
        user = await tx.accounts.create_user(display_name="K")
        consent = Consent(user.id, chat_id=555)
        await tx.links.put_consent("t1", consent, telegram_id=555, expires_at=NOW + 60)
        assert await tx.links.take_consent("t1", telegram_id=999, now=NOW) is None
        assert await tx.links.take_consent("t1", telegram_id=555, now=NOW) == consent
        assert await tx.links.take_consent("t1", telegram_id=555, now=NOW) is None
        await tx.links.put_consent("t2", consent, telegram_id=555, expires_at=NOW + 60)
        assert await tx.links.take_consent("t2", telegram_id=555, now=NOW + 61) is None


async def test_updates_are_claimed_once_and_failures_kept(uow: UnitOfWorkFactory) -> None:
    async with uow() as tx:
        assert await tx.updates.claim(1, 10, now=NOW)
        assert not await tx.updates.claim(1, 10, now=NOW)
        assert await tx.updates.claim(2, 10, now=NOW)  # another bot's update 10
    async with uow() as tx:
        await tx.updates.fail(1, 11, error="boom", payload='{"update_id": 11}', now=NOW)
        await tx.updates.fail(1, 10, error="late", payload=None, now=NOW + 1)
        failed = await tx.updates.failed()
        assert [(f.update_id, f.error) for f in failed] == [(10, "late"), (11, "boom")]
        assert failed[1].payload == '{"update_id": 11}'
        await tx.updates.forget(1, 11)
        assert await tx.updates.claim(1, 11, now=NOW)
        # a dead letter does not block its update's redelivery, and leaves the list then
        await tx.updates.fail(1, 12, error="boom", payload=None, now=NOW)
        assert await tx.updates.claim(1, 12, now=NOW)
        assert not await tx.updates.claim(1, 12, now=NOW)
        assert [f.update_id for f in await tx.updates.failed()] == [10]


async def test_concurrent_claims_of_one_update_give_one_handler(uow: UnitOfWorkFactory) -> None:
    async def claim() -> bool:
        async with uow() as tx:
            return await tx.updates.claim(7, 77, now=NOW)

    assert sorted(await asyncio.gather(*(claim() for _ in range(10)))) == [False] * 9 + [True]


async def test_notifications_and_idempotent_answers(uow: UnitOfWorkFactory) -> None:
    note = Notification("ntf_1", "broadcast", 3, '{"text": "hi"}', NOW)
    async with uow() as tx:
        await tx.notifications.add(note)
        assert await tx.notifications.get("ntf_1") == note
        assert await tx.notifications.get("ntf_2") is None
        answer = StoredAnswer("req-hash", 202, '{"id": "ntf_1"}')
        assert await tx.notifications.answer_for("key") is None
        assert await tx.notifications.remember("key", answer, now=NOW)
        assert not await tx.notifications.remember("key", StoredAnswer("x", 202, "{}"), now=NOW)
        assert await tx.notifications.answer_for("key") == answer


async def test_a_notification_is_completed_once_when_nothing_is_left_to_send(
    uow: UnitOfWorkFactory,
) -> None:
    async with uow() as tx:
        await tx.notifications.add(Notification("ntf_b", "broadcast", 2, "{}", NOW))
        assert not await tx.notifications.complete("ntf_none", now=NOW)
    ids = await queue(uow, 2, notification_id="ntf_b")
    async with uow() as tx:
        await tx.outbox.claim(owner="w", now=NOW, lease=60, limit=10)
        await tx.outbox.settle([Settlement(ids[0], "sent", message_id=1)], owner="w", now=NOW)
        assert not await tx.notifications.complete("ntf_b", now=NOW)  # one still sending
        await tx.outbox.settle([Settlement(ids[1], "failed", error="x")], owner="w", now=NOW)
        assert await tx.notifications.complete("ntf_b", now=NOW + 1)
        assert not await tx.notifications.complete("ntf_b", now=NOW + 2)  # once
    async with uow() as tx:
        found = await tx.notifications.get("ntf_b")
        assert found is not None and found.completed_at == NOW + 1
        # a dead letter retried and settled again does not complete it a second time
        assert await tx.outbox.requeue(None, now=NOW, deadline=NOW + HOUR) == 1
        await tx.outbox.claim(owner="w", now=NOW, lease=60, limit=10)
        await tx.outbox.settle([Settlement(ids[1], "sent", message_id=2)], owner="w", now=NOW)
        assert not await tx.notifications.complete("ntf_b", now=NOW + 3)


async def test_accounts_and_links_commit_together(uow: UnitOfWorkFactory) -> None:
    profile = TelegramProfile(telegram_id=2**40, first_name="Ann")
    async with uow() as tx:
        user = await tx.accounts.create_user(display_name="Ann")
        await tx.accounts.link_telegram(user.id, profile, chat_id=2**40)
        await tx.outbox.add([NewMessage(2**40, message("Linked!"))], now=NOW, deadline=NOW)
    async with uow() as tx:
        link = await tx.accounts.telegram_link(user_id=user.id)
        assert link is not None and link.chat_id == 2**40
        assert (await tx.outbox.counts())["queued"] == 1


async def test_only_the_current_lease_holder_settles_a_row(uow: UnitOfWorkFactory) -> None:
    [item_id] = await queue(uow, 1)
    async with uow() as tx:
        await tx.outbox.claim(owner="slow", now=NOW, lease=10, limit=1)
        # the lease ran out; another worker took the row over
        [taken] = await tx.outbox.claim(owner="fresh", now=NOW + 11, lease=10, limit=1)
        assert taken.lease_owner == "fresh"
        late = Settlement(item_id, "sent", message_id=8)
        assert await tx.outbox.settle([late], owner="slow", now=NOW) == []
        still = await tx.outbox.get(item_id)
        assert still is not None and (still.state, still.lease_owner) == ("sending", "fresh")
        fresh = Settlement(item_id, "sent", message_id=9)
        assert await tx.outbox.settle([fresh], owner="fresh", now=NOW) == [fresh]
        done = await tx.outbox.get(item_id)
    assert done is not None and (done.state, done.message_id) == ("sent", 9)


async def test_a_settle_tells_which_of_a_batch_applied(uow: UnitOfWorkFactory) -> None:
    ids = await queue(uow, 3)
    async with uow() as tx:
        await tx.outbox.claim(owner="slow", now=NOW, lease=10, limit=3)
        # the first row's lease ran out and another worker took it over
        await tx.outbox.claim(owner="fresh", now=NOW + 11, lease=10, limit=1, ids=[ids[0]])
    batch = [Settlement(i, "sent", message_id=i) for i in ids]
    async with uow() as tx:
        applied = await tx.outbox.settle(
            [*batch, Settlement(999_999, "sent")], owner="slow", now=NOW
        )
    assert applied == batch[1:]


async def test_a_claim_takes_no_more_than_its_limit(uow: UnitOfWorkFactory) -> None:
    ids = await queue(uow, 300)
    async with uow() as tx:
        [one] = await tx.outbox.claim(owner="w", now=NOW, lease=60, limit=1)
        three = await tx.outbox.claim(owner="w", now=NOW, lease=60, limit=3)
    assert one.id == ids[0]
    assert [i.id for i in three] == ids[1:4]
    async with uow() as tx:
        assert (await tx.outbox.counts())["sending"] == 4
