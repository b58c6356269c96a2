"""``TelegramGateway`` on python-telegram-bot's ``Bot``, with a configurable API base URL."""

from __future__ import annotations

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    LoginUrl,
    WebAppInfo,
)
from telegram.constants import ParseMode
from telegram.error import Forbidden

from tgpass.errors import RecipientUnavailable
from tgpass.service.ports import Button, TelegramGateway


def make_bot(token: str, api_url: str) -> Bot:
    """A PTB ``Bot`` for ``api_url`` (Telegram's, or a sandbox's)."""
    base = api_url.rstrip("/")
    return Bot(token, base_url=f"{base}/bot", base_file_url=f"{base}/file/bot")


def _button(button: Button) -> InlineKeyboardButton:
    if button.url is not None:
        return InlineKeyboardButton(button.text, url=button.url)
    if button.login_url is not None:
        return InlineKeyboardButton(button.text, login_url=LoginUrl(button.login_url))
    if button.web_app_url is not None:
        return InlineKeyboardButton(button.text, web_app=WebAppInfo(button.web_app_url))
    return InlineKeyboardButton(button.text, callback_data=button.callback_data)


class PtbGateway(TelegramGateway):
    def __init__(self, bot: Bot, *, username: str = "") -> None:
        self.bot = bot
        self._username = username.removeprefix("@")
        self._started = False

    async def _ready(self) -> Bot:
        if not self._started:
            await self.bot.initialize()
            self._started = True
        return self.bot

    async def send_message(
        self, chat_id: int, text: str, *, buttons: list[list[Button]] | None = None
    ) -> None:
        bot = await self._ready()
        markup = (
            InlineKeyboardMarkup([[_button(b) for b in row] for row in buttons])
            if buttons
            else None
        )
        try:
            await bot.send_message(
                chat_id,
                text,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        except Forbidden as refused:
            raise RecipientUnavailable(str(refused)) from None

    async def answer_callback(self, callback_query_id: str, text: str | None = None) -> None:
        bot = await self._ready()
        await bot.answer_callback_query(callback_query_id, text=text)

    async def bot_username(self) -> str:
        if not self._username:
            bot = await self._ready()
            self._username = bot.username
        return self._username

    async def close(self) -> None:
        if self._started:
            await self.bot.shutdown()
            self._started = False
