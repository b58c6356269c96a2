"""From a Telegram update (PTB's model) to the events the bot service handles."""

from __future__ import annotations

from typing import Any

from telegram import Update

from tgpass.domain.accounts import TelegramProfile
from tgpass.service.bot import BlockChange, ButtonPress, Event, Message

# What the service reads: asked for explicitly (chat_member must be; the rest is default).
ALLOWED_UPDATES = [
    "message",
    "callback_query",
    "my_chat_member",
    "chat_member",
    "chat_join_request",
]


def parse_update(data: Any) -> Update | None:
    """PTB's Update from JSON, or None when it is not an update at all."""
    if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
        return None
    try:
        return Update.de_json(data)
    except (KeyError, TypeError, ValueError):
        return None


def event_of(update: Update) -> Event | None:
    """The event the bot service handles, or None for updates it does not."""
    message = update.message
    if message is not None and message.chat.type == "private" and message.from_user is not None:
        contact = message.contact
        return Message(
            update_id=update.update_id,
            chat_id=message.chat.id,
            sender=TelegramProfile.of(message.from_user),
            text=message.text,
            contact_user_id=contact.user_id if contact else None,
            contact_phone=contact.phone_number if contact else None,
        )
    query = update.callback_query
    if query is not None and query.data is not None:
        chat = query.message.chat.id if query.message is not None else None
        return ButtonPress(
            update_id=update.update_id,
            callback_query_id=query.id,
            chat_id=chat,
            sender=TelegramProfile.of(query.from_user),
            data=query.data,
        )
    change = update.my_chat_member
    if change is not None and change.chat.type == "private":
        return BlockChange(
            update_id=update.update_id,
            telegram_id=change.from_user.id,
            blocked=change.new_chat_member.status == "kicked",
        )
    return None
