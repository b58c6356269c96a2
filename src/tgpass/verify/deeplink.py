"""Bot deep links: ``https://t.me/<bot>?start=<payload>`` and one-time codes that fit them."""

from __future__ import annotations

import re
import secrets

from tgpass.errors import InvalidDeepLink

_PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")
_USERNAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{3,31}")
_APP_NAME = re.compile(r"[A-Za-z0-9_]{3,30}")
_START = re.compile(r"/start(?:@([A-Za-z0-9_]+))?(?:[ \t\n]+(.*))?", re.DOTALL)

LINK_CODE_BYTES = 32
"""Randomness of a link code: 256 bits, 43 base64url characters (the limit is 64)."""


def is_valid_payload(payload: object) -> bool:
    """True for 1-64 characters of ``A-Z a-z 0-9 _ -``, what Telegram passes to ``/start``."""
    return isinstance(payload, str) and _PAYLOAD.fullmatch(payload) is not None


def _checked_payload(payload: str) -> str:
    if not is_valid_payload(payload):
        raise InvalidDeepLink("a deep-link payload is 1-64 characters of A-Z a-z 0-9 _ -")
    return payload


def _checked_username(bot_username: str) -> str:
    name = bot_username.removeprefix("@") if isinstance(bot_username, str) else ""
    if not _USERNAME.fullmatch(name):
        raise InvalidDeepLink("a bot username is 4-32 characters of A-Z a-z 0-9 _")
    return name


def start_link(bot_username: str, payload: str) -> str:
    """The link that opens the bot and sends it ``/start <payload>`` when the user presses Start."""
    return f"https://t.me/{_checked_username(bot_username)}?start={_checked_payload(payload)}"


def startapp_link(bot_username: str, payload: str | None = None, *, app: str | None = None) -> str:
    """A link that opens the bot's Mini App (main, or the named ``app``) with ``start_param``."""
    base = f"https://t.me/{_checked_username(bot_username)}"
    if app is not None:
        if not (isinstance(app, str) and _APP_NAME.fullmatch(app)):
            raise InvalidDeepLink("a Mini App short name is 3-30 characters of A-Z a-z 0-9 _")
        base += f"/{app}"
    if payload is None:
        return base if app is not None else f"{base}?startapp"
    return f"{base}?startapp={_checked_payload(payload)}"


def new_link_code() -> str:
    """A fresh one-time code: 256 random bits as base64url, usable as a ``start`` payload."""
    return secrets.token_urlsafe(LINK_CODE_BYTES)


def start_payload(text: str, bot_username: str | None = None) -> str | None:
    """The payload of a ``/start`` message: None when it is not ``/start``, "" when bare.

    ``/start@OtherBot`` is not for this bot when ``bot_username`` is given.
    """
    match = _START.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        return None
    addressed_to = match.group(1)
    if (
        addressed_to is not None
        and bot_username is not None
        and addressed_to.lower() != bot_username.removeprefix("@").lower()
    ):
        return None
    return (match.group(2) or "").strip()
