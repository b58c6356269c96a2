"""The sandbox's Bot API, driven by python-telegram-bot: the library that parses real Telegram
checks every shape the sandbox answers with."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken

from tgpass.sandbox.server import Sandbox


@pytest.fixture
async def bot_and_user(sandbox: Sandbox) -> AsyncIterator[tuple[Bot, dict[str, object]]]:
    assert sandbox.users is not None
    info = await sandbox.users.create_bot("shop_bot", first_name="Shop")
    user = await sandbox.users.create_user("Зоя 🚀", username="zoya", last_name="D'Arc")
    bot = Bot(str(info["token"]), base_url=sandbox.bot_api_base)
    async with bot:
        yield bot, user


async def test_get_me(bot_and_user: tuple[Bot, dict[str, object]]) -> None:
    bot, _ = bot_and_user
    me = await bot.get_me()
    assert me.is_bot
    assert me.username == "shop_bot"
    assert me.id > 2**32


async def test_unknown_token_is_401_and_unknown_method_404(sandbox: Sandbox) -> None:
    with pytest.raises(InvalidToken):
        async with Bot("123:nope", base_url=sandbox.bot_api_base) as stranger:
            await stranger.get_me()
    async with httpx.AsyncClient() as http:
        token = next(iter(sandbox.world.bots_by_token), None)
        assert token is None
        bot = sandbox.world.add_bot("x_bot")
        answer = await http.post(f"{sandbox.bot_api_base}{bot.token}/noSuchMethod")
    assert answer.status_code == 404
    assert answer.json() == {"ok": False, "error_code": 404, "description": "Not Found"}


async def test_start_deep_link_then_reply(
    bot_and_user: tuple[Bot, dict[str, object]], sandbox: Sandbox
) -> None:
    bot, user = bot_and_user
    assert sandbox.users is not None
    user_id = int(str(user["id"]))
    await sandbox.users.start(user_id, "shop_bot", "code_123")
    updates = await bot.get_updates(timeout=1)
    assert len(updates) == 1
    message = updates[0].message
    assert message is not None
    assert message.text == "/start code_123"
    assert message.from_user is not None
    assert message.from_user.first_name == "Зоя 🚀"
    assert message.entities[0].type == "bot_command"
    assert message.entities[0].length == 6
    assert message.chat.type == "private"
    assert message.chat.id == user_id
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Pay", callback_data="pay:1")]])
    sent = await bot.send_message(
        user_id, "Hello, <b>Зоя</b>", parse_mode="HTML", reply_markup=keyboard
    )
    assert sent.chat.id == user_id
    dialog = await sandbox.users.dialog(user_id, "shop_bot")
    assert dialog["messages"][-1]["text"] == "Hello, Зоя"
    assert dialog["messages"][-1]["entities"] == [{"type": "bold", "offset": 7, "length": 3}]
    assert (
        dialog["messages"][-1]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "pay:1"
    )
    # confirmed by the next offset
    assert await bot.get_updates(offset=updates[0].update_id + 1) == ()


async def test_long_poll_wakes_when_a_user_writes(
    bot_and_user: tuple[Bot, dict[str, object]], sandbox: Sandbox
) -> None:
    bot, user = bot_and_user
    assert sandbox.users is not None
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.2)
    assert not poll.done()
    await sandbox.users.send(int(str(user["id"])), "shop_bot", "hi")
    updates = await asyncio.wait_for(poll, 3)
    assert updates[0].message is not None
    assert updates[0].message.text == "hi"


async def test_bot_cannot_write_first_and_blocked_is_403(
    bot_and_user: tuple[Bot, dict[str, object]], sandbox: Sandbox
) -> None:
    bot, user = bot_and_user
    assert sandbox.users is not None
    user_id = int(str(user["id"]))
    with pytest.raises(Forbidden, match="can't initiate conversation"):
        await bot.send_message(user_id, "hello")
    await sandbox.users.start(user_id, "shop_bot")
    await bot.send_message(user_id, "hello")
    await sandbox.users.http.post(f"/users/{user_id}/block", json={"bot": "shop_bot"})
    with pytest.raises(Forbidden, match="blocked by the user"):
        await bot.send_message(user_id, "hello")
    kinds = [
        u.my_chat_member.new_chat_member.status for u in await bot.get_updates() if u.my_chat_member
    ]
    assert kinds == ["kicked"]


async def test_bad_requests(bot_and_user: tuple[Bot, dict[str, object]], sandbox: Sandbox) -> None:
    bot, user = bot_and_user
    assert sandbox.users is not None
    with pytest.raises(BadRequest, match=r"[Cc]hat not found"):
        await bot.send_message(-100999, "x")
    await sandbox.users.start(int(str(user["id"])), "shop_bot")
    with pytest.raises(BadRequest, match=r"[Mm]essage text is empty"):
        await bot.send_message(int(str(user["id"])), " ")
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(
            int(str(user["id"])),
            "x",
            reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton("x", callback_data="x" * 65)]]
            ),
        )


async def test_webhook_blocks_get_updates(bot_and_user: tuple[Bot, dict[str, object]]) -> None:
    bot, _ = bot_and_user
    assert await bot.set_webhook("https://example.invalid/hook", secret_token="s3cret_-")
    info = await bot.get_webhook_info()
    assert info.url == "https://example.invalid/hook"
    with pytest.raises(Conflict):
        await bot.get_updates()
    with pytest.raises(BadRequest):
        await bot.set_webhook("https://example.invalid/hook", secret_token="bad token!")
    assert await bot.delete_webhook()
    assert await bot.get_updates() == ()
