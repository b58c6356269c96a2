"""One contract for gated chats (chats, rules, members, invites, the audit trail), on memory,
SQLite and PostgreSQL, through the unit of work."""

from __future__ import annotations

import asyncio

import pytest

from tgpass.domain.gating import Chat, ChatRule, Invitation, JoinRequest, Member
from tgpass.errors import Conflict, NotFound
from tgpass.service.uow import UnitOfWorkFactory

NOW = 1_800_000_000.0
RIGHTS = frozenset({"can_invite_users", "can_restrict_members"})
BIG = 2**40  # Telegram ids exceed 2**32
GROUP = Chat(-4001, "Old group", "group", RIGHTS, paused_reason="a basic group", managed=False)
SUPER = Chat(-100_4001, "Web masters", "supergroup", RIGHTS)


def invite(n: int, *, telegram_id: int | None = None, expires: float = 600) -> Invitation:
    link = f"https://t.me/+gate{n:012x}"
    return Invitation(f"gate-{n}", n, telegram_id or BIG + n, NOW + expires, link)


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
            await tx.chats.record_member(-9, 1, "member", now=NOW)
        with pytest.raises(NotFound):
            await tx.chats.add_invite(-9, invite(1), now=NOW)


async def test_members_keep_their_latest_status(uow: UnitOfWorkFactory) -> None:
    async with uow() as tx:
        await tx.chats.upsert_chat(SUPER)
        await tx.chats.upsert_chat(GROUP)
        await tx.chats.record_member(SUPER.chat_id, BIG + 2, "member", now=NOW)
        await tx.chats.record_member(SUPER.chat_id, BIG + 1, "administrator", now=NOW)
        await tx.chats.record_member(SUPER.chat_id, BIG + 2, "left", now=NOW + 1)
        await tx.chats.record_member(GROUP.chat_id, BIG + 3, "member", now=NOW)
    async with uow() as tx:
        assert await tx.chats.members(SUPER.chat_id) == [
            Member(BIG + 1, "administrator"),
            Member(BIG + 2, "left"),
        ]
        assert await tx.chats.members(GROUP.chat_id) == [Member(BIG + 3, "member")]
        assert await tx.chats.members(-1) == []
        assert await tx.chats.memberships(BIG + 2) == {SUPER.chat_id: Member(BIG + 2, "left")}
        assert await tx.chats.memberships(BIG + 9) == {}


