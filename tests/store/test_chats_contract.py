"""The contract of gated chats and their rules, on memory, SQLite and PostgreSQL, through the
unit of work."""

from __future__ import annotations

import pytest

from tests.store.gated import BIG, NOW, SUPER, invite, join
from tgpass.domain.gating import Chat, ChatRule
from tgpass.errors import NotFound
from tgpass.service.uow import UnitOfWorkFactory


async def test_chats_are_upserted_and_listed_by_id(uow: UnitOfWorkFactory) -> None:
    paused = Chat(-100_2, "B", "supergroup", frozenset({"can_invite_users"}), "lost rights", False)
    async with uow() as tx:
        await tx.chats.upsert_chat(SUPER)
        await tx.chats.upsert_chat(Chat(-100_2, "B", "supergroup"))
        await tx.chats.upsert_chat(paused)  # replaces the first record of -1002
    async with uow() as tx:
        assert await tx.chats.get_chat(-100_2) == paused
        assert await tx.chats.get_chat(SUPER.chat_id) == SUPER
        assert await tx.chats.get_chat(-1) is None
        assert await tx.chats.list_chats() == [SUPER, paused]


async def test_a_rule_is_set_replaced_and_removed(uow: UnitOfWorkFactory) -> None:
    async with uow() as tx:
        await tx.chats.upsert_chat(SUPER)
        assert await tx.chats.get_rule(SUPER.chat_id) is None
        rule = ChatRule(min_karma=100, roles=frozenset({"web-master", "editor"}))
        await tx.chats.set_rule(SUPER.chat_id, rule)
    async with uow() as tx:
        assert await tx.chats.get_rule(SUPER.chat_id) == rule
        await tx.chats.set_rule(SUPER.chat_id, ChatRule(min_karma=-5))
        assert await tx.chats.get_rule(SUPER.chat_id) == ChatRule(min_karma=-5)
        await tx.chats.set_rule(SUPER.chat_id, ChatRule())
        assert await tx.chats.get_rule(SUPER.chat_id) == ChatRule()  # gated: linked only
        await tx.chats.set_rule(SUPER.chat_id, None)
        assert await tx.chats.get_rule(SUPER.chat_id) is None


async def test_an_unknown_chat_takes_no_rule_member_or_invite(uow: UnitOfWorkFactory) -> None:
    async with uow() as tx:
        with pytest.raises(NotFound):
            await tx.chats.set_rule(-9, ChatRule())
        with pytest.raises(NotFound):
            await tx.members.record(-9, 1, "member", now=NOW)
        with pytest.raises(NotFound):
            await tx.invites.add(-9, invite(1), now=NOW)


async def test_every_rule_is_read_at_once(uow: UnitOfWorkFactory) -> None:
    other = Chat(-100_2, "B", "supergroup")
    async with uow() as tx:
        assert await tx.chats.rules() == {}
        for chat in (SUPER, other, Chat(-100_3, "C", "supergroup")):
            await tx.chats.upsert_chat(chat)
        await tx.chats.set_rule(SUPER.chat_id, ChatRule(min_karma=100))
        await tx.chats.set_rule(other.chat_id, ChatRule(roles=frozenset({"editor"})))
    async with uow() as tx:
        assert await tx.chats.rules() == {
            SUPER.chat_id: ChatRule(min_karma=100),
            other.chat_id: ChatRule(roles=frozenset({"editor"})),
        }


async def test_a_deleted_chat_takes_what_is_left_of_it_along(uow: UnitOfWorkFactory) -> None:
    chat = SUPER.chat_id
    async with uow() as tx:
        await tx.chats.upsert_chat(SUPER)
        await tx.chats.set_rule(chat, ChatRule())
        await tx.members.record(chat, BIG + 1, "member", now=NOW)
        await tx.members.owe_unban(chat, BIG + 2, now=NOW)
        await tx.invites.add(chat, invite(1), now=NOW)
        await tx.join_requests.add(join(BIG + 3, NOW))
        await tx.audit.add(chat, "rule", telegram_id=None, user_id=None, reason="", now=NOW)
    async with uow() as tx:
        await tx.chats.delete_chat(chat)
        await tx.chats.delete_chat(-1)  # unknown: nothing to do
    async with uow() as tx:
        assert await tx.chats.list_chats() == []
        assert await tx.chats.rules() == {}
        assert await tx.members.of_chat(chat) == []
        assert await tx.members.owed_unbans() == []
        assert await tx.invites.live(chat, now=NOW) == []
        assert await tx.join_requests.due(now=NOW, limit=10) == []
        assert [e.action for e in await tx.audit.entries()] == ["rule"]  # the trail outlives it
        with pytest.raises(NotFound):
            await tx.chats.set_rule(chat, ChatRule())
