"""``/sandbox/api/chats``: groups and channels: made, read with their members and messages,
given bots, members and a guard bot, and upgraded from a basic group to a supergroup."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from tgpass.sandbox import join_requests, membership, migration
from tgpass.sandbox.state import SandboxState
from tgpass.sandbox.users import bot_of, group_of

Json = dict[str, Any]


class NewChat(BaseModel):
    title: str = Field(min_length=1, max_length=128)
    type: str = Field("supergroup", pattern="^(group|supergroup|channel)$")
    owner_id: int
    username: str | None = None
    members: list[int] = []


class BotInChat(BaseModel):
    bot_id: int
    admin_rights: Json | None = None


class GuardBot(BaseModel):
    bot_id: int | None  # None: no guard bot; requests go to every administrator bot


class Upgrade(BaseModel):
    user_id: int | None = None  # who upgrades it; the owner when left out


class Member(BaseModel):
    user_id: int


def router(state: SandboxState) -> APIRouter:
    api = APIRouter()
    world = state.world

    @api.post("/chats", status_code=201)
    async def create_chat(body: NewChat) -> Json:
        for user_id in (body.owner_id, *body.members):
            world.account(user_id)
        chat = world.add_chat(
            body.title,
            type=body.type,
            owner_id=body.owner_id,
            username=body.username,
            members=body.members,
        )
        return chat.as_chat()

    @api.get("/chats/{chat_id}")
    async def get_chat(chat_id: int) -> Json:
        chat = group_of(world, chat_id)
        members = [world.member_json(chat, uid) for uid in chat.members]
        return {**chat.as_chat(), "members": members, "messages": chat.messages}

    @api.post("/chats/{chat_id}/bots")
    async def add_bot_to_chat(chat_id: int, body: BotInChat) -> Json:
        bot, chat = bot_of(world, body.bot_id), group_of(world, chat_id)
        membership.add_bot_to_chat(world, bot.id, chat.id, admin_rights=body.admin_rights)
        member = world.member_json(chat, bot.id)
        await state.notify()
        return member

    @api.put("/chats/{chat_id}/guard_bot")
    async def set_guard_bot(chat_id: int, body: GuardBot) -> Json:
        """The owner assigns the bot that processes the chat's join request queries."""
        join_requests.assign_guard_bot(world, group_of(world, chat_id), body.bot_id)
        return {"chat_id": chat_id, "guard_bot_id": body.bot_id}

    @api.post("/chats/{chat_id}/upgrade")
    async def upgrade_group(chat_id: int, body: Upgrade | None = None) -> Json:
        """Upgrade a basic group to a supergroup: a new id, the old one answers 400 with
        ``migrate_to_chat_id``; bots get the two migration service messages."""
        group_of(world, chat_id)
        supergroup = migration.upgrade_group(world, chat_id, body.user_id if body else None)
        upgraded = {**supergroup.as_chat(), "migrate_from_chat_id": chat_id}
        await state.notify()
        return upgraded

    @api.post("/chats/{chat_id}/members")
    async def add_member(chat_id: int, body: Member) -> Json:
        world.account(body.user_id)
        chat = group_of(world, chat_id)
        membership.join(world, body.user_id, chat, None)
        member = world.member_json(chat, body.user_id)
        await state.notify()
        return member

    return api
