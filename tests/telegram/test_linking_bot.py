"""Linking through the bot, end to end: the site's link opened in the sandbox Telegram, Start
pressed, the update read by python-telegram-bot and handled by the service."""

from __future__ import annotations

from typing import Any

import pytest
from telegram import InlineKeyboardButton

from tests.harness.stack import SITE, Stack
from tgpass.domain.accounts import TelegramProfile
from tgpass.service.bot.core import Message


async def link_offer(stack: Stack) -> str:
    answer = await stack.web.post("/api/link")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["url"].startswith("https://t.me/example_site_bot?start=")
    assert body["qr_svg"].startswith("<svg")
    return str(body["url"])


async def open_and_start(stack: Stack, tg: int, url: str) -> None:
    await stack.users.open_link(tg, url)
    await stack.users.start(tg, stack.bot_username)
    assert await stack.pump() >= 1


async def test_link_through_the_bot(stack: Stack) -> None:
    await stack.register("ann")
    url = await link_offer(stack)
    tg = await stack.new_tg_user("Зоя 🚀", username="zoya_t")
    assert (await stack.web.get("/api/link")).json()["linked"] is False
    await open_and_start(stack, tg, url)
    said = await stack.bot_says(tg)
    assert "Linked!" in said[-1]["text"]
    assert "Зоя 🚀" in said[-1]["text"]  # greeted by name
    assert "ann" in said[-1]["text"]
    status = (await stack.web.get("/api/link")).json()
    assert status["linked"] is True
    assert status["telegram"]["id"] == tg
    assert status["telegram"]["can_message"] is True
    # the code works once
    other = await stack.new_tg_user("Mallory")
    await open_and_start(stack, other, url)
    assert "expired or was already used" in (await stack.bot_says(other))[-1]["text"]
    assert (await stack.web.get("/api/link")).json()["telegram"]["id"] == tg


async def test_unknown_codes_and_bare_start(stack: Stack) -> None:
    tg = await stack.new_tg_user("Ann")
    await open_and_start(stack, tg, "https://t.me/example_site_bot?start=not_a_real_code")
    assert "expired or was already used" in (await stack.bot_says(tg))[-1]["text"]
    await stack.users.send(tg, stack.bot_username, "/start")
    await stack.pump()
    assert "To link your account" in (await stack.bot_says(tg))[-1]["text"]
    assert f"{SITE}/account" in (await stack.bot_says(tg))[-1]["text"]


async def test_login_link_signs_in_once(stack: Stack) -> None:
    await stack.register("ann")
    tg = await stack.new_tg_user("Ann")
    await open_and_start(stack, tg, await link_offer(stack))
    await stack.users.send(tg, stack.bot_username, "/login")
    await stack.pump()
    reply = (await stack.bot_says(tg))[-1]
    button = InlineKeyboardButton.de_json(reply["reply_markup"]["inline_keyboard"][0][0], None)
    assert button is not None
    assert button.url is not None
    assert button.url.startswith(f"{SITE}/auth/bot?code=")
    stack.web.cookies.clear()
    path = button.url.removeprefix(SITE)
    first = await stack.web.get(path)
    assert first.status_code == 303
    me = (await stack.web.get("/api/me")).json()
    assert (me["user"]["username"], me["source"]) == ("ann", "bot")
    stack.web.cookies.clear()
    again = await stack.web.get(path)
    assert again.status_code == 401
    assert "expired or was already used" in again.text


async def test_bot_sign_in_creates_an_account_for_a_new_telegram_user(stack: Stack) -> None:
    tg = await stack.new_tg_user("Newcomer")
    await stack.users.open_link(tg, "https://t.me/example_site_bot?start=login")
    await stack.users.start(tg, stack.bot_username)
    await stack.pump()
    reply = (await stack.bot_says(tg))[-1]
    url = reply["reply_markup"]["inline_keyboard"][0][0]["url"]
    assert (await stack.web.get(url.removeprefix(SITE))).status_code == 303
    me = (await stack.web.get("/api/me")).json()
    assert me["user"]["display_name"] == "Newcomer"
    assert me["telegram"]["can_message"] is True


@pytest.mark.parametrize("stack", [{"telegram_signup": False}], indirect=True)
async def test_bot_sign_in_refused_to_strangers_when_signup_is_off(stack: Stack) -> None:
    tg = await stack.new_tg_user("Stranger")
    await stack.users.send(tg, stack.bot_username, "/login")
    await stack.pump()
    assert "To link your account" in (await stack.bot_says(tg))[-1]["text"]


