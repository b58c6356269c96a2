"""request_chat buttons: the user shares a group they own, or a new one, and the bot joins it
with the rights it asked for."""

from __future__ import annotations

import pytest
from telegram import (
    ChatAdministratorRights,
    KeyboardButton,
    KeyboardButtonRequestChat,
    ReplyKeyboardMarkup,
)
from telegram.error import BadRequest

from tests.browser import browser_page, screenshot

from .conftest import Scene

RIGHTS = ChatAdministratorRights(
    is_anonymous=False,
    can_manage_chat=True,
    can_delete_messages=False,
    can_manage_video_chats=False,
    can_restrict_members=True,
    can_promote_members=False,
    can_change_info=False,
    can_invite_users=True,
    can_post_stories=False,
    can_edit_stories=False,
    can_delete_stories=False,
)


async def _ask_for_a_group(scene: Scene) -> None:
    await scene.act("start", {"bot": "shop_bot"})
    button = KeyboardButton(
        "Pick a group",
        request_chat=KeyboardButtonRequestChat(
            request_id=7, chat_is_channel=False, bot_administrator_rights=RIGHTS, request_title=True
        ),
    )
    markup = ReplyKeyboardMarkup([[button]], one_time_keyboard=True)
    await scene.bot.send_message(scene.user_id, "Which group shall I guard?", reply_markup=markup)
    await scene.bot.get_updates(allowed_updates=["message", "my_chat_member"])


async def test_the_user_shares_a_group_they_own(scene: Scene) -> None:
    users = scene.sandbox.users
    assert users is not None
    other_owner = await users.create_user("Other")
    owned = await users.create_chat("Club", scene.user_id)
    joined = await users.create_chat("Not mine", other_owner["id"], members=[scene.user_id])
    await users.create_chat("News", scene.user_id, type="channel")
    await _ask_for_a_group(scene)
    offered = await users.press(scene.user_id, "shop_bot", "Pick a group")
    assert offered["kind"] == "request_chat"
    assert [c["id"] for c in offered["chats"]] == [owned["id"]]  # owned, not a channel
    with pytest.raises(Exception, match="403"):
        await users.share_chat(scene.user_id, "shop_bot", 7, chat_id=joined["id"])
    await users.share_chat(scene.user_id, "shop_bot", 7, chat_id=owned["id"])
    updates = await scene.bot.get_updates(offset=-10)
    shared = [u.message.chat_shared for u in updates if u.message and u.message.chat_shared]
    assert [(s.request_id, s.chat_id, s.title) for s in shared] == [(7, owned["id"], "Club")]
    promoted = [u.my_chat_member for u in updates if u.my_chat_member]
    assert [(p.old_chat_member.status, p.new_chat_member.status) for p in promoted] == [
        ("left", "administrator")
    ]
    admin = await scene.bot.get_chat_member(owned["id"], int(scene.bot_info["id"]))
    assert admin.status == "administrator"
    assert admin.can_invite_users and admin.can_restrict_members  # type: ignore[attr-defined]
    assert not admin.can_delete_messages  # type: ignore[attr-defined]
    assert (await users.dialog(scene.user_id, "shop_bot"))["reply_keyboard"] is None  # one-time


async def test_the_user_creates_a_group_to_share(scene: Scene) -> None:
    users = scene.sandbox.users
    assert users is not None
    await _ask_for_a_group(scene)
    answer = await users.share_chat(scene.user_id, "shop_bot", 7, new_title="Book club")
    chat_id = answer["chat"]["id"]
    assert answer["chat"]["type"] == "supergroup"
    assert (await scene.bot.get_chat_member(chat_id, scene.user_id)).status == "creator"
    assert (await scene.bot.create_chat_invite_link(chat_id)).invite_link.startswith(
        "https://t.me/+"
    )
    message = answer["message"]
    assert message["chat_shared"] == {"request_id": 7, "chat_id": chat_id, "title": "Book club"}


async def test_a_malformed_request_chat_is_refused(scene: Scene) -> None:
    await scene.act("start", {"bot": "shop_bot"})
    markup = {"keyboard": [[{"text": "Pick", "request_chat": {"request_id": 1}}]]}
    with pytest.raises(BadRequest, match="chat_is_channel"):
        await scene.bot.send_message(scene.user_id, "x", reply_markup=markup)  # type: ignore[arg-type]


async def test_sharing_a_new_group_on_the_phone(scene: Scene) -> None:
    users = scene.sandbox.users
    assert users is not None
    await users.set_limits(enabled=False)
    await _ask_for_a_group(scene)
    async with browser_page() as page:
        await page.set_viewport_size({"width": 390, "height": 844})
        await page.goto(f"{scene.sandbox.url}/?user={scene.user_id}")
        await page.get_by_test_id("chat-shop_bot").click()
        await page.get_by_role("button", name="Pick a group").click()
        picker = page.get_by_test_id("chat-picker")
        await picker.wait_for(state="visible")
        await page.get_by_test_id("new-chat-title").fill("Book club")
        await screenshot(page, "phone-request-chat")
        await page.get_by_test_id("new-chat-go").click()
        await picker.wait_for(state="hidden")
        await page.get_by_test_id("msg-mine").filter(has_text="shared Book club").wait_for()
    updates = await scene.bot.get_updates(offset=-10)
    shared = [u.message.chat_shared for u in updates if u.message and u.message.chat_shared]
    assert [s.title for s in shared] == ["Book club"]
    member = await scene.bot.get_chat_member(shared[0].chat_id, int(scene.bot_info["id"]))
    assert member.status == "administrator"
