"""The contract of gated chats' members and the unbans owed, on memory, SQLite and
PostgreSQL, through the unit of work."""

from __future__ import annotations

import asyncio

import pytest

from tests.store.gated import BIG, GROUP, NOW, SUPER
from tgpass.domain.gating import Chat, Member, MemberStatus
from tgpass.errors import NotFound
from tgpass.service.uow import GoneSince, UnitOfWorkFactory


async def test_members_keep_their_latest_status(uow: UnitOfWorkFactory) -> None:
    async with uow() as tx:
        await tx.chats.upsert_chat(SUPER)
        await tx.chats.upsert_chat(GROUP)
        await tx.members.record(SUPER.chat_id, BIG + 2, "member", now=NOW)
        await tx.members.record(SUPER.chat_id, BIG + 1, "administrator", now=NOW)
        await tx.members.record(SUPER.chat_id, BIG + 2, "left", now=NOW + 1)
        await tx.members.record(GROUP.chat_id, BIG + 3, "member", now=NOW)
    async with uow() as tx:
        assert await tx.members.of_chat(SUPER.chat_id) == [
            Member(BIG + 1, "administrator"),
            Member(BIG + 2, "left"),
        ]
        assert await tx.members.of_chat(GROUP.chat_id) == [Member(BIG + 3, "member")]
        assert await tx.members.of_chat(-1) == []
        assert await tx.members.of_account(BIG + 2) == {SUPER.chat_id: Member(BIG + 2, "left")}
        assert await tx.members.of_account(BIG + 9) == {}


async def test_news_older_than_a_departure_does_not_undo_it(uow: UnitOfWorkFactory) -> None:
    chat = SUPER.chat_id
    async with uow() as tx:
        await tx.chats.upsert_chat(SUPER)
        await tx.members.record(chat, BIG + 1, "member", now=NOW + 1)
        await tx.members.record(chat, BIG + 1, "left", now=NOW + 2)
        # an approval asked for at NOW, recorded only now: they left after it
        with pytest.raises(GoneSince):
            await tx.members.record(chat, BIG + 1, "member", now=NOW + 3, unless_gone_since=NOW)
        assert await tx.members.of_chat(chat) == [Member(BIG + 1, "left")]
        # news newer than the departure, or a departure older than the news, is recorded
        await tx.members.record(chat, BIG + 2, "kicked", now=NOW)
        await tx.members.record(chat, BIG + 2, "member", now=NOW + 3, unless_gone_since=NOW + 1)
        await tx.members.record(chat, BIG + 3, "member", now=NOW + 1)
        await tx.members.record(chat, BIG + 3, "member", now=NOW + 3, unless_gone_since=NOW)
        await tx.members.record(chat, BIG + 4, "member", now=NOW + 3, unless_gone_since=NOW)
    async with uow() as tx:
        assert await tx.members.of_chat(chat) == [
            Member(BIG + 1, "left"),
            Member(BIG + 2, "member"),
            Member(BIG + 3, "member"),
            Member(BIG + 4, "member"),
        ]


async def test_recording_a_status_returns_the_one_it_replaced(uow: UnitOfWorkFactory) -> None:
    chat = SUPER.chat_id
    async with uow() as tx:
        await tx.chats.upsert_chat(SUPER)
        assert await tx.members.record(chat, BIG + 1, "member", now=NOW) is None
        assert await tx.members.record(chat, BIG + 1, "member", now=NOW + 1) == "member"
        assert await tx.members.record(chat, BIG + 1, "left", now=NOW + 2) == "member"
    async with uow() as tx:
        assert await tx.members.record(chat, BIG + 1, "kicked", now=NOW + 3) == "left"
        assert await tx.members.record(chat, BIG + 2, "left", now=NOW + 3) is None
        assert await tx.members.of_account(BIG + 1) == {chat: Member(BIG + 1, "kicked")}


async def test_of_concurrent_records_each_sees_the_one_before(uow: UnitOfWorkFactory) -> None:
    async with uow() as tx:
        await tx.chats.upsert_chat(SUPER)

    async def record() -> MemberStatus | None:
        async with uow() as tx:
            return await tx.members.record(SUPER.chat_id, BIG + 1, "member", now=NOW)

    found = await asyncio.gather(*(record() for _ in range(6)))
    assert sorted(found, key=str) == [None] + ["member"] * 5


async def test_who_a_member_was_admitted_for_stays_until_they_leave(
    uow: UnitOfWorkFactory,
) -> None:
    chat = SUPER.chat_id
    async with uow() as tx:
        await tx.chats.upsert_chat(SUPER)
        await tx.members.record(chat, BIG + 1, "member", now=NOW, user_id=7)
        await tx.members.record(chat, BIG + 1, "restricted", now=NOW + 1)  # kept
        await tx.members.record(chat, BIG + 2, "member", now=NOW, user_id=8)
        await tx.members.record(chat, BIG + 2, "left", now=NOW + 1)  # forgotten
        await tx.members.record(chat, BIG + 2, "member", now=NOW + 2)
    async with uow() as tx:
        assert await tx.members.of_chat(chat) == [
            Member(BIG + 1, "restricted", 7),
            Member(BIG + 2, "member", None),
        ]


async def test_an_owed_unban_is_kept_until_the_member_is_no_longer_banned(
    uow: UnitOfWorkFactory,
) -> None:
    chat = SUPER.chat_id
    async with uow() as tx:
        await tx.chats.upsert_chat(SUPER)
        await tx.chats.upsert_chat(Chat(-100_2, "B", "supergroup"))
        await tx.members.record(chat, BIG + 1, "member", now=NOW, user_id=1)
        await tx.members.owe_unban(chat, BIG + 1, now=NOW)
        await tx.members.owe_unban(-100_2, BIG + 2, now=NOW)  # never seen there: now banned
        with pytest.raises(NotFound):
            await tx.members.owe_unban(-5, BIG, now=NOW)
    async with uow() as tx:
        assert await tx.members.owed_unbans() == [(chat, BIG + 1), (-100_2, BIG + 2)]
        assert await tx.members.of_chat(-100_2) == [Member(BIG + 2, "kicked")]
        await tx.members.record(chat, BIG + 1, "kicked", now=NOW + 1)  # still owed
        await tx.members.record(-100_2, BIG + 2, "left", now=NOW + 1)  # unbanned
        assert await tx.members.owed_unbans() == [(chat, BIG + 1)]


async def test_those_in_each_chat_are_counted_at_once(uow: UnitOfWorkFactory) -> None:
    async with uow() as tx:
        for chat in (SUPER, GROUP, Chat(-100_3, "Empty", "supergroup")):
            await tx.chats.upsert_chat(chat)
        statuses: list[MemberStatus] = [
            "member",
            "administrator",
            "creator",
            "restricted",
            "left",
            "kicked",
        ]
        for n, status in enumerate(statuses):
            await tx.members.record(SUPER.chat_id, BIG + n, status, now=NOW)
        await tx.members.record(GROUP.chat_id, BIG, "member", now=NOW)
        await tx.members.record(-100_3, BIG, "left", now=NOW)
    async with uow() as tx:
        assert await tx.members.present_counts() == {SUPER.chat_id: 4, GROUP.chat_id: 1}
        assert await tx.members.present_counts(chat_id=GROUP.chat_id) == {GROUP.chat_id: 1}
        assert await tx.members.present_counts(chat_id=-100_3) == {}
