"""A group that became a supergroup, moved across every gating repository in one
transaction, on memory, SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.store.gated import BIG, GROUP, NOW, RIGHTS, SUPER, invite, join
from tgpass.domain.gating import Chat, ChatRule, Invitation, Member
from tgpass.service.gating.migration import migrate_chat
from tgpass.service.uow import UnitOfWorkFactory


async def test_a_migrated_group_moves_everything_to_its_new_id(uow: UnitOfWorkFactory) -> None:
    old, new = GROUP.chat_id, SUPER.chat_id
    rule = ChatRule(min_karma=10)
    async with uow() as tx:
        await tx.chats.upsert_chat(GROUP)
        await tx.chats.set_rule(old, rule)
        await tx.members.record(old, BIG + 1, "member", now=NOW)
        await tx.members.record(old, BIG + 2, "creator", now=NOW)
        await tx.invites.add(old, invite(3), now=NOW)
        await tx.audit.add(old, "invite", telegram_id=BIG + 3, user_id=3, reason="", now=NOW)
    async with uow() as tx:
        assert await migrate_chat(tx, old, new)
    async with uow() as tx:
        assert await tx.chats.get_chat(old) is None
        moved = await tx.chats.get_chat(new)
        assert moved == Chat(new, "Old group", "supergroup", RIGHTS, "a basic group", False)
        assert await tx.chats.get_rule(new) == rule
        assert await tx.chats.get_rule(old) is None
        assert await tx.members.of_chat(new) == [
            Member(BIG + 1, "member"),
            Member(BIG + 2, "creator"),
        ]
        assert await tx.members.of_chat(old) == []
        assert await tx.invites.live(new, now=NOW) == [invite(3)]
        assert await tx.invites.live(old, now=NOW) == []
        assert [e.chat_id for e in await tx.audit.entries()] == [new]
        used = await tx.invites.consume(new, invite(3).link_hash, telegram_id=BIG + 3, now=NOW)
        assert used == invite(3)
        assert [c.chat_id for c in await tx.chats.list_chats()] == [new]


async def test_a_migration_keeps_what_the_new_chat_already_holds(uow: UnitOfWorkFactory) -> None:
    old, new = GROUP.chat_id, SUPER.chat_id
    async with uow() as tx:
        await tx.chats.upsert_chat(GROUP)
        await tx.chats.upsert_chat(SUPER)  # the bot saw the supergroup first
        await tx.chats.set_rule(old, ChatRule(min_karma=10))
        await tx.chats.set_rule(new, ChatRule(min_karma=50))
        await tx.members.record(old, BIG + 1, "member", now=NOW)
        await tx.members.record(old, BIG + 2, "member", now=NOW)
        await tx.members.record(new, BIG + 2, "left", now=NOW + 1)
        await tx.invites.add(old, invite(1), now=NOW)
        await tx.invites.add(new, Invitation("gate-1", 9, 9, NOW + 60, "f" * 64), now=NOW)
        assert await migrate_chat(tx, old, new)
        assert await tx.chats.get_chat(new) == SUPER
        assert await tx.chats.get_rule(new) == ChatRule(min_karma=50)
        assert await tx.members.of_chat(new) == [Member(BIG + 1, "member"), Member(BIG + 2, "left")]
        assert [i.user_id for i in await tx.invites.live(new, now=NOW)] == [9]
        assert await tx.chats.list_chats() == [SUPER]


async def test_migrating_an_unknown_chat_moves_only_its_audit_trail(
    uow: UnitOfWorkFactory,
) -> None:
    async with uow() as tx:
        await tx.audit.add(-7, "decline", telegram_id=1, user_id=None, reason="x", now=NOW)
        assert not await migrate_chat(tx, -7, -100_7)
        assert await tx.chats.list_chats() == []
        assert [e.chat_id for e in await tx.audit.entries()] == [-100_7]


async def test_a_migration_moves_the_join_requests_and_unbans_owed(
    uow: UnitOfWorkFactory,
) -> None:
    old, new = GROUP.chat_id, SUPER.chat_id
    async with uow() as tx:
        await tx.chats.upsert_chat(GROUP)
        await tx.join_requests.add(join(BIG + 1, NOW, chat=old))
        await tx.members.owe_unban(old, BIG + 2, now=NOW)
        assert await migrate_chat(tx, old, new)
    async with uow() as tx:
        assert await tx.join_requests.due(now=NOW, limit=10) == [join(BIG + 1, NOW, chat=new)]
        assert await tx.members.owed_unbans() == [(new, BIG + 2)]


async def test_a_migration_rolled_back_moves_nothing(uow: UnitOfWorkFactory) -> None:
    old, new = GROUP.chat_id, SUPER.chat_id
    async with uow() as tx:
        await tx.chats.upsert_chat(GROUP)
        await tx.chats.set_rule(old, ChatRule(min_karma=10))
        await tx.members.record(old, BIG + 1, "member", now=NOW)
        await tx.invites.add(old, invite(1), now=NOW)
        await tx.audit.add(old, "rule", telegram_id=None, user_id=None, reason="", now=NOW)

    async def migrate_then_fail() -> None:
        async with uow() as tx:
            assert await migrate_chat(tx, old, new)
            raise RuntimeError("the update's handling failed after the move")

    with pytest.raises(RuntimeError):
        await migrate_then_fail()
    async with uow() as tx:
        assert await tx.chats.list_chats() == [GROUP]
        assert await tx.chats.rules() == {old: ChatRule(min_karma=10)}
        assert await tx.members.of_chat(old) == [Member(BIG + 1, "member")]
        assert await tx.invites.live(old, now=NOW) == [invite(1)]
        assert [e.chat_id for e in await tx.audit.entries()] == [old]


async def test_a_chat_migrated_to_its_own_id_stays(uow: UnitOfWorkFactory) -> None:
    async with uow() as tx:
        await tx.chats.upsert_chat(SUPER)
        await tx.members.record(SUPER.chat_id, BIG, "member", now=NOW)
        assert await migrate_chat(tx, SUPER.chat_id, SUPER.chat_id)
        assert await tx.chats.list_chats() == [SUPER]
        assert await tx.members.of_chat(SUPER.chat_id) == [Member(BIG, "member")]
