"""What gating members of a chat needs: chat_member updates for every change, my_chat_member
when only the bot's rights change, basic groups, and Bot API 10.1's join request queries."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from aiogram import Bot as AiogramBot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramBadRequest
from telegram import Bot, ChatMemberUpdated, Update
from telegram.error import BadRequest

from tgpass.sandbox import join_requests, membership
from tgpass.sandbox.errors import BotApiError
from tgpass.sandbox.server import Sandbox, SandboxUsers
from tgpass.sandbox.world import World
from tgpass.testing import FrozenClock

ADMIN = {"can_invite_users": True, "can_restrict_members": True}
EVERYTHING = ["message", "chat_member", "my_chat_member", "chat_join_request"]


def _changes(updates: tuple[Update, ...]) -> list[tuple[int, str, str, int]]:
    """chat_member updates as (member, old status, new status, who did it)."""
    found = []
    for update in updates:
        change: ChatMemberUpdated | None = update.chat_member
        if change is not None:
            found.append(
                (
                    change.new_chat_member.user.id,
                    change.old_chat_member.status,
                    change.new_chat_member.status,
                    change.from_user.id,
                )
            )
    return found


async def _confirmed(bot: Bot, **kwargs: Any) -> tuple[Update, ...]:
    updates = await bot.get_updates(**kwargs)
    if updates:
        await bot.get_updates(offset=updates[-1].update_id + 1, **kwargs)
    return updates


@pytest.fixture
async def club(sandbox: Sandbox) -> AsyncIterator[tuple[SandboxUsers, Bot, int, int]]:
    users = sandbox.users
    assert users is not None
    info = await users.create_bot("gate_bot")
    owner = await users.create_user("Owner")
    chat = await users.create_chat("Club", owner["id"])
    await users.add_bot_to_chat(chat["id"], info["id"], ADMIN)
    async with Bot(info["token"], base_url=sandbox.bot_api_base) as bot:
        await _confirmed(bot, allowed_updates=EVERYTHING)
        yield users, bot, int(chat["id"]), int(info["id"])


async def test_every_membership_change_is_a_chat_member_update(
    club: tuple[SandboxUsers, Bot, int, int],
) -> None:
    users, bot, chat_id, bot_id = club
    ann = int((await users.create_user("Ann"))["id"])
    bob = int((await users.create_user("Bob"))["id"])
    link = await bot.create_chat_invite_link(chat_id, name="open")
    await users.open_invite(ann, link.invite_link)
    asking = await bot.create_chat_invite_link(chat_id, creates_join_request=True)
    await users.open_invite(bob, asking.invite_link)
    await bot.approve_chat_join_request(chat_id, bob)
    await users.leave(ann, chat_id)
    await bot.ban_chat_member(chat_id, bob)
    await bot.unban_chat_member(chat_id, bob, only_if_banned=True)
    updates = await _confirmed(bot, allowed_updates=EVERYTHING)
    assert _changes(updates) == [
        (ann, "left", "member", ann),
        (bob, "left", "member", bot_id),  # approved: the approver did it
        (ann, "member", "left", ann),
        (bob, "member", "kicked", bot_id),
        (bob, "kicked", "left", bot_id),
    ]
    joined = [u.chat_member for u in updates if u.chat_member][:2]
    assert [j.invite_link.invite_link if j.invite_link else None for j in joined] == [
        link.invite_link,
        asking.invite_link,
    ]
    service = [u.message for u in updates if u.message]
    assert [m.new_chat_members[0].id for m in service if m.new_chat_members] == [ann, bob]
    assert [m.left_chat_member.id for m in service if m.left_chat_member] == [ann, bob]


async def test_chat_member_updates_only_when_asked_for(
    club: tuple[SandboxUsers, Bot, int, int],
) -> None:
    users, bot, chat_id, _ = club
    ann = int((await users.create_user("Ann"))["id"])
    await _confirmed(bot, allowed_updates=["message"])
    await users.add_member(chat_id, ann)
    assert _changes(await _confirmed(bot)) == []
    await _confirmed(bot, allowed_updates=["chat_member"])
    await users.leave(ann, chat_id)
    assert _changes(await _confirmed(bot)) == [(ann, "member", "left", ann)]


async def test_my_chat_member_when_only_the_bots_rights_change(
    club: tuple[SandboxUsers, Bot, int, int],
) -> None:
    users, bot, chat_id, bot_id = club
    await users.add_bot_to_chat(chat_id, bot_id, {**ADMIN, "can_delete_messages": True})
    (update,) = await _confirmed(bot, allowed_updates=EVERYTHING)
    change = update.my_chat_member
    assert change is not None
    assert (change.old_chat_member.status, change.new_chat_member.status) == (
        "administrator",
        "administrator",
    )
    assert not change.old_chat_member.can_delete_messages  # type: ignore[attr-defined]
    assert change.new_chat_member.can_delete_messages  # type: ignore[attr-defined]
    await users.add_bot_to_chat(chat_id, bot_id, {**ADMIN, "can_delete_messages": True})
    assert await _confirmed(bot, allowed_updates=EVERYTHING) == ()  # nothing changed
    await users.add_bot_to_chat(chat_id, bot_id, None)
    (demoted,) = await _confirmed(bot, allowed_updates=EVERYTHING)
    assert demoted.my_chat_member is not None
    assert demoted.my_chat_member.new_chat_member.status == "member"
    with pytest.raises(BadRequest, match=r"(?i)not enough rights"):
        await bot.create_chat_invite_link(chat_id)


async def test_a_basic_group_removes_on_ban_and_refuses_unban(sandbox: Sandbox) -> None:
    users = sandbox.users
    assert users is not None
    info = await users.create_bot("gate_bot")
    owner = await users.create_user("Owner")
    ann = int((await users.create_user("Ann"))["id"])
    group = int((await users.create_chat("Small", owner["id"], type="group"))["id"])
    await users.add_bot_to_chat(group, info["id"], ADMIN)
    async with Bot(info["token"], base_url=sandbox.bot_api_base) as bot:
        link = await bot.create_chat_invite_link(group)
        await users.open_invite(ann, link.invite_link)
        assert await bot.ban_chat_member(group, ann)
        assert (await bot.get_chat_member(group, ann)).status == "left"
        with pytest.raises(BadRequest, match="supergroup and channel chats only"):
            await bot.unban_chat_member(group, ann)
    assert (await users.open_invite(ann, link.invite_link))["outcome"] == "joined"


# -- join request queries (Bot API 10.1), through aiogram, which knows them ------------------


def _aiogram(sandbox: Sandbox, token: str) -> AiogramBot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(sandbox.url))
    return AiogramBot(token, session=session)


async def _drain(bot: AiogramBot) -> list[Any]:
    """The bot's pending updates, confirmed."""
    updates = await bot.get_updates(allowed_updates=EVERYTHING)
    if updates:
        await bot.get_updates(offset=updates[-1].update_id + 1)
    return updates


