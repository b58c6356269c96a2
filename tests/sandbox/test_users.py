"""A user's side, end to end: deep links, Start, buttons of every kind, contacts, Mini Apps."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    LoginUrl,
    ReplyKeyboardMarkup,
    WebAppInfo,
)

import tgpass

from .conftest import Scene


async def test_deep_link_then_start(scene: Scene) -> None:
    opened = await scene.act("open", {"url": "https://t.me/shop_bot?start=link_abc"})
    assert opened == {"kind": "chat", "bot": "shop_bot", "start": "link_abc"}
    assert await scene.bot.get_updates() == ()  # nothing is sent until Start is pressed
    await scene.act("start", {"bot": "shop_bot"})
    (update,) = await scene.bot.get_updates()
    assert update.message is not None
    assert update.message.text == "/start link_abc"


async def test_callback_button_and_its_answer(scene: Scene) -> None:
    await scene.act("start", {"bot": "shop_bot"})
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Buy", callback_data="buy:7")]])
    sent = await scene.bot.send_message(scene.user_id, "Pick", reply_markup=keyboard)
    pressed = await scene.act(
        "press", {"bot": "shop_bot", "message_id": sent.message_id, "text": "Buy"}
    )
    assert pressed["kind"] == "callback"
    *_, update = await scene.bot.get_updates()
    query = update.callback_query
    assert query is not None
    assert query.data == "buy:7"
    assert query.message is not None
    assert query.message.message_id == sent.message_id
    assert query.chat_instance
    assert await query.answer("Done!")
    answer = (await scene.api.get(f"/callback_queries/{pressed['callback_query_id']}")).json()
    assert answer["answered"]
    assert answer["text"] == "Done!"


async def test_login_url_button_signs_for_the_user(scene: Scene) -> None:
    await scene.act("start", {"bot": "shop_bot"})
    button = InlineKeyboardButton("Sign in", login_url=LoginUrl("https://site.test/tg?next=%2Fme"))
    sent = await scene.bot.send_message(
        scene.user_id, "Sign in", reply_markup=InlineKeyboardMarkup([[button]])
    )
    pressed = await scene.act(
        "press", {"bot": "shop_bot", "message_id": sent.message_id, "text": "Sign in"}
    )
    query = parse_qs(urlsplit(pressed["url"]).query)
    fields = {k: v[0] for k, v in query.items() if k != "next"}
    login = tgpass.validate_login_widget(fields, scene.bot_info["token"])
    assert login.id == scene.user_id
    assert query["next"] == ["/me"]


async def test_web_app_button_opens_with_signed_init_data(scene: Scene) -> None:
    await scene.act("start", {"bot": "shop_bot"})
    button = InlineKeyboardButton("Shop", web_app=WebAppInfo("http://127.0.0.1:9/app"))
    sent = await scene.bot.send_message(
        scene.user_id, "Open", reply_markup=InlineKeyboardMarkup([[button]])
    )
    pressed = await scene.act(
        "press", {"bot": "shop_bot", "message_id": sent.message_id, "text": "Shop"}
    )
    assert pressed["kind"] == "web_app"
    data = tgpass.validate_init_data(pressed["init_data"], scene.bot_info["token"])
    assert data.user is not None
    assert data.user.id == scene.user_id
    info = (await scene.api.get("/info")).json()
    bot_id = int(scene.bot_info["id"])
    assert tgpass.validate_init_data_signature(
        pressed["init_data"], bot_id, public_key=info["public_key"]
    )


async def test_startapp_link_passes_start_param(scene: Scene) -> None:
    opened = await scene.act("open", {"url": "https://t.me/shop_bot?startapp=promo_1"})
    data = tgpass.validate_init_data(opened["init_data"], scene.bot_info["token"])
    assert data.start_param == "promo_1"
    assert opened["url"].startswith("http://127.0.0.1:9/app#tgWebAppData=")


async def test_request_contact_shares_the_users_own_contact(scene: Scene) -> None:
    await scene.act("start", {"bot": "shop_bot"})
    keyboard = ReplyKeyboardMarkup([[KeyboardButton("Share phone", request_contact=True)]])
    await scene.bot.send_message(scene.user_id, "Your phone?", reply_markup=keyboard)
    dialog = (await scene.api.get(f"/users/{scene.user_id}/dialogs/shop_bot")).json()
    assert dialog["reply_keyboard"]["keyboard"][0][0]["request_contact"] is True
    await scene.act("press", {"bot": "shop_bot", "text": "Share phone"})
    *_, update = await scene.bot.get_updates()
    assert update.message is not None
    contact = update.message.contact
    assert contact is not None
    assert contact.user_id == scene.user_id
    assert update.message.from_user is not None
    assert contact.user_id == update.message.from_user.id
    assert contact.phone_number == "+15550001"


async def test_reply_keyboard_text_button_sends_its_text(scene: Scene) -> None:
    await scene.act("start", {"bot": "shop_bot"})
    await scene.bot.send_message(scene.user_id, "?", reply_markup=ReplyKeyboardMarkup([["/me"]]))
    await scene.act("press", {"bot": "shop_bot", "text": "/me"})
    *_, update = await scene.bot.get_updates()
    assert update.message is not None
    assert update.message.text == "/me"


async def test_chat_list_and_unknown_things(scene: Scene) -> None:
    await scene.act("start", {"bot": "shop_bot"})
    chats = (await scene.api.get(f"/users/{scene.user_id}/chats")).json()
    assert [c["bot"]["username"] for c in chats] == ["shop_bot"]
    missing = await scene.api.post(f"/users/{scene.user_id}/start", json={"bot": "nobody_bot"})
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    nobody = await scene.api.get("/users/1/chats")
    assert nobody.status_code == 404


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/users", {"first_name": ""}),
        ("/users", {"first_name": "A", "username": "no spaces"}),
        ("/users", {}),
        ("/bots", {"username": "x"}),
        ("/chats", {"title": "t", "owner_id": 1}),
        ("/chats", {"title": "t", "owner_id": "x"}),
    ],
)
async def test_bad_control_input_is_a_4xx(scene: Scene, path: str, body: dict[str, object]) -> None:
    answer = await scene.api.post(path, json=body)
    assert 400 <= answer.status_code < 500