async def test_who_a_member_was_admitted_for_stays_until_they_leave(
    uow: UnitOfWorkFactory,
) -> None:
    chat = SUPER.chat_id
    async with uow() as tx:
        await tx.chats.upsert_chat(SUPER)
        await tx.chats.record_member(chat, BIG + 1, "member", now=NOW, user_id=7)
        await tx.chats.record_member(chat, BIG + 1, "restricted", now=NOW + 1)  # kept
        await tx.chats.record_member(chat, BIG + 2, "member", now=NOW, user_id=8)
        await tx.chats.record_member(chat, BIG + 2, "left", now=NOW + 1)  # forgotten
        await tx.chats.record_member(chat, BIG + 2, "member", now=NOW + 2)
    async with uow() as tx:
        assert await tx.chats.members(chat) == [
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
        await tx.chats.record_member(chat, BIG + 1, "member", now=NOW, user_id=1)
        await tx.chats.owe_unban(chat, BIG + 1, now=NOW)
        await tx.chats.owe_unban(-100_2, BIG + 2, now=NOW)  # never seen there: now banned
        with pytest.raises(NotFound):
            await tx.chats.owe_unban(-5, BIG, now=NOW)
    async with uow() as tx:
        assert await tx.chats.owed_unbans() == [(chat, BIG + 1), (-100_2, BIG + 2)]
        assert await tx.chats.members(-100_2) == [Member(BIG + 2, "kicked")]
        await tx.chats.record_member(chat, BIG + 1, "kicked", now=NOW + 1)  # still owed
        await tx.chats.record_member(-100_2, BIG + 2, "left", now=NOW + 1)  # unbanned
        assert await tx.chats.owed_unbans() == [(chat, BIG + 1)]


def join(telegram_id: int, at: float, *, chat: int = SUPER.chat_id) -> JoinRequest:
    return JoinRequest(chat, telegram_id, telegram_id, at, query_id=f"q{at}", invite_link="l")


async def test_join_requests_wait_until_answered_and_a_newer_one_replaces_the_old(
    uow: UnitOfWorkFactory,
) -> None:
    chat = SUPER.chat_id
    async with uow() as tx:
        await tx.chats.upsert_chat(SUPER)
        await tx.chats.add_join_request(join(BIG + 2, NOW + 1))
        await tx.chats.add_join_request(join(BIG + 1, NOW))
        with pytest.raises(NotFound):
            await tx.chats.add_join_request(join(BIG + 3, NOW, chat=-5))
    async with uow() as tx:
        assert await tx.chats.due_join_requests(now=NOW, limit=10) == [join(BIG + 1, NOW)]
        due = await tx.chats.due_join_requests(now=NOW + 5, limit=10)
        assert due == [join(BIG + 1, NOW), join(BIG + 2, NOW + 1)]
        assert await tx.chats.due_join_requests(now=NOW + 5, limit=1) == due[:1]
        # answering failed: later, one attempt more
        await tx.chats.postpone_join_request(chat, BIG + 1, at=NOW, until=NOW + 60)
        # a newer request from the same account replaces the waiting one
        await tx.chats.add_join_request(join(BIG + 2, NOW + 2))
    async with uow() as tx:
        assert await tx.chats.due_join_requests(now=NOW + 5, limit=10) == [join(BIG + 2, NOW + 2)]
        retried = JoinRequest(chat, BIG + 1, BIG + 1, NOW, "q1800000000.0", "l", attempts=1)
        later = await tx.chats.due_join_requests(now=NOW + 60, limit=10)
        assert later == [retried, join(BIG + 2, NOW + 2)]
        # the answer to the replaced request does not forget the newer one
        assert not await tx.chats.answered_join_request(chat, BIG + 2, at=NOW + 1)
        assert await tx.chats.answered_join_request(chat, BIG + 2, at=NOW + 2)
        assert await tx.chats.answered_join_request(chat, BIG + 1, at=NOW)
    async with uow() as tx:
        assert await tx.chats.due_join_requests(now=NOW + 999, limit=10) == []


async def test_reconcile_requests_are_forgotten_up_to_the_pass_that_saw_them(
    uow: UnitOfWorkFactory,
) -> None:
    async with uow() as tx:
        assert await tx.chats.last_reconcile_request() == 0
        first = await tx.chats.request_reconcile("karma", now=NOW)
        second = await tx.chats.request_reconcile("link", now=NOW)
        assert second > first
        assert await tx.chats.last_reconcile_request() == second
    async with uow() as tx:
        await tx.chats.reconciled(first)
        assert await tx.chats.last_reconcile_request() == second
        third = await tx.chats.request_reconcile("rule", now=NOW)
        await tx.chats.reconciled(second)
        assert await tx.chats.last_reconcile_request() == third
        await tx.chats.reconciled(third)
        assert await tx.chats.last_reconcile_request() == 0


async def test_invites_are_live_until_used_revoked_or_expired(uow: UnitOfWorkFactory) -> None:
    chat = SUPER.chat_id
    async with uow() as tx:
        await tx.chats.upsert_chat(SUPER)
        for n in (1, 2, 3):
            await tx.chats.add_invite(chat, invite(n), now=NOW)
        await tx.chats.add_invite(chat, invite(4, expires=10), now=NOW)
    async with uow() as tx:
        assert await tx.chats.live_invites(chat, now=NOW) == [invite(n) for n in (1, 2, 3)] + [
            invite(4, expires=10)
        ]
        assert await tx.chats.live_invites(chat, now=NOW + 10) == [invite(n) for n in (1, 2, 3)]
        # only the Telegram account it was made for can use it, once
        assert (
            await tx.chats.consume_invite(chat, invite(1).link_hash, telegram_id=7, now=NOW) is None
        )
        used = await tx.chats.consume_invite(
            chat, invite(1).link_hash, telegram_id=BIG + 1, now=NOW
        )
        assert used == invite(1)
        again = await tx.chats.consume_invite(
            chat, invite(1).link_hash, telegram_id=BIG + 1, now=NOW
        )
        assert again is None
        assert await tx.chats.revoke_invite(chat, "gate-2", now=NOW)
        assert not await tx.chats.revoke_invite(chat, "gate-2", now=NOW)
        assert not await tx.chats.revoke_invite(chat, "gate-1", now=NOW)  # used, not live
        assert (
            await tx.chats.consume_invite(chat, invite(2).link_hash, telegram_id=BIG + 2, now=NOW)
            is None
        )
        expired = invite(4).link_hash
        assert (
            await tx.chats.consume_invite(chat, expired, telegram_id=BIG + 4, now=NOW + 10) is None
        )
        assert (
            await tx.chats.consume_invite(-1, invite(3).link_hash, telegram_id=BIG + 3, now=NOW)
            is None
        )
        assert await tx.chats.live_invites(chat, now=NOW) == [invite(3), invite(4, expires=10)]


async def test_an_invite_name_or_link_is_not_reused(uow: UnitOfWorkFactory) -> None:
    chat = SUPER.chat_id
    async with uow() as tx:
        await tx.chats.upsert_chat(SUPER)
        await tx.chats.add_invite(chat, invite(1), now=NOW)
        with pytest.raises(Conflict):
            await tx.chats.add_invite(chat, Invitation("gate-1", 2, 2, NOW + 1, "x"), now=NOW)
        with pytest.raises(Conflict):
            await tx.chats.add_invite(
                chat, Invitation("other", 2, 2, NOW + 1, invite(1).link), now=NOW
            )
        # the transaction carries on after a clash
        await tx.chats.add_invite(chat, invite(3), now=NOW)
    async with uow() as tx:
        assert [i.name for i in await tx.chats.live_invites(chat, now=NOW)] == ["gate-1", "gate-3"]


async def test_two_transactions_racing_for_one_invite_give_it_once(
    uow: UnitOfWorkFactory,
) -> None:
    chat = SUPER.chat_id
    async with uow() as tx:
        await tx.chats.upsert_chat(SUPER)
        await tx.chats.add_invite(chat, invite(1), now=NOW)

    async def take() -> Invitation | None:
        async with uow() as tx:
            found = await tx.chats.consume_invite(
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
        await tx.chats.add_invite(chat, invite(1), now=NOW)

    async def approve_then_fail() -> None:
        async with uow() as tx:
            await tx.chats.consume_invite(chat, invite(1).link_hash, telegram_id=BIG + 1, now=NOW)
            await tx.chats.audit(
                chat, "approve", telegram_id=BIG + 1, user_id=1, reason="", now=NOW
            )
            raise RuntimeError("the approval call failed")

    with pytest.raises(RuntimeError):
        await approve_then_fail()
    async with uow() as tx:
        assert await tx.chats.live_invites(chat, now=NOW) == [invite(1)]
        assert await tx.chats.audit_log() == []


async def test_the_audit_trail_is_newest_first_and_filtered(uow: UnitOfWorkFactory) -> None:
    async with uow() as tx:
        for n, (chat, user) in enumerate([(-1, 1), (-2, 1), (-1, 2), (-1, None)]):
            await tx.chats.audit(
                chat, f"a{n}", telegram_id=BIG + n, user_id=user, reason=f"r{n}", now=NOW
            )
    async with uow() as tx:
        await tx.chats.audit(-1, "later", telegram_id=None, user_id=None, reason="x" * 600, now=NOW)
        log = await tx.chats.audit_log()
        assert [e.action for e in log] == ["later", "a3", "a2", "a1", "a0"]  # same time: as written
        assert log[0].reason == "x" * 500
        assert (log[1].chat_id, log[1].telegram_id, log[1].user_id, log[1].reason, log[1].at) == (
            -1,
            BIG + 3,
            None,
            "r3",
            NOW,
        )
        assert [e.action for e in await tx.chats.audit_log(chat_id=-1, limit=2)] == ["later", "a3"]
        assert [e.action for e in await tx.chats.audit_log(user_id=1)] == ["a1", "a0"]
        assert [e.action for e in await tx.chats.audit_log(chat_id=-1, user_id=1)] == ["a0"]
        ids = [e.id for e in log]
        assert ids == sorted(ids, reverse=True)


async def test_a_migrated_group_moves_everything_to_its_new_id(uow: UnitOfWorkFactory) -> None:
    old, new = GROUP.chat_id, SUPER.chat_id
    rule = ChatRule(min_karma=10)
    async with uow() as tx:
        await tx.chats.upsert_chat(GROUP)
        await tx.chats.set_rule(old, rule)
        await tx.chats.record_member(old, BIG + 1, "member", now=NOW)
        await tx.chats.record_member(old, BIG + 2, "creator", now=NOW)
        await tx.chats.add_invite(old, invite(3), now=NOW)
        await tx.chats.audit(old, "invite", telegram_id=BIG + 3, user_id=3, reason="", now=NOW)
    async with uow() as tx:
        assert await tx.chats.migrate(old, new)
    async with uow() as tx:
        assert await tx.chats.get_chat(old) is None
        moved = await tx.chats.get_chat(new)
        assert moved == Chat(new, "Old group", "supergroup", RIGHTS, "a basic group", False)
        assert await tx.chats.get_rule(new) == rule
        assert await tx.chats.get_rule(old) is None
        assert await tx.chats.members(new) == [
            Member(BIG + 1, "member"),
            Member(BIG + 2, "creator"),
        ]
        assert await tx.chats.members(old) == []
        assert await tx.chats.live_invites(new, now=NOW) == [invite(3)]
        assert await tx.chats.live_invites(old, now=NOW) == []
        assert [e.chat_id for e in await tx.chats.audit_log()] == [new]
        used = await tx.chats.consume_invite(new, invite(3).link_hash, telegram_id=BIG + 3, now=NOW)
        assert used == invite(3)
        assert [c.chat_id for c in await tx.chats.list_chats()] == [new]


async def test_a_migration_keeps_what_the_new_chat_already_holds(uow: UnitOfWorkFactory) -> None:
    old, new = GROUP.chat_id, SUPER.chat_id
    async with uow() as tx:
        await tx.chats.upsert_chat(GROUP)
        await tx.chats.upsert_chat(SUPER)  # the bot saw the supergroup first
        await tx.chats.set_rule(old, ChatRule(min_karma=10))
        await tx.chats.set_rule(new, ChatRule(min_karma=50))
        await tx.chats.record_member(old, BIG + 1, "member", now=NOW)
        await tx.chats.record_member(old, BIG + 2, "member", now=NOW)
        await tx.chats.record_member(new, BIG + 2, "left", now=NOW + 1)
        await tx.chats.add_invite(old, invite(1), now=NOW)
        await tx.chats.add_invite(new, Invitation("gate-1", 9, 9, NOW + 60, "f" * 64), now=NOW)
        assert await tx.chats.migrate(old, new)
        assert await tx.chats.get_chat(new) == SUPER
        assert await tx.chats.get_rule(new) == ChatRule(min_karma=50)
        assert await tx.chats.members(new) == [Member(BIG + 1, "member"), Member(BIG + 2, "left")]
        assert [i.user_id for i in await tx.chats.live_invites(new, now=NOW)] == [9]
        assert await tx.chats.list_chats() == [SUPER]


async def test_migrating_an_unknown_chat_moves_only_its_audit_trail(
    uow: UnitOfWorkFactory,
) -> None:
    async with uow() as tx:
        await tx.chats.audit(-7, "decline", telegram_id=1, user_id=None, reason="x", now=NOW)
        assert not await tx.chats.migrate(-7, -100_7)
        assert await tx.chats.list_chats() == []
        assert [e.chat_id for e in await tx.chats.audit_log()] == [-100_7]
