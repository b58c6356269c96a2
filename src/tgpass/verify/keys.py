"""Keys: what each Telegram scheme derives from a bot token, and Telegram's Ed25519 keys."""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, field
from functools import lru_cache

from cryptography.exceptions import InvalidKey
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from tgpass.errors import ConfigError

TELEGRAM_PUBLIC_KEY = "e7bf03a2fa4602af4580703d88dda5bb59f32ed8b02a56c187fe7d34caed242d"
"""Telegram's production Ed25519 key for third-party init data checks (hex)."""

TELEGRAM_TEST_PUBLIC_KEY = "40055058a4ee38156a06562e52eece92a771bcd8346a8c4615cb7376eddf72ec"
"""Telegram's test-environment Ed25519 key for third-party init data checks (hex)."""

_TOKEN = re.compile(r"([0-9]{1,20}):[A-Za-z0-9_-]{1,200}")


class HmacSha256:
    """HMAC-SHA256 with one key, its padded inner and outer states hashed once (RFC 2104).

    ``hmac.digest`` sets up the key anew on every call; for the short messages Telegram signs
    that setup is most of the cost, so each bot's key is prepared once.
    """

    __slots__ = ("_inner", "_outer")

    def __init__(self, key: bytes) -> None:
        if len(key) > 64:
            key = hashlib.sha256(key).digest()
        padded = key.ljust(64, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in padded))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in padded))

    def digest(self, message: bytes) -> bytes:
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()

    def __repr__(self) -> str:
        return "HmacSha256(<secret>)"


@dataclass(frozen=True, slots=True)
class BotKeys:
    """What one bot's token derives, computed once; the token itself is not kept."""

    bot_id: int
    web_app: HmacSha256 = field(repr=False)
    """Keyed with HMAC-SHA256(key=b"WebAppData", msg=token): the Mini App secret."""
    login_widget: HmacSha256 = field(repr=False)
    """Keyed with SHA256(token): the Login Widget and LoginUrl secret."""


def bot_id_from_token(bot_token: str) -> int:
    """The bot's user id: the digits before the colon of ``<bot id>:<secret>``."""
    match = _TOKEN.fullmatch(bot_token) if isinstance(bot_token, str) else None
    if match is None:
        raise ConfigError("a bot token has the form <bot id>:<secret>")
    return int(match.group(1))


def derive_bot_keys(bot_token: str) -> BotKeys:
    """Derive a bot's secrets; raises ConfigError for a malformed token."""
    bot_id = bot_id_from_token(bot_token)
    token = bot_token.encode()
    return BotKeys(
        bot_id=bot_id,
        web_app=HmacSha256(hmac.digest(b"WebAppData", token, "sha256")),
        login_widget=HmacSha256(hashlib.sha256(token).digest()),
    )


# The module-level functions take a token on every call; derive each bot's keys once.
_cached_bot_keys = lru_cache(maxsize=64)(derive_bot_keys)


def bot_keys(bot_token: str) -> BotKeys:
    """A bot's secrets, derived once per token; ConfigError for anything else (a cache
    would raise TypeError for an unhashable argument first)."""
    if not isinstance(bot_token, str):
        raise ConfigError("a bot token has the form <bot id>:<secret>")
    return _cached_bot_keys(bot_token)


def ed25519_public_key(public_key: str | bytes) -> Ed25519PublicKey:
    """Load a 32-byte Ed25519 public key given raw or as 64 hex digits."""
    if not isinstance(public_key, str | bytes):
        raise ConfigError("an Ed25519 public key is 32 bytes, or 64 hex digits")
    return _loaded_public_key(public_key)


@lru_cache(maxsize=16)
def _loaded_public_key(public_key: str | bytes) -> Ed25519PublicKey:
    try:
        raw = bytes.fromhex(public_key) if isinstance(public_key, str) else bytes(public_key)
        return Ed25519PublicKey.from_public_bytes(raw)
    except (ValueError, TypeError, InvalidKey):
        raise ConfigError("an Ed25519 public key is 32 bytes, or 64 hex digits") from None
