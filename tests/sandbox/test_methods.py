"""The remaining Bot API methods, each through python-telegram-bot."""

from __future__ import annotations

import pytest
from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MenuButtonWebApp,
    WebAppInfo,
)
from telegram.error import BadRequest

from .conftest import Scene

ADMIN = {"can_invite_users": True, "can_restrict_members": True}


async def test_edit_and_delete_messages(scene: Scene) -> None:
    await scene.act("start", {"bot": "shop_bot"})
    sent = await scene.bot.send_message(scene.user_id, "draft")
    edited = await scene.bot.edit_message_text(
        "final",
        chat_id=scene.user_id,
        message_id=sent.message_id,
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("ok", callback_data="ok")]]),
    )
    assert edited.text == "final"  # type: ignore[union-attr]
    assert edited.edit_date is not None  # type: ignore[union-attr]
    with pytest.raises(BadRequest, match=r"(?i)not modified"):
        await scene.bot.edit_message_text(
            "final",
            chat_id=scene.user_id,
            message_id=sent.message_id,
            reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("ok", callback_data="ok")]]),
        )
    assert await scene.bot.delete_message(scene.user_id, sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)not found"):
        await scene.bot.delete_message(scene.user_id, sent.message_id)
    dialog = await scene.sandbox.users.dialog(scene.user_id, "shop_bot")  # type: ignore[union-attr]
    assert [m.get("text") for m in dialog["messages"]] == ["/start"]


async def test_commands_and_menu_button(scene: Scene) -> None:
    commands = [BotCommand("login", "Sign in to the site"), BotCommand("me", "Who am I")]
    assert await scene.bot.set_my_commands(commands)
    assert await scene.bot.get_my_commands() == tuple(commands)
    with pytest.raises(BadRequest):
        await scene.bot.set_my_commands([BotCommand("Bad-Command", "x")])
    assert await scene.bot.delete_my_commands()
    assert await scene.bot.get_my_commands() == ()
    button = MenuButtonWebApp("Open", WebAppInfo("http://127.0.0.1:9/other"))
    assert await scene.bot.set_chat_menu_button(menu_button=button)
    assert await scene.bot.get_chat_menu_button() == button
    opened = await scene.act("mini_app", {"bot": "shop_bot"})
    assert opened["url"].startswith("http://127.0.0.1:9/other#tgWebAppData=")


async def test_get_chat_for_dialogs_and_groups(scene: Scene) -> None:
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await scene.bot.get_chat(scene.user_id)
    await scene.act("start", {"bot": "shop_bot"})
    private = await scene.bot.get_chat(scene.user_id)
    assert private.type == "private"
    assert private.first_name == "Зоя 🚀"
    group = await _group(scene)
    full = await scene.bot.get_chat(group)
    assert full.title == "Club"
    assert full.type == "supergroup"
    assert await scene.bot.get_chat_member_count(group) == 2
    admins = await scene.bot.get_chat_administrators(group)
    assert sorted(a.status for a in admins) == ["administrator", "creator"]
    bot_admin = next(a for a in admins if a.user.id == int(scene.bot_info["id"]))
    assert bot_admin.can_invite_users  # type: ignore[attr-defined]


async def _group(scene: Scene) -> int:
    chat = (
        await scene.api.post(
            "/chats", json={"title": "Club", "owner_id": scene.user_id, "username": "club"}
        )
    ).json()
    await scene.api.post(
        f"/chats/{chat['id']}/bots", json={"bot_id": scene.bot_info["id"], "admin_rights": ADMIN}
    )
    return int(chat["id"])


async def test_edit_and_revoke_invite_links(scene: Scene) -> None:
    group = await _group(scene)
    link = await scene.bot.create_chat_invite_link(group, name="spring", member_limit=10)
    edited = await scene.bot.edit_chat_invite_link(group, link.invite_link, member_limit=2)
    assert (edited.name, edited.member_limit) == ("spring", 2)
    with pytest.raises(BadRequest):
        await scene.bot.edit_chat_invite_link(group, link.invite_link, creates_join_request=True)
    revoked = await scene.bot.revoke_chat_invite_link(group, link.invite_link)
    assert revoked.is_revoked
    other = (await scene.api.post("/users", json={"first_name": "Late"})).json()
    refused = await scene.api.post(
        f"/users/{other['id']}/invites", json={"invite_link": link.invite_link}
    )
    assert refused.status_code == 403


async def test_chat_by_username_and_group_messages(scene: Scene) -> None:
    await _group(scene)
    sent = await scene.bot.send_message("@club", "Welcome")
    assert sent.chat.type == "supergroup"


async def test_unban_without_only_if_banned_removes_a_member(scene: Scene) -> None:
    group = await _group(scene)
    member = (await scene.api.post("/users", json={"first_name": "M"})).json()
    await scene.api.post(f"/chats/{group}/members", json={"user_id": member["id"]})
    assert (await scene.bot.get_chat_member(group, member["id"])).status == "member"
    assert await scene.bot.unban_chat_member(group, member["id"], only_if_banned=True)
    assert (await scene.bot.get_chat_member(group, member["id"])).status == "member"
    assert await scene.bot.unban_chat_member(group, member["id"])
    assert (await scene.bot.get_chat_member(group, member["id"])).status == "left"


async def test_drop_pending_updates_and_allowed_updates(scene: Scene) -> None:
    await scene.act("messages", {"bot": "shop_bot", "text": "old"})
    assert await scene.bot.delete_webhook(drop_pending_updates=True)
    assert await scene.bot.get_updates() == ()
    await scene.act("messages", {"bot": "shop_bot", "text": "new"})
    assert await scene.bot.get_updates(allowed_updates=["callback_query"]) != ()  # queued before
    await scene.act("messages", {"bot": "shop_bot", "text": "filtered"})
    updates = await scene.bot.get_updates()
    assert [u.message.text for u in updates if u.message] == ["new"]
