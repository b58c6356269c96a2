"""A second client library that parses real Telegram, aiogram, reads the sandbox too."""

from __future__ import annotations

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from .conftest import Scene


async def test_aiogram_reads_every_shape(scene: Scene) -> None:
    session = AiohttpSession(api=TelegramAPIServer.from_base(scene.sandbox.url))
    bot = Bot(scene.bot_info["token"], session=session)
    try:
        me = await bot.get_me()
        assert me.username == "shop_bot"
        with pytest.raises(TelegramForbiddenError):
            await bot.send_message(scene.user_id, "too early")
        await scene.act("start", {"bot": "shop_bot"})
        (update,) = await bot.get_updates()
        assert update.message is not None
        assert update.message.text == "/start"
        keyboard = InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="Go", callback_data="go")]]
        )
        sent = await bot.send_message(scene.user_id, "Pick", reply_markup=keyboard)
        await scene.act("press", {"bot": "shop_bot", "message_id": sent.message_id, "text": "Go"})
        updates = await bot.get_updates(offset=update.update_id + 1)
        query = updates[-1].callback_query
        assert query is not None
        assert query.data == "go"
        assert await bot.answer_callback_query(query.id, text="ok")
        with pytest.raises(TelegramBadRequest):
            await bot.send_message(-1, "nowhere")
        await scene.act("messages", {"bot": "shop_bot", "text": "x"})

        async def flood() -> None:
            for n in range(20):  # the private-chat burst is 3; a 429 must come first
                await bot.send_message(scene.user_id, str(n))

        with pytest.raises(TelegramRetryAfter) as caught:
            await flood()
        assert caught.value.retry_after >= 1
        info = await bot.get_webhook_info()
        assert info.url == ""
    finally:
        await bot.session.close()
