"""Events announced exactly when the thing happened, with several workers at once: a sender
whose lease ran out tells nothing of the row another took over, a broadcast whose last two
messages two workers settle together is completed once, and a join told by both the approval
and Telegram's update is announced once. The races are forced with a barrier that holds each
transaction at the worst moment; the concurrent ones run on PostgreSQL (READ COMMITTED),
where SQLite's single writer could not interleave them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.harness.fakes import RecordingTelegram
from tests.harness.site import BACKENDS, backend_settings, built, site_settings
from tgpass.bootstrap import Services
from tgpass.domain.accounts import TelegramProfile, User
from tgpass.domain.delivery import OutgoingMessage, Settlement
from tgpass.domain.gating import Chat, MemberStatus
from tgpass.domain.webhooks import Event
from tgpass.errors import RecipientUnavailable
from tgpass.service.notify import Audience
from tgpass.service.notify.sender import Sender
from tgpass.store.sql import SqlUnitOfWork
from tgpass.store.sql.gating import SqlMembers
from tgpass.store.sql.outbox import SqlOutbox

CHAT = -1_001_234_567_890


class TakenOver(RecordingTelegram):
    """Runs ``meanwhile`` inside the next send, before it goes out (another worker taking
    the row over); with ``refuse``, that send then finds the bot blocked."""

    def __init__(self) -> None:
        super().__init__()
        self.meanwhile: Callable[[], Awaitable[object]] | None = None
        self.refuse = False

    async def send(self, chat_id: int, message: OutgoingMessage, *, paid: bool = False) -> int:
        hook, self.meanwhile = self.meanwhile, None
        if hook is not None:
            await hook()
            if self.refuse:
                raise RecipientUnavailable("Forbidden: bot was blocked by the user")
        return await super().send(chat_id, message, paid=paid)


@asynccontextmanager
async def site(kind: str, tmp_path: Path) -> AsyncIterator[Services]:
    async with (
        backend_settings(kind, tmp_path) as base,
        built(site_settings(base), telegram=TakenOver()) as services,
    ):
        yield services


async def linked_user(services: Services, n: int) -> User:
    profile = TelegramProfile(telegram_id=5_000_000_000 + n, first_name=f"U{n}")
    async with services.uow() as tx:
        user = await tx.accounts.create_user(display_name=f"U{n}", site_user_id=f"u-{n}")
        await tx.accounts.link_telegram(user.id, profile, chat_id=profile.telegram_id)
    return user


async def events(services: Services, endpoint_id: int) -> list[Event]:
    async with services.uow() as tx:
        deliveries = await tx.webhooks.deliveries(endpoint_id, limit=1000)
    return [d.event for d in reversed(deliveries)]


def another_sender(services: Services, *, uow: Callable[[], SqlUnitOfWork] | None = None) -> Sender:
    """A second worker, as the composition root builds the first, whose clock is past the
    first's lease."""
    first = services.sender
    ahead = first.config.lease + 60
    return Sender(
        uow or services.uow,
        services.telegram,
        services.pacer,
        services.metrics,
        first.config,
        clock=lambda: time.time() + ahead,
        policy=first.policy,
        events=first.events,
        announcements=first.announcements,
    )


# -- a lease lost before the flush ------------------------------------------------------------


@pytest.mark.parametrize("kind", BACKENDS)
async def test_a_row_taken_over_is_told_by_its_new_claimer_alone(kind: str, tmp_path: Path) -> None:
    async with site(kind, tmp_path) as services:
        endpoint = await services.webhooks.add("https://site.example/events")
        user = await linked_user(services, 1)
        accepted = await services.notifications.send(user, OutgoingMessage("Shipped", None))
        later = another_sender(services)
        telegram = services.telegram
        assert isinstance(telegram, TakenOver)
        telegram.meanwhile = later.send_due  # the first's send stalls past its lease
        assert await services.sender.send_due() == 1
        [told] = await events(services, endpoint.id)
        assert len(telegram.sent) == 2  # sent twice: a lost lease cannot prevent it
        async with services.uow() as tx:
            [row] = await tx.outbox.recent(user.id)
        assert (row.state, row.message_id, row.lease_owner) == ("sent", 1, later.owner)
        assert told.type == "notification.delivered"
        assert told.data["notification_id"] == accepted.id
        assert told.data["message_id"] == 1  # the recorded send, not the one after it


@pytest.mark.parametrize("kind", BACKENDS)
async def test_a_blocked_bot_found_by_a_sender_whose_lease_ran_out_is_not_recorded(
    kind: str, tmp_path: Path
) -> None:
    async with site(kind, tmp_path) as services:
        endpoint = await services.webhooks.add("https://site.example/events")
        user = await linked_user(services, 1)
        await services.notifications.send(user, OutgoingMessage("Shipped", None))
        telegram = services.telegram
        assert isinstance(telegram, TakenOver)
        telegram.meanwhile = another_sender(services).send_due
        telegram.refuse = True  # the stale send fails; the new claimer's went through
        await services.sender.send_due()
        assert [e.type for e in await events(services, endpoint.id)] == ["notification.delivered"]
        async with services.uow() as tx:
            link = await tx.accounts.telegram_link(user_id=user.id)
        assert link is not None and not link.bot_blocked


# -- concurrent transactions on PostgreSQL ----------------------------------------------------