async def test_restricted_commands_contacts_and_unlink(stack: Stack) -> None:
    tg = await stack.new_tg_user("Ann", phone_number="+15550009")
    await stack.users.send(tg, stack.bot_username, "/me")
    await stack.pump()
    assert "for linked accounts" in (await stack.bot_says(tg))[-1]["text"]
    await stack.register("ann")
    await open_and_start(stack, tg, await link_offer(stack))
    await stack.users.send(tg, stack.bot_username, "/me")
    await stack.pump()
    assert "<b>" not in (await stack.bot_says(tg))[-1]["text"]  # HTML became entities
    assert "You are ann" in (await stack.bot_says(tg))[-1]["text"]
    await stack.users.share_contact(tg, stack.bot_username)
    await stack.pump()
    assert "phone number is saved" in (await stack.bot_says(tg))[-1]["text"]
    assert (await stack.web.get("/api/me")).json()["telegram"]["phone_number"] == "+15550009"
    await stack.users.send(tg, stack.bot_username, "/unlink")
    await stack.pump()
    assert "Unlinked" in (await stack.bot_says(tg))[-1]["text"]
    assert (await stack.web.get("/api/link")).json()["linked"] is False


async def test_someone_elses_contact_is_not_saved(stack: Stack) -> None:
    await stack.register("ann")
    tg = await stack.new_tg_user("Ann")
    await open_and_start(stack, tg, await link_offer(stack))
    # A forwarded contact of someone else: contact.user_id is not the sender's id.
    event = Message(
        update_id=10**9,
        chat_id=tg,
        sender=TelegramProfile(telegram_id=tg, first_name="Ann"),
        contact_user_id=tg + 1,
        contact_phone="+19999999",
    )
    await stack.services.bot.handle(event)
    assert "your own contact" in (await stack.bot_says(tg))[-1]["text"]
    assert (await stack.web.get("/api/me")).json()["telegram"]["phone_number"] is None


async def linked_then_asked_to_move(stack: Stack) -> tuple[int, dict[str, Any]]:
    """A Telegram user linked to account "first" redeems a code of account "second"."""
    tg = await stack.new_tg_user("Ann")
    await stack.register("first")
    await open_and_start(stack, tg, await link_offer(stack))
    stack.web.cookies.clear()
    await stack.register("second")
    await open_and_start(stack, tg, await link_offer(stack))
    return tg, (await stack.bot_says(tg))[-1]


async def test_relinking_needs_the_telegram_owners_consent(stack: Stack) -> None:
    tg, ask = await linked_then_asked_to_move(stack)
    assert "Move it to" in ask["text"]
    assert (await stack.web.get("/api/link")).json()["linked"] is False  # nothing moved yet
    pressed = await stack.users.press(tg, stack.bot_username, "Yes, move it", ask["message_id"])
    assert pressed["kind"] == "callback"
    await stack.pump()
    assert (await stack.users.callback_answer(pressed["callback_query_id"]))["answered"]
    assert "Moved" in (await stack.bot_says(tg))[-1]["text"]
    assert (await stack.web.get("/api/link")).json()["telegram"]["id"] == tg
    first = await stack.services.accounts.find_user(username="first")
    assert first is not None
    assert await stack.services.accounts.telegram_link(user_id=first.id) is None


async def test_declined_relink_keeps_the_link(stack: Stack) -> None:
    tg, ask = await linked_then_asked_to_move(stack)
    await stack.users.press(tg, stack.bot_username, "No, keep it", ask["message_id"])
    await stack.pump()
    assert "Nothing changed" in (await stack.bot_says(tg))[-1]["text"]
    first = await stack.services.accounts.find_user(username="first")
    assert first is not None
    link = await stack.services.accounts.telegram_link(user_id=first.id)
    assert link is not None


async def test_blocking_the_bot_is_recorded(stack: Stack) -> None:
    await stack.register("ann")
    tg = await stack.new_tg_user("Ann")
    await open_and_start(stack, tg, await link_offer(stack))
    await stack.users.block(tg, stack.bot_username)
    await stack.pump()
    assert (await stack.web.get("/api/me")).json()["telegram"]["can_message"] is False
    await stack.users.unblock(tg, stack.bot_username)
    await stack.pump()
    assert (await stack.web.get("/api/me")).json()["telegram"]["can_message"] is True


async def test_each_update_is_handled_once_and_others_are_ignored(stack: Stack) -> None:
    tg = await stack.new_tg_user("Ann")
    sender = TelegramProfile(telegram_id=tg, first_name="Ann")
    event = Message(update_id=77, chat_id=tg, sender=sender, text="/help")
    await stack.users.start(tg, stack.bot_username)  # the dialog exists
    await stack.pump()
    assert (await stack.services.bot.handle(event)).outcome == "handled"
    assert (await stack.services.bot.handle(event)).outcome == "duplicate"
    helps = [m for m in await stack.bot_says(tg) if m["text"].startswith("I link your")]
    assert len(helps) == 1
    await stack.users.send(tg, stack.bot_username, "just chatting")
    before = len(await stack.bot_says(tg))
    await stack.pump()
    said = await stack.bot_says(tg)
    assert len(said) == before + 1  # not a command: a short help, never silence
    assert said[-1]["text"].startswith("I only understand commands")
