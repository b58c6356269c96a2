"""From a Telegram update (JSON, through PTB's model) to the events the bot service handles.

Three outcomes: not an update at all (no integer ``update_id``), an update the service cannot
read (wrong types, ids outside Telegram's 64-bit range: a dead letter, never a crash), or an
event (or None for updates the service does not handle).
"""

from __future__ import annotations

from typing import Any

from telegram import Update

from tgpass.domain.accounts import TelegramProfile, checked_profile, storable
from tgpass.errors import InvalidInput
from tgpass.service.bot import BlockChange, BotService, ButtonPress, Event, Message

INT64 = range(-(2**63), 2**63)

# What the service reads. chat_member must be asked for; the rest are what its events need.
EVENT_UPDATES: dict[type, str] = {
    Message: "message",
    ButtonPress: "callback_query",
    BlockChange: "my_chat_member",
}
ALLOWED_UPDATES = [*EVENT_UPDATES.values(), "chat_member", "chat_join_request"]


class UnreadableUpdate(InvalidInput):
    """An update with an ``update_id`` that tgpass cannot read: kept as a dead letter."""

    code = "unreadable_update"


def update_id_of(data: Any) -> int | None:
    """The update's id, or None when ``data`` is not an update at all."""
    if not isinstance(data, dict):
        return None
    update_id = data.get("update_id")
    if type(update_id) is not int or update_id not in INT64:
        return None
    return update_id


def parse_update(data: Any) -> Update | None:
    """PTB's Update, None when ``data`` is not an update; UnreadableUpdate when it is one
    that cannot be read."""
    if update_id_of(data) is None:
        return None
    _check_ids(data)
    try:
        return Update.de_json(data)
    except (KeyError, TypeError, ValueError, AttributeError, RecursionError) as error:
        raise UnreadableUpdate(f"{type(error).__name__}: {error}") from None


def _check_ids(value: Any, depth: int = 0) -> None:
    # Telegram's ids are signed 64-bit integers; anything wider cannot be stored or trusted.
    if depth > 32:
        raise UnreadableUpdate("nested too deeply")
    if isinstance(value, dict):
        for key, item in value.items():
            if type(item) is int and item not in INT64:
                raise UnreadableUpdate(f"{key} is outside the 64-bit range")
            if isinstance(item, dict | list):
                _check_ids(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_ids(item, depth + 1)


def _text(value: Any, field: str = "text") -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise UnreadableUpdate(f"{field} is not a string")
    try:
        return storable(value, field)  # no NUL, no lone surrogate: every store keeps it
    except InvalidInput as error:
        raise UnreadableUpdate(error.message) from None


def _profile(user: Any) -> TelegramProfile:
    """The sender, every string field checked (updates are read, never trusted blindly)."""
    if type(user.id) is not int:
        raise UnreadableUpdate("a user id is not an integer")
    profile = TelegramProfile(
        telegram_id=user.id,
        first_name=_text(user.first_name) or "",
        last_name=_text(user.last_name),
        username=_text(user.username),
        language_code=_text(user.language_code),
    )
    try:
        return checked_profile(profile)  # cut to what the stores keep
    except InvalidInput as error:
        raise UnreadableUpdate(error.message) from None


def _int(value: Any) -> int:
    if type(value) is not int:
        raise UnreadableUpdate("an id is not an integer")
    return value


def event_of(update: Update) -> Event | None:
    """The event the bot service handles, or None for updates it does not."""
    message = update.message
    if message is not None and message.chat.type == "private" and message.from_user is not None:
        contact = message.contact
        return Message(
            update_id=update.update_id,
            chat_id=_int(message.chat.id),
            sender=_profile(message.from_user),
            text=_text(message.text),
            contact_user_id=contact.user_id if contact else None,
            contact_phone=_text(contact.phone_number) if contact else None,
        )
    query = update.callback_query
    if query is not None and query.data is not None:
        chat = query.message.chat.id if query.message is not None else None
        return ButtonPress(
            update_id=update.update_id,
            callback_query_id=str(query.id),
            chat_id=chat,
            sender=_profile(query.from_user),
            data=str(_text(query.data)),
        )
    change = update.my_chat_member
    if change is not None and change.chat.type == "private":
        return BlockChange(
            update_id=update.update_id,
            telegram_id=change.from_user.id,
            blocked=change.new_chat_member.status == "kicked",
        )
    return None


def read_update(data: Any) -> Event | None:
    """The event of an update's JSON (None: not one the service handles); UnreadableUpdate
    when it cannot be read, whatever is wrong with it. Webhook and polling both read so."""
    update = parse_update(data)
    if update is None:
        return None
    try:
        return event_of(update)
    except UnreadableUpdate:
        raise
    except (AttributeError, KeyError, TypeError, ValueError, RecursionError) as error:
        raise UnreadableUpdate(f"{type(error).__name__}: {error}") from None


async def hand_over(service: BotService, update_id: int, data: Any, raw: str) -> None:
    """Read one update and hand it to the bot; an unreadable one becomes a dead letter.
    Raises only when even that cannot be recorded (the store is away)."""
    try:
        event = read_update(data)
    except UnreadableUpdate as unreadable:
        await service.record_failure(update_id, unreadable, raw)
        return
    if event is not None:
        await service.handle(event, raw=raw)
