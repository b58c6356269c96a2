"""The bots' command menus as Telegram keeps them: one list per scope and language
(``setMyCommands(commands, scope, language_code)``), and the one a user's app shows, found
the way Telegram finds it: the chat's own scope, then all private chats, then the default,
each first in the user's language, then without one."""

from __future__ import annotations

import re
from typing import Any

from .errors import bad_request
from .params import Params
from .world import Bot

Json = dict[str, Any]
SCOPES = frozenset(
    {"default", "all_private_chats", "all_group_chats", "all_chat_administrators",
     "chat", "chat_administrators", "chat_member"}
)  # fmt: skip
_LANGUAGE = re.compile(r"[a-z]{2}")


def menu_key(p: Params) -> str:
    """Which menu a call names: its scope (default when left out) and language code."""
    scope = p.obj("scope") or {"type": "default"}
    if not isinstance(scope, dict) or scope.get("type") not in SCOPES:
        raise bad_request("can't parse BotCommandScope")
    language = p.text("language_code") or ""
    if language and not _LANGUAGE.fullmatch(language):
        raise bad_request("language code must be a two-letter ISO 639-1 code")
    return _key(scope["type"], scope.get("chat_id"), scope.get("user_id"), language)


def _key(scope: str, chat_id: object, user_id: object, language: str) -> str:
    where = ":".join(str(part) for part in (chat_id, user_id) if part is not None)
    return f"{scope}{':' + where if where else ''}|{language}"


def private_menu(bot: Bot, user_id: int, language_code: str | None) -> list[Json]:
    """The menu a user's app shows in their private chat with ``bot``."""
    language = (language_code or "").split("-")[0].lower()
    for scope, chat in (("chat", user_id), ("all_private_chats", None), ("default", None)):
        for code in dict.fromkeys((language, "")):
            found = bot.commands.get(_key(scope, chat, None, code))
            if found:
                return found
    return []
