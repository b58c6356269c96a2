"""From a Telegram update (JSON, through PTB's model) to the events the bot service handles.

Three outcomes: not an update at all (no integer ``update_id``), an update the service cannot
read (wrong types, ids outside Telegram's 64-bit range: a dead letter, never a crash), or an
event (or None for updates the service does not handle).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from telegram import Update

from tgpass.domain.accounts import TelegramProfile, checked_profile, storable
from tgpass.domain.gating import MEMBER_STATUSES, JoinRequest, MemberStatus
from tgpass.errors import InvalidInput
from tgpass.service.bot.core import (
    BlockChange,
    BotService,
    BotStatusChange,
    ButtonPress,
    ChatShared,
    Event,
    GroupMigrated,
    JoinRequested,
    MemberChange,
    Message,
)

INT64 = range(-(2**63), 2**63)

# The update each event comes in. chat_member is sent only to bots that ask for it.
EVENT_UPDATES: dict[type, str] = {
    Message: "message",
    ChatShared: "message",
    GroupMigrated: "message",
    ButtonPress: "callback_query",
    BlockChange: "my_chat_member",
    BotStatusChange: "my_chat_member",
    MemberChange: "chat_member",
    JoinRequested: "chat_join_request",
}


def allowed_updates(event_types: Iterable[type]) -> list[str]:
    """The updates to ask Telegram for: those of the events the bot's features take."""
    wanted = {EVENT_UPDATES[kind] for kind in event_types}
    return [name for name in dict.fromkeys(EVENT_UPDATES.values()) if name in wanted]


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
        raise UnreadableUpdate(
            "the update cannot be read: {problem}", values={"problem": _problem(error)}
        ) from None


def _problem(error: Exception) -> str:
    """What a library said went wrong, as it said it (for the dead letter's reason)."""
    return f"{type(error).__name__}: {error}"


def _check_ids(value: Any, depth: int = 0) -> None:
    # Telegram's ids are signed 64-bit integers; anything wider cannot be stored or trusted.
    if depth > 32:
        raise UnreadableUpdate("nested too deeply")
    if isinstance(value, dict):
        for key, item in value.items():
            if type(item) is int and item not in INT64:
                raise UnreadableUpdate("{key} is outside the 64-bit range", values={"key": key})
            if isinstance(item, dict | list):
                _check_ids(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_ids(item, depth + 1)


def _language_code(value: Any) -> str | None:
    """A language tag as Telegram reports it; one too long to be a tag (16 characters, as
    the stores keep it) is as good as none."""
    code = _text(value, "language_code")
    return code if code is not None and len(code) <= 16 else None


def _text(value: Any, field: str = "text") -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise UnreadableUpdate("{field} is not a string", values={"field": field})
    try:
        return storable(value, field)  # no NUL, no lone surrogate: every store keeps it
    except InvalidInput as error:  # the domain's message, kept whole for its catalog
        raise UnreadableUpdate(error.template, values=error.values) from None


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
        raise UnreadableUpdate(error.template, values=error.values) from None


def _int(value: Any) -> int:
    if type(value) is not int:
        raise UnreadableUpdate("an id is not an integer")
    return value


def event_of(update: Update) -> Event | None:
    """The event the bot service handles, or None for updates it does not."""
    message = update.message
    if message is not None and message.chat.type == "private" and message.from_user is not None:
        shared = message.chat_shared
        if shared is not None:
            return ChatShared(
                update_id=update.update_id,
                chat_id=_int(message.chat.id),
                sender=_profile(message.from_user),
                request_id=_int(shared.request_id),
                shared_chat_id=_int(shared.chat_id),
                title=_text(shared.title, "title"),
            )
        contact = message.contact
        return Message(
            update_id=update.update_id,
            chat_id=_int(message.chat.id),
            sender=_profile(message.from_user),
            text=_text(message.text),
            contact_user_id=contact.user_id if contact else None,
            contact_phone=_text(contact.phone_number) if contact else None,
        )
    if message is not None and message.migrate_to_chat_id is not None:
        return GroupMigrated(
            update.update_id, _int(message.chat.id), _int(message.migrate_to_chat_id)
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
    if change is not None:
        bot = change.new_chat_member
        return BotStatusChange(
            update_id=update.update_id,
            chat_id=_int(change.chat.id),
            title=_text(change.chat.title, "title") or "",
            chat_type=str(change.chat.type),
            status=str(bot.status),
            rights=_rights(bot),
        )
    member = update.chat_member
    if member is not None:
        new = member.new_chat_member
        return MemberChange(
            update_id=update.update_id,
            chat_id=_int(member.chat.id),
            telegram_id=_int(new.user.id),
            status=_status(new),
            by_self=member.from_user.id == new.user.id,
        )
    request = update.chat_join_request
    if request is not None:
        query_id = request.api_kwargs.get("query_id")  # Bot API 10.1, newer than PTB's model
        return JoinRequested(
            update.update_id,
            JoinRequest(
                chat_id=_int(request.chat.id),
                telegram_id=_int(request.from_user.id),
                user_chat_id=_int(request.user_chat_id),
                at=request.date.timestamp(),
                query_id=_text(query_id, "query_id") if query_id is not None else None,
                invite_link=_text(request.invite_link.invite_link, "invite_link")
                if request.invite_link is not None
                else None,
                language_code=_language_code(request.from_user.language_code),
            ),
        )
    return None


def _rights(member: Any) -> frozenset[str]:
    """The administrator rights a chat member holds (none unless an administrator)."""
    if member.status == "creator":
        return frozenset({"can_invite_users", "can_restrict_members"})
    return frozenset(
        name
        for name, value in member.to_dict().items()
        if name.startswith("can_") and value is True
    )


def _status(member: Any) -> MemberStatus:
    status = str(member.status)
    if status not in MEMBER_STATUSES:
        raise UnreadableUpdate("no such member status {status}", values={"status": repr(status)})
    if status == "restricted" and not getattr(member, "is_member", True):
        return "left"  # restricted, but not in the chat
    return status  # type: ignore[return-value]


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
        raise UnreadableUpdate(
            "the update cannot be read: {problem}", values={"problem": _problem(error)}
        ) from None


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
