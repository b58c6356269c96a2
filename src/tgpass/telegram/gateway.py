"""``Messenger`` on python-telegram-bot's ``Bot``, with a configurable API base URL. Every
Bot API fault leaves here as one of tgpass's typed Telegram errors."""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from telegram import (
    Bot,
    BotCommand,
    ChatAdministratorRights,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    KeyboardButtonRequestChat,
    LoginUrl,
    ReplyKeyboardMarkup,
    WebAppInfo,
)
from telegram import error as ptb
from telegram.warnings import PTBUserWarning

from tgpass.domain.delivery import Button, OutgoingMessage
from tgpass.errors import (
    ChatMigrated,
    RecipientUnavailable,
    TelegramRateLimited,
    TelegramRefused,
    TelegramTransient,
)
from tgpass.service.ports import Messenger

from .transport import AiohttpRequest

POOL = 256  # connections: the outbox sends many messages at once
# A send that times out may still have been delivered, and is retried: a duplicate. So the
# client waits long; the sender keeps this much of a row's lease in hand (SEND_TIMEOUT).
READ_TIMEOUT = 15.0
SEND_TIMEOUT = 5.0 + 5.0 + READ_TIMEOUT  # connect + write + read


def make_bot(token: str, api_url: str) -> Bot:
    """A PTB ``Bot`` for ``api_url`` (Telegram's, or a sandbox's)."""
    base = api_url.rstrip("/")
    return Bot(
        token,
        base_url=f"{base}/bot",
        base_file_url=f"{base}/file/bot",
        request=AiohttpRequest(connections=POOL, read_timeout=READ_TIMEOUT),
        get_updates_request=AiohttpRequest(connections=2, read_timeout=READ_TIMEOUT),
    )


def _button(button: Button) -> InlineKeyboardButton:
    if button.url is not None:
        return InlineKeyboardButton(button.text, url=button.url)
    if button.login_url is not None:
        return InlineKeyboardButton(button.text, login_url=LoginUrl(button.login_url))
    if button.web_app_url is not None:
        return InlineKeyboardButton(button.text, web_app=WebAppInfo(button.web_app_url))
    return InlineKeyboardButton(button.text, callback_data=button.callback_data)


