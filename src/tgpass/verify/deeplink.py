"""Bot deep links: ``https://t.me/<bot>?start=<payload>`` and one-time codes that fit them.

Links point at Telegram (``https://t.me``) unless given another ``base``: a sandbox Telegram
serves the same paths under ``http://127.0.0.1:8081/t.me``.
"""

from __future__ import annotations

import re
import secrets
from urllib.parse import urlsplit

from tgpass.errors import InvalidDeepLink

_PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")
_USERNAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{3,31}")
_APP_NAME = re.compile(r"[A-Za-z0-9_]{3,30}")
_BASE_CHARS = re.compile(r"[A-Za-z0-9._~:/\[\]%!$&'()*+,;=-]+")  # a URL without ? # @ spaces
_START = re.compile(r"/start(?:@([A-Za-z0-9_]+))?(?:[ \t\n]+(.*))?", re.DOTALL)

TELEGRAM_LINK_BASE = "https://t.me"
"""Where deep links point by default: Telegram itself."""

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


def _checked_base(base: str) -> str:
    """An http(s) URL with a host and maybe a path: no query, fragment, user or odd characters."""
    try:
        parts = urlsplit(base) if isinstance(base, str) and _BASE_CHARS.fullmatch(base) else None
    except ValueError:  # e.g. an unclosed [IPv6 bracket
        parts = None
    if parts is None or parts.scheme not in {"http", "https"} or not parts.hostname:
        raise InvalidDeepLink("a link base is an http(s) URL with a host, like https://t.me")
    return base.rstrip("/")


def start_link(bot_username: str, payload: str, *, base: str = TELEGRAM_LINK_BASE) -> str:
    """The link that opens the bot and sends it ``/start <payload>`` when the user presses Start.

    ``base`` replaces ``https://t.me``, e.g. with a sandbox's ``http://127.0.0.1:8081/t.me``.
    """
    name, code = _checked_username(bot_username), _checked_payload(payload)
    return f"{_checked_base(base)}/{name}?start={code}"


def startapp_link(
    bot_username: str,
    payload: str | None = None,
    *,
    app: str | None = None,
    base: str = TELEGRAM_LINK_BASE,
) -> str:
    """A link that opens the bot's Mini App (main, or the named ``app``) with ``start_param``."""
    url = f"{_checked_base(base)}/{_checked_username(bot_username)}"
    if app is not None:
        if not (isinstance(app, str) and _APP_NAME.fullmatch(app)):
            raise InvalidDeepLink("a Mini App short name is 3-30 characters of A-Z a-z 0-9 _")
        url += f"/{app}"
    if payload is None:
        return url if app is not None else f"{url}?startapp"
    return f"{url}?startapp={_checked_payload(payload)}"


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
