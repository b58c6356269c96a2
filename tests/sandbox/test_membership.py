"""Invite links, join requests and bans, with Telegram's rules, through python-telegram-bot."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import httpx
import pytest
from telegram import Bot
from telegram.error import BadRequest

from tgpass.sandbox.server import Sandbox

ADMIN = {"can_invite_users": True, "can_restrict_members": True}


@pytest.fixture
async def world(sandbox: Sandbox) -> AsyncIterator[tuple[Bot, int, int, httpx.AsyncClient]]:
    users = sandbox.users
    assert users is not None
    bot_info = await users.create_bot("gate_bot")
    owner = await users.create_user("Owner")
    member = await users.create_user("Newcomer")
    chat = (
        await users.http.post("/chats", json={"title": "Private club", "owner_id": owner["id"]})
    ).json()
    await users.http.post(
        f"/chats/{chat['id']}/bots", json={"bot_id": bot_info["id"], "admin_rights": ADMIN}
    )
    async with Bot(bot_info["token"], base_url=sandbox.bot_api_base) as bot:
        yield bot, chat["id"], member["id"], users.http


async def test_one_use_link_admits_one_member(
    world: tuple[Bot, int, int, httpx.AsyncClient],
) -> None:
    bot, chat_id, user_id, http = world
    link = await bot.create_chat_invite_link(
        chat_id, member_limit=1, expire_date=int(time.time()) + 600
    )
    assert link.member_limit == 1
    opened = await http.post(f"/users/{user_id}/invites", json={"invite_link": link.invite_link})
    assert opened.json()["outcome"] == "joined"
    assert (await bot.get_chat_member(chat_id, user_id)).status == "member"
    other = (await http.post("/users", json={"first_name": "Late"})).json()
    refused = await http.post(
        f"/users/{other['id']}/invites", json={"invite_link": link.invite_link}
    )
    assert refused.status_code == 403


async def test_member_limit_excludes_join_requests(
    world: tuple[Bot, int, int, httpx.AsyncClient],
) -> None:
    bot, chat_id, _, _ = world
    with pytest.raises(BadRequest, match=r"(?i)member limit"):
        await bot.create_chat_invite_link(chat_id, member_limit=5, creates_join_request=True)
    with pytest.raises(BadRequest):
        await bot.create_chat_invite_link(chat_id, member_limit=100_000)


async def test_join_request_then_approve_and_message_the_requester(
    world: tuple[Bot, int, int, httpx.AsyncClient],
) -> None:
    bot, chat_id, user_id, http = world
    await bot.get_updates(offset=-1)
    link = await bot.create_chat_invite_link(chat_id, creates_join_request=True)
    opened = await http.post(f"/users/{user_id}/invites", json={"invite_link": link.invite_link})
    assert opened.json()["outcome"] == "join request sent"
    updates = await bot.get_updates(allowed_updates=["chat_join_request", "chat_member", "message"])
    requests = [u.chat_join_request for u in updates if u.chat_join_request]
    assert len(requests) == 1
    assert requests[0].user_chat_id == user_id
    await bot.send_message(requests[0].user_chat_id, "Tell us about yourself")
    assert await bot.approve_chat_join_request(chat_id, user_id)
    assert (await bot.get_chat_member(chat_id, user_id)).status == "member"
    with pytest.raises(BadRequest):
        await bot.decline_chat_join_request(chat_id, user_id)


async def test_remove_is_ban_then_unban(world: tuple[Bot, int, int, httpx.AsyncClient]) -> None:
    bot, chat_id, user_id, http = world
    link = await bot.create_chat_invite_link(chat_id)
    await http.post(f"/users/{user_id}/invites", json={"invite_link": link.invite_link})
    assert await bot.ban_chat_member(chat_id, user_id)
    assert (await bot.get_chat_member(chat_id, user_id)).status == "kicked"
    assert await bot.unban_chat_member(chat_id, user_id, only_if_banned=True)
    assert (await bot.get_chat_member(chat_id, user_id)).status == "left"
    rejoined = await http.post(f"/users/{user_id}/invites", json={"invite_link": link.invite_link})
    assert rejoined.json()["outcome"] == "joined"


async def test_rights_are_required(sandbox: Sandbox) -> None:
    users = sandbox.users
    assert users is not None
    bot_info = await users.create_bot("weak_bot")
    owner = await users.create_user("Owner")
    chat = (await users.http.post("/chats", json={"title": "C", "owner_id": owner["id"]})).json()
    await users.http.post(
        f"/chats/{chat['id']}/bots", json={"bot_id": bot_info["id"], "admin_rights": {}}
    )
    async with Bot(bot_info["token"], base_url=sandbox.bot_api_base) as bot:
        with pytest.raises(BadRequest, match=r"(?i)not enough rights"):
            await bot.create_chat_invite_link(chat["id"])
        with pytest.raises(BadRequest, match=r"(?i)not enough rights"):
            await bot.ban_chat_member(chat["id"], owner["id"])


async def test_decline_leaves_the_requester_outside(
    world: tuple[Bot, int, int, httpx.AsyncClient],
) -> None:
    bot, chat_id, user_id, http = world
    link = await bot.create_chat_invite_link(chat_id, creates_join_request=True)
    await http.post(f"/users/{user_id}/invites", json={"invite_link": link.invite_link})
    assert await bot.decline_chat_join_request(chat_id, user_id)
    assert (await bot.get_chat_member(chat_id, user_id)).status == "left"
