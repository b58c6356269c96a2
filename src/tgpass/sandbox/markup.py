"""Message text and keyboards, checked as Telegram checks them."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from .errors import bad_request
from .rights import checked_rights

MAX_TEXT = 4096
PARSE_MODES = {"HTML", "Markdown", "MarkdownV2"}
_INLINE_KINDS = (
    "url",
    "callback_data",
    "login_url",
    "web_app",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "copy_text",
    "pay",
)


def checked_text(text: str | None, parse_mode: str | None) -> str:
    if text is None or not text.strip():
        raise bad_request("message text is empty")
    if len(text.encode("utf-16-le")) // 2 > MAX_TEXT:
        raise bad_request("message is too long")
    if parse_mode is not None and parse_mode not in PARSE_MODES:
        raise bad_request(f'unsupported parse_mode "{parse_mode}"')
    return text


def _checked_url(url: Any, what: str) -> str:
    parts = urlsplit(url) if isinstance(url, str) else None
    if (
        parts is None
        or parts.scheme not in {"http", "https", "tg"}
        or (not parts.netloc and parts.scheme != "tg")
    ):
        raise bad_request(f"{what} URL '{url}' is invalid")
    return str(url)


def checked_reply_markup(markup: Any) -> dict[str, Any] | None:
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        for row in _rows(markup, "inline_keyboard", "InlineKeyboardMarkup"):
            for button in row:
                _check_inline_button(button)
        return markup
    if "keyboard" in markup:
        for row in _rows(markup, "keyboard", "ReplyKeyboardMarkup"):
            for button in row:
                if isinstance(button, str):
                    continue
                if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                    raise bad_request("can't parse keyboard button: Text must be non-empty")
                if "web_app" in button:
                    _checked_url((button["web_app"] or {}).get("url"), "web app")
                if "request_chat" in button:
                    _check_request_chat(button["request_chat"])
        return markup
    if markup.get("remove_keyboard") is True or "force_reply" in markup:
        return markup
    raise bad_request('can\'t find field "inline_keyboard"')


def _check_request_chat(request: Any) -> None:
    if not (
        isinstance(request, dict)
        and isinstance(request.get("request_id"), int)
        and -(2**31) <= request["request_id"] < 2**31
        and isinstance(request.get("chat_is_channel"), bool)
    ):
        raise bad_request(
            "can't parse keyboard button: request_chat needs request_id and chat_is_channel"
        )
    for name in ("bot_administrator_rights", "user_administrator_rights"):
        if request.get(name) is not None:
            try:
                checked_rights(request[name])
            except ValueError as error:
                raise bad_request(f"can't parse keyboard button: {error}") from None


def _rows(markup: dict[str, Any], name: str, kind: str) -> list[list[Any]]:
    rows = markup[name]
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise bad_request(f'field "{name}" of the {kind} must be an Array of Arrays')
    return rows


def _check_inline_button(button: Any) -> None:
    if (
        not isinstance(button, dict)
        or not isinstance(button.get("text"), str)
        or not button["text"]
    ):
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    kinds = [kind for kind in _INLINE_KINDS if kind in button]
    if len(kinds) != 1:
        raise bad_request(
            "can't parse inline keyboard button: exactly one of the optional fields must be present"
        )
    kind = kinds[0]
    if kind == "callback_data":
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode()) <= 64:
            raise bad_request("BUTTON_DATA_INVALID")
    elif kind == "url":
        _checked_url(button["url"], "inline keyboard button")
    elif kind == "login_url":
        _checked_url((button["login_url"] or {}).get("url"), "login")
    elif kind == "web_app":
        url = _checked_url((button["web_app"] or {}).get("url"), "web app")
        if not url.startswith("https://") and "127.0.0.1" not in url and "localhost" not in url:
            raise bad_request("BUTTON_TYPE_INVALID")
