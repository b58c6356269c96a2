"""The contract of personal invite links, on memory, SQLite and PostgreSQL, through the unit
of work."""

from __future__ import annotations

import asyncio

import pytest

from tests.store.gated import BIG, GROUP, NOW, SUPER, invite
from tgpass.domain.gating import Invitation
from tgpass.errors import Conflict
from tgpass.service.uow import UnitOfWorkFactory


async def test_invites_are_live_until_used_revoked_or_expired(uow: UnitOfWorkFactory) -> None:
    chat = SUPER.chat_id
    async with uow() as tx:
        await tx.chats.upsert_chat(SUPER)
        for n in (1, 2, 3):
            await tx.invites.add(chat, invite(n), now=NOW)
        await tx.invites.add(chat, invite(4, expires=10), now=NOW)
    async with uow() as tx:
        assert await tx.invites.live(chat, now=NOW) == [invite(n) for n in (1, 2, 3)] + [
            invite(4, expires=10)
        ]
        assert await tx.invites.live(chat, now=NOW + 10) == [invite(n) for n in (1, 2, 3)]
        # only the Telegram account it was made for can use it, once
        assert await tx.invites.consume(chat, invite(1).link_hash, telegram_id=7, now=NOW) is None
        used = await tx.invites.consume(chat, invite(1).link_hash, telegram_id=BIG + 1, now=NOW)
        assert used == invite(1)
        again = await tx.invites.consume(chat, invite(1).link_hash, telegram_id=BIG + 1, now=NOW)
        assert again is None
        assert await tx.invites.revoke(chat, "gate-2", now=NOW)
        assert not await tx.invites.revoke(chat, "gate-2", now=NOW)
        assert not await tx.invites.revoke(chat, "gate-1", now=NOW)  # used, not live
        assert (
            await tx.invites.consume(chat, invite(2).link_hash, telegram_id=BIG + 2, now=NOW)
            is None
        )
        expired = invite(4).link_hash
        assert await tx.invites.consume(chat, expired, telegram_id=BIG + 4, now=NOW + 10) is None
        assert (
            await tx.invites.consume(-1, invite(3).link_hash, telegram_id=BIG + 3, now=NOW) is None
        )
        assert await tx.invites.live(chat, now=NOW) == [invite(3), invite(4, expires=10)]


async def test_an_invite_name_or_link_is_not_reused(uow: UnitOfWorkFactory) -> None:
    chat = SUPER.chat_id
    async with uow() as tx:
        await tx.chats.upsert_chat(SUPER)
        await tx.invites.add(chat, invite(1), now=NOW)
        with pytest.raises(Conflict):
            await tx.invites.add(chat, Invitation("gate-1", 2, 2, NOW + 1, "x"), now=NOW)
        with pytest.raises(Conflict):
            await tx.invites.add(chat, Invitation("other", 2, 2, NOW + 1, invite(1).link), now=NOW)
        # the transaction carries on after a clash
        await tx.invites.add(chat, invite(3), now=NOW)
    async with uow() as tx:
        assert [i.name for i in await tx.invites.live(chat, now=NOW)] == ["gate-1", "gate-3"]


async def test_two_transactions_racing_for_one_invite_give_it_once(
    uow: UnitOfWorkFactory,
) -> None:
    chat = SUPER.chat_id
    async with uow() as tx:
        await tx.chats.upsert_chat(SUPER)
        await tx.invites.add(chat, invite(1), now=NOW)

    async def take() -> Invitation | None:
        async with uow() as tx:
            found = await tx.invites.consume(
                chat, invite(1).link_hash, telegram_id=BIG + 1, now=NOW
            )
            await asyncio.sleep(0.01)  # hold the transaction open while the other tries
            return found

    results = await asyncio.gather(*(take() for _ in range(2)))
    assert sorted(results, key=lambda r: r is None) == [invite(1), None]


async def test_a_rolled_back_consumption_leaves_the_invite_live(uow: UnitOfWorkFactory) -> None:
    chat = SUPER.chat_id
    async with uow() as tx:
        await tx.chats.upsert_chat(SUPER)
        await tx.invites.add(chat, invite(1), now=NOW)

    async def approve_then_fail() -> None:
        async with uow() as tx:
            await tx.invites.consume(chat, invite(1).link_hash, telegram_id=BIG + 1, now=NOW)
            await tx.audit.add(chat, "approve", telegram_id=BIG + 1, user_id=1, reason="", now=NOW)
            raise RuntimeError("the approval call failed")

    with pytest.raises(RuntimeError):
        await approve_then_fail()
    async with uow() as tx:
        assert await tx.invites.live(chat, now=NOW) == [invite(1)]
        assert await tx.audit.entries() == []


async def test_live_invites_are_counted_per_chat_and_found_by_account(
    uow: UnitOfWorkFactory,
) -> None:
    async with uow() as tx:
        await tx.chats.upsert_chat(SUPER)
        await tx.chats.upsert_chat(GROUP)
        for n in (1, 2, 3):
            await tx.invites.add(SUPER.chat_id, invite(n), now=NOW)
        await tx.invites.add(SUPER.chat_id, invite(4, expires=10), now=NOW)
        await tx.invites.add(GROUP.chat_id, invite(5), now=NOW)
        await tx.invites.add(GROUP.chat_id, invite(6, expires=10), now=NOW)
        # invite n is made for site account n
        await tx.invites.revoke(SUPER.chat_id, "gate-2", now=NOW)
        await tx.invites.consume(SUPER.chat_id, invite(3).link_hash, telegram_id=BIG + 3, now=NOW)
    async with uow() as tx:
        assert await tx.invites.live_counts(now=NOW) == {SUPER.chat_id: 2, GROUP.chat_id: 2}
        later = await tx.invites.live_counts(now=NOW + 10)
        assert later == {SUPER.chat_id: 1, GROUP.chat_id: 1}
        one = await tx.invites.live_counts(now=NOW, chat_id=GROUP.chat_id)
        assert one == {GROUP.chat_id: 2}
        assert await tx.invites.live_counts(now=NOW, chat_id=-1) == {}
        assert await tx.invites.invited_to(1, now=NOW) == {SUPER.chat_id}
        assert await tx.invites.invited_to(2, now=NOW) == set()  # revoked
        assert await tx.invites.invited_to(3, now=NOW) == set()  # used
        assert await tx.invites.invited_to(6, now=NOW) == {GROUP.chat_id}
        assert await tx.invites.invited_to(6, now=NOW + 10) == set()  # expired