# What a gated chat's bot must be allowed (domain.gating.REQUIRED_RIGHTS), and nothing more.
GATING_RIGHTS = ChatAdministratorRights(
    is_anonymous=False,
    can_manage_chat=False,
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


def _keyboard(rows: tuple[tuple[Button, ...], ...]) -> InlineKeyboardMarkup | ReplyKeyboardMarkup:
    if not any(b.request_chat is not None for row in rows for b in row):
        return InlineKeyboardMarkup([[_button(b) for b in row] for row in rows])
    # A supergroup the operator owns (or creates there), the bot made its administrator.
    keys = [
        [
            KeyboardButton(
                b.text,
                request_chat=KeyboardButtonRequestChat(
                    request_id=b.request_chat or 0,
                    chat_is_channel=False,
                    chat_is_created=True,
                    user_administrator_rights=GATING_RIGHTS,
                    bot_administrator_rights=GATING_RIGHTS,
                    request_title=True,
                ),
            )
            for b in row
        ]
        for row in rows
    ]
    return ReplyKeyboardMarkup(keys, resize_keyboard=True, one_time_keyboard=True)


@asynccontextmanager
async def typed_faults(method: str) -> AsyncIterator[None]:
    """PTB's exceptions as tgpass's Telegram error tree (most specific first: in PTB,
    BadRequest and TimedOut are NetworkErrors)."""
    try:
        yield
    except ptb.RetryAfter as flood:
        wait = flood.retry_after
        seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
        raise TelegramRateLimited(str(flood), retry_after=seconds, method=method) from None
    except ptb.ChatMigrated as moved:
        raise ChatMigrated(moved.new_chat_id, method=method) from None
    except ptb.Forbidden as refused:
        raise RecipientUnavailable(refused.message, method=method) from None
    except ptb.BadRequest as bad:
        raise TelegramRefused(bad.message, method=method) from None
    except (ptb.TimedOut, ptb.NetworkError, ptb.InvalidToken, ptb.Conflict) as trouble:
        # InvalidToken included: a fixed setting lets the queued messages through later.
        raise TelegramTransient(f"{type(trouble).__name__}: {trouble}", method=method) from None


class PtbMessenger(Messenger):
    def __init__(self, bot: Bot, *, username: str = "") -> None:
        self.bot = bot
        self._username = username.removeprefix("@")
        self._started = False

    async def _ready(self) -> Bot:
        if not self._started:
            async with typed_faults("getMe"):
                await self.bot.initialize()
            self._started = True
        return self.bot

    async def send(self, chat_id: int, message: OutgoingMessage, *, paid: bool = False) -> int:
        bot = await self._ready()
        params: dict[str, Any] = {
            "chat_id": chat_id,
            "text": message.text,
            "link_preview_options": {"is_disabled": True},
        }
        if message.parse_mode:
            params["parse_mode"] = message.parse_mode
        if message.buttons:
            params["reply_markup"] = _keyboard(message.buttons)
        if message.disable_notification:
            params["disable_notification"] = True
        if paid:
            params["allow_paid_broadcast"] = True
        async with typed_faults("sendMessage"):
            # The raw result, not PTB's Message: building one cost more than the call itself
            # at paid-broadcast rates, and only the id is kept.
            with warnings.catch_warnings():  # PTB: "a typed method exists" — on purpose
                warnings.simplefilter("ignore", PTBUserWarning)
                sent = await bot.do_api_request("sendMessage", api_kwargs=params)
        return int(sent["message_id"])

    async def answer_callback(self, callback_query_id: str, text: str | None = None) -> None:
        bot = await self._ready()
        async with typed_faults("answerCallbackQuery"):
            await bot.answer_callback_query(callback_query_id, text=text)

    async def set_commands(
        self, commands: Sequence[tuple[str, str]], *, language_code: str | None = None
    ) -> None:
        bot = await self._ready()
        async with typed_faults("setMyCommands"):
            await bot.set_my_commands(
                [BotCommand(c, d) for c, d in commands], language_code=language_code
            )

    async def _call(self, method: str, params: dict[str, Any]) -> Any:
        """A Bot API method by name, its raw result: also those newer than PTB's models."""
        bot = await self._ready()
        async with typed_faults(method):
            with warnings.catch_warnings():  # PTB: "a typed method exists" — on purpose
                warnings.simplefilter("ignore", PTBUserWarning)
                return await bot.do_api_request(method, api_kwargs=params)

    async def create_invite(self, chat_id: int, *, name: str, expire_date: int) -> str:
        link = await self._call(
            "createChatInviteLink",
            {
                "chat_id": chat_id,
                "name": name,
                "expire_date": expire_date,
                "creates_join_request": True,
            },
        )
        return str(link["invite_link"])

    async def revoke_invite(self, chat_id: int, invite_link: str) -> None:
        await self._call("revokeChatInviteLink", {"chat_id": chat_id, "invite_link": invite_link})

    async def answer_join_request(
        self, chat_id: int, telegram_id: int, *, approve: bool, query_id: str | None
    ) -> None:
        if query_id is not None:
            result = "approve" if approve else "decline"
            params = {"chat_join_request_query_id": query_id, "result": result}
            await self._call("answerChatJoinRequestQuery", params)
            return
        method = "approveChatJoinRequest" if approve else "declineChatJoinRequest"
        await self._call(method, {"chat_id": chat_id, "user_id": telegram_id})

    async def ban_member(self, chat_id: int, telegram_id: int) -> None:
        params = {"chat_id": chat_id, "user_id": telegram_id, "revoke_messages": False}
        await self._call("banChatMember", params)

    async def unban_member(self, chat_id: int, telegram_id: int) -> None:
        params = {"chat_id": chat_id, "user_id": telegram_id, "only_if_banned": True}
        await self._call("unbanChatMember", params)

    async def bot_username(self) -> str:
        if not self._username:
            bot = await self._ready()
            self._username = bot.username
        return self._username

    async def close(self) -> None:
        # Whoever initialised the Bot (this messenger or the poller), its connections close
        # here; PTB does nothing for a Bot never initialised.
        await self.bot.shutdown()
        self._started = False