async def test_the_guard_bot_answers_join_request_queries(sandbox: Sandbox) -> None:
    users = sandbox.users
    assert users is not None
    guard_info = await users.create_bot("guard_bot", join_request_queries=True)
    other_info = await users.create_bot("helper_bot")
    owner = await users.create_user("Owner")
    chat_id = int((await users.create_chat("Gated", owner["id"]))["id"])
    for info in (guard_info, other_info):
        await users.add_bot_to_chat(chat_id, info["id"], ADMIN)
    with pytest.raises(httpx.HTTPStatusError, match="400"):
        await users.set_guard_bot(chat_id, other_info["id"])  # it does not support queries
    await users.set_guard_bot(chat_id, guard_info["id"])
    guard, other = _aiogram(sandbox, guard_info["token"]), _aiogram(sandbox, other_info["token"])
    try:
        assert (await guard.get_me()).supports_join_request_queries is True
        assert (await guard.get_chat(chat_id)).guard_bot.id == guard_info["id"]  # type: ignore[union-attr]
        for bot in (guard, other):
            await _drain(bot)
        link = await guard.create_chat_invite_link(chat_id, creates_join_request=True)
        asking = [int((await users.create_user(name))["id"]) for name in ("A", "B", "C")]
        for user_id in asking:
            await users.open_invite(user_id, link.invite_link)
        assert await _drain(other) == []  # the guard decides first
        queries = [u.chat_join_request for u in await _drain(guard)]
        assert [q.from_user.id for q in queries if q] == asking
        query_ids = [q.query_id for q in queries if q and q.query_id]
        assert len(set(query_ids)) == 3
        approve, decline, queue = query_ids
        assert await guard.answer_chat_join_request_query(approve, "approve")
        assert await guard.answer_chat_join_request_query(decline, "decline")
        assert await guard.answer_chat_join_request_query(queue, "queue")
        with pytest.raises(TelegramBadRequest, match="QUERY_ID_INVALID"):
            await guard.answer_chat_join_request_query(approve, "approve")  # answered already
        statuses = [(await guard.get_chat_member(chat_id, u)).status for u in asking]
        assert statuses == ["member", "left", "left"]
        (queued,) = [u.chat_join_request for u in await _drain(other) if u.chat_join_request]
        assert queued is not None
        assert (queued.from_user.id, queued.query_id) == (asking[2], None)
        assert await other.approve_chat_join_request(chat_id, asking[2])
        assert (await other.get_chat_member(chat_id, asking[2])).status == "member"
        with pytest.raises(TelegramBadRequest, match="result"):
            await guard.answer_chat_join_request_query("1", "maybe")
    finally:
        await guard.session.close()
        await other.session.close()


def test_a_late_answer_is_refused_and_the_request_queued() -> None:
    clock = FrozenClock(1_767_225_600)
    world = World(clock)
    owner = world.add_account("Owner")
    asker = world.add_account("Asker")
    guard = world.add_bot("guard_bot", join_request_queries=True)
    helper = world.add_bot("helper_bot")
    chat = world.add_chat("Gated", owner_id=owner.id)
    for bot in (guard, helper):
        membership.add_bot_to_chat(world, bot.id, chat.id, admin_rights={"can_invite_users": True})
    join_requests.assign_guard_bot(world, chat, guard.id)
    link = membership.create_invite_link(world, guard, chat, creates_join_request=True)
    join_requests.open_invite(world, asker.id, link.invite_link)
    query_id = chat.join_requests[asker.id].query_id
    assert query_id is not None
    assert not [u for u in helper.updates if "chat_join_request" in u]
    clock.advance(join_requests.QUERY_SECONDS + 1)
    with pytest.raises(BotApiError, match="too old"):
        join_requests.answer_query(world, guard, query_id, "approve")
    assert not chat.is_member(asker.id)
    offered = [u["chat_join_request"] for u in helper.updates if "chat_join_request" in u]
    assert [(r["from"]["id"], "query_id" in r) for r in offered] == [(asker.id, False)]
