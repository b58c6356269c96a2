"""The in-process form: ``async with Sandbox() as sb`` and its typed users' client."""

from __future__ import annotations

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

import tgpass
from tgpass.sandbox.server import Sandbox


async def test_typed_client_covers_the_users_side() -> None:
    async with Sandbox() as sb:
        users = sb.users
        assert users is not None
        bot_info = await users.create_bot("club_bot", web_app_url="http://127.0.0.1:9/app")
        ann = await users.create_user("Ann", phone_number="+15550003", username="ann_lee")
        bob = await users.create_user("Bob")
        chat = await users.create_chat("Club", ann["id"], username="the_club")
        admin = await users.add_bot_to_chat(chat["id"], bot_info["id"], {"can_invite_users": True})
        assert admin["status"] == "administrator"
        assert (await users.add_member(chat["id"], bob["id"]))["status"] == "member"
        assert (await users.open_link(ann["id"], "https://t.me/club_bot?start=x1"))["start"] == "x1"
        started = await users.start(ann["id"], "club_bot")
        assert started["message"]["text"] == "/start x1"
        async with Bot(bot_info["token"], base_url=sb.bot_api_base) as bot:
            markup = InlineKeyboardMarkup([[InlineKeyboardButton("ok", callback_data="ok")]])
            sent = await bot.send_message(ann["id"], "Ready?", reply_markup=markup)
            pressed = await users.press(ann["id"], "club_bot", "ok", sent.message_id)
            assert (await users.callback_answer(pressed["callback_query_id"]))["answered"] is False
            updates = await bot.get_updates()
            await bot.answer_callback_query(updates[-1].callback_query.id, text="yes")  # type: ignore[union-attr]
            assert (await users.callback_answer(pressed["callback_query_id"]))["text"] == "yes"
            link = await bot.create_chat_invite_link(chat["id"])
        contact = await users.share_contact(ann["id"], "club_bot")
        assert contact["message"]["contact"]["phone_number"] == "+15550003"
        app = await users.open_mini_app(ann["id"], "club_bot", "p")
        assert tgpass.validate_init_data(app["init_data"], bot_info["token"]).start_param == "p"
        carl = await users.create_user("Carl")
        assert (await users.open_invite(carl["id"], link.invite_link))["outcome"] == "joined"
        assert (await users.leave(carl["id"], chat["id"]))["kind"] == "left"
        assert (await users.chat(chat["id"]))["title"] == "Club"
        assert (await users.block(ann["id"], "club_bot")) == {"blocked": True}
        assert (await users.unblock(ann["id"], "club_bot")) == {"blocked": False}
        kinds = {c["type"] for c in await users.chats(ann["id"])}
        assert kinds == {"bot", "supergroup"}
        fields = await users.widget_login(ann["id"], "club_bot")
        assert tgpass.validate_login_widget(fields, bot_info["token"]).user.username == "ann_lee"
        info = await users.info()
        assert len(bytes.fromhex(info["public_key"])) == 32
        assert (await users.set_limits(enabled=False))["enabled"] is False
        assert (await users.set_faults(latency=0.01))["latency"] == 0.01
        assert (await users.clear_faults()) == {"cleared": True}
        with pytest.raises(httpx.HTTPStatusError) as caught:
            await users.start(ann["id"], "missing_bot")
        assert caught.value.response.json()["error"]["code"] == "not_found"


async def test_openapi_describes_the_control_api() -> None:
    async with Sandbox() as sb, httpx.AsyncClient() as http:
        schema = (await http.get(f"{sb.url}/openapi.json")).json()
    paths = set(schema["paths"])
    assert {
        "/sandbox/api/users",
        "/sandbox/api/users/{user_id}/press",
        "/sandbox/api/faults",
    } <= paths
    assert not any(p.startswith("/bot") for p in paths)  # the Bot API is Telegram's, not ours