class Meeting:
    """Holds each of ``parties`` transactions at one point until all have reached it."""

    def __init__(self, parties: int) -> None:
        self.barrier = asyncio.Barrier(parties)

    async def wait(self) -> None:
        async with asyncio.timeout(20):
            await self.barrier.wait()


class SettleThenMeet(SqlOutbox):
    def __init__(self, outbox: SqlOutbox, meeting: Meeting) -> None:
        super().__init__(outbox.db)
        self.meeting = meeting

    async def settle(
        self, settlements: Sequence[Settlement], *, owner: str, now: float
    ) -> list[Settlement]:
        applied = await super().settle(settlements, owner=owner, now=now)
        await self.meeting.wait()  # both settled, neither committed
        return applied


class MeetThenRecord(SqlMembers):
    def __init__(self, members: SqlMembers, meeting: Meeting) -> None:
        super().__init__(members.db)
        self.meeting = meeting

    async def record(
        self,
        chat_id: int,
        telegram_id: int,
        status: MemberStatus,
        *,
        now: float,
        user_id: int | None = None,
        unless_gone_since: float | None = None,
    ) -> MemberStatus | None:
        await self.meeting.wait()  # both read what they could before, neither wrote
        return await super().record(
            chat_id,
            telegram_id,
            status,
            now=now,
            user_id=user_id,
            unless_gone_since=unless_gone_since,
        )


def meeting_uow(engine: AsyncEngine, meeting: Meeting) -> Callable[[], SqlUnitOfWork]:
    class Met(SqlUnitOfWork):
        async def _begin(self) -> None:
            await super()._begin()
            assert isinstance(self.outbox, SqlOutbox) and isinstance(self.members, SqlMembers)
            self.outbox = SettleThenMeet(self.outbox, meeting)
            self.members = MeetThenRecord(self.members, meeting)

    return lambda: Met(engine)


@pytest.fixture
async def postgres(tmp_path: Path) -> AsyncIterator[Services]:
    async with site("postgres+redis", tmp_path) as services:
        yield services


async def test_a_broadcast_settled_by_two_workers_at_once_completes_once(
    postgres: Services,
) -> None:
    services = postgres
    assert services.engine is not None
    endpoint = await services.webhooks.add("https://site.example/events")
    for n in (1, 2):
        await linked_user(services, n)
    accepted = await services.notifications.broadcast(OutgoingMessage("News", None), Audience())
    assert accepted.recipients == 2
    uow = meeting_uow(services.engine, Meeting(2))
    first, second = another_sender(services, uow=uow), another_sender(services, uow=uow)
    # one message each; each flush settles its own, then waits for the other's settle
    assert await asyncio.gather(first.send_due(limit=1), second.send_due(limit=1)) == [1, 1]
    told = await events(services, endpoint.id)
    assert [e.type for e in told] == ["broadcast.completed"]
    assert told[0].data == {
        "notification_id": accepted.id,
        "recipients": 2,
        "delivered": 2,
        "failed": 0,
        "unreachable": 0,
    }


@pytest.mark.parametrize("before", [None, "left"])
async def test_a_join_told_twice_at_once_is_announced_once(
    postgres: Services, before: MemberStatus | None
) -> None:
    services = postgres
    assert services.engine is not None
    endpoint = await services.webhooks.add("https://site.example/events")
    user = await linked_user(services, 1)
    telegram_id = 5_000_000_001
    async with services.uow() as tx:
        await tx.chats.upsert_chat(Chat(CHAT, "Club", "supergroup"))
        if before is not None:
            await tx.members.record(CHAT, telegram_id, before, now=time.time())
    uow = meeting_uow(services.engine, Meeting(2))
    effects = services.gating.effects

    async def told(user_id: int | None) -> None:
        # the join request's approval (which knows the account) and Telegram's update
        async with uow() as tx:
            await effects.record_member(tx, CHAT, telegram_id, "member", user_id=user_id)

    await asyncio.gather(told(user.id), told(None))
    joined = await events(services, endpoint.id)
    assert [e.type for e in joined] == ["chat.member_joined"]
    assert joined[0].data["user_id"] == user.id
    async with services.uow() as tx:
        member = (await tx.members.of_account(telegram_id))[CHAT]
    assert (member.status, member.user_id) == ("member", user.id)


async def test_an_approval_recorded_after_a_newer_removal_is_not_announced(
    postgres: Services,
) -> None:
    """The bot approved a join; before it wrote that down, Telegram told of the join and the
    reconciler removed them again. The late approval must not put them back in, nor tell the
    site they joined a second time."""
    services = postgres
    endpoint = await services.webhooks.add("https://site.example/events")
    user = await linked_user(services, 1)
    telegram_id = 5_000_000_001
    effects = services.gating.effects
    async with services.uow() as tx:
        await tx.chats.upsert_chat(Chat(CHAT, "Club", "supergroup"))
    asked_at = effects.clock() - 1  # when the approval went to Telegram
    for status in ("member", "kicked"):  # Telegram's news of the join, then the removal
        async with services.uow() as tx:
            await effects.record_member(tx, CHAT, telegram_id, status)
    async with services.uow() as tx:  # the approval's own record, last
        await effects.record_member(
            tx, CHAT, telegram_id, "member", user_id=user.id, unless_gone_since=asked_at
        )
    told = await events(services, endpoint.id)
    assert [e.type for e in told] == ["chat.member_joined"]  # once, for Telegram's news
    async with services.uow() as tx:
        assert (await tx.members.of_account(telegram_id))[CHAT].status == "kicked"
