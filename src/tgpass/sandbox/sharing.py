"""``request_chat`` keyboard buttons (KeyboardButtonRequestChat): the user shares a chat with
the bot, as a Telegram client lets them.

Pressing the button lists the chats that fit the request (channel or not, owned by the user
when the bot or the user must hold rights or ``chat_is_created`` is set, with or without a
username, with the bot in it for ``bot_is_member``); the user picks one or creates one. When
the request names ``bot_administrator_rights``, the client adds or promotes the bot with them
in the chosen chat. The bot then receives the user's service message ``chat_shared``
(``request_id``, ``chat_id``, and ``title``/``username`` when asked for).
"""

from __future__ import annotations

from typing import Any

from . import membership
from .errors import Invalid, NotFound, Refused
from .rights import checked_rights
from .world import Bot, Chat, Json, World


def request_of(world: World, user_id: int, bot: Bot, request_id: int) -> Json:
    """The ``request_chat`` of a button on the keyboard the bot shows this user."""
    keyboard = world.dialog(bot.id, user_id).reply_keyboard or {}
    for row in keyboard.get("keyboard") or []:
        for key in row:
            request = key.get("request_chat") if isinstance(key, dict) else None
            if isinstance(request, dict) and request.get("request_id") == request_id:
                return request
    raise NotFound("This button is no longer there.", request_id=request_id)


def _must_own(request: Json) -> bool:
    return bool(
        request.get("chat_is_created")
        or _wanted(request.get("bot_administrator_rights"))
        or _wanted(request.get("user_administrator_rights"))
    )


def _wanted(rights: Any) -> Json:
    return {k: v for k, v in checked_rights(rights).items() if v} if rights else {}


def fits(world: World, user_id: int, bot: Bot, request: Json, chat: Chat) -> bool:
    member = chat.members.get(user_id)
    if chat.migrated_to is not None or member is None or not chat.is_member(user_id):
        return False
    if (chat.type == "channel") != bool(request.get("chat_is_channel")):
        return False
    if request.get("chat_is_forum"):
        return False  # the sandbox has no forums
    if _must_own(request) and member.status != "creator":
        return False
    has_username = request.get("chat_has_username")
    if has_username is not None and bool(chat.username) != bool(has_username):
        return False
    adds_bot = bool(request.get("bot_administrator_rights"))
    return not (request.get("bot_is_member") and not adds_bot and not chat.is_member(bot.id))


def choices(world: World, user_id: int, bot: Bot, request_id: int) -> Json:
    """What the client shows when the button is pressed."""
    request = request_of(world, user_id, bot, request_id)
    chats = [c.as_chat() for c in world.chats.values() if fits(world, user_id, bot, request, c)]
    return {
        "kind": "request_chat",
        "bot": bot.username,
        "request_id": request_id,
        "request": request,
        "chats": chats,
        "can_create": not request.get("chat_is_forum") and not request.get("chat_has_username"),
    }


def share_chat(
    world: World,
    user_id: int,
    bot: Bot,
    request_id: int,
    *,
    chat_id: int | None = None,
    new_title: str | None = None,
) -> Json:
    """The user picks ``chat_id``, or creates a chat titled ``new_title``, and shares it."""
    request = request_of(world, user_id, bot, request_id)
    if (chat_id is None) == (new_title is None):
        raise Invalid("Pick a chat, or give the title of a new one.", request_id=request_id)
    if new_title is not None:
        if not choices(world, user_id, bot, request_id)["can_create"]:
            raise Invalid(
                "A new chat cannot be what this bot asks for: pick one of yours.",
                request_id=request_id,
            )
        kind = "channel" if request.get("chat_is_channel") else "supergroup"
        chat = world.add_chat(new_title, type=kind, owner_id=user_id)
    else:
        picked = world.chats.get(chat_id or 0)
        if picked is None:
            raise NotFound("This chat does not exist.", chat_id=chat_id)
        if not fits(world, user_id, bot, request, picked):
            raise Refused(
                f"{picked.title} is not a chat this bot asks for.",
                chat_id=picked.id,
                request_id=request_id,
            )
        chat = picked
    rights = _wanted(request.get("bot_administrator_rights"))
    if rights:
        _promote(world, bot, chat, rights)
    elif request.get("bot_is_member") and not chat.is_member(bot.id):
        membership.add_bot_to_chat(world, bot.id, chat.id)
    shared: Json = {"request_id": request_id, "chat_id": chat.id}
    if request.get("request_title"):
        shared["title"] = chat.title
    if request.get("request_username") and chat.username:
        shared["username"] = chat.username
    message = world.user_message(user_id, bot, {"chat_shared": shared})
    dialog = world.dialog(bot.id, user_id)
    if (dialog.reply_keyboard or {}).get("one_time_keyboard"):
        dialog.reply_keyboard = None
    return {"kind": "message", "message": message, "chat": chat.as_chat()}


def _promote(world: World, bot: Bot, chat: Chat, rights: Json) -> None:
    """Add the bot as an administrator with at least ``rights``, keeping any it had."""
    member = chat.members.get(bot.id)
    held = dict(member.rights) if member is not None and member.status == "administrator" else {}
    if all(held.get(name) for name in rights):
        return
    membership.add_bot_to_chat(world, bot.id, chat.id, admin_rights={**held, **rights})
