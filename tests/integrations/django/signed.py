"""Signed data for the Django tests, dated by the real clock: the site's MAX_AGE is an hour,
so data signed now is fresh and data signed two hours ago is expired, whatever the time."""

from __future__ import annotations

import time

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tgpass import sign_init_data
from tgpass.testing import TEST_BOT_TOKEN

from .settings import OTHER_BOT_TOKEN

USER = {"id": 5_000_000_001, "first_name": "Ada", "last_name": "Lovelace", "username": "ada"}
TWO_HOURS = 7200
# Stands in for Telegram's Ed25519 key: third-party checks take its public half.
TELEGRAM_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(100, 132)))
TELEGRAM_PUBLIC_KEY = TELEGRAM_KEY.public_key().public_bytes_raw()


def init_data(
    user: dict[str, object] | None = None,
    *,
    bot_token: str = TEST_BOT_TOKEN,
    age: int = 0,
    ed25519: bool = False,
) -> str:
    """Init data signed now (less ``age`` seconds); with ``ed25519``, for third parties too."""
    fields: dict[str, object] = {"query_id": "AAH-django", "user": USER if user is None else user}
    return sign_init_data(
        fields,
        bot_token,
        auth_date=int(time.time()) - age,
        signing_key=TELEGRAM_KEY if ed25519 else None,
    )


def tma(raw: str) -> str:
    return f"tma {raw}"


def forged(raw: str) -> str:
    """The same init data with its user's name changed after signing."""
    return raw.replace("Ada", "Eve")


# Headers that must be refused, by name, with the stable code each is refused with.
REFUSED: dict[str, str] = {
    "missing": "missing_credentials",
    "empty": "missing_credentials",
    "scheme only": "malformed_header",
    "other scheme": "unsupported_scheme",
    "garbage": "malformed",
    "expired": "expired",
    "forged": "bad_signature",
    "other bot": "bad_signature",
}


def refused_header(name: str) -> str | None:
    """The ``Authorization`` header of the ``REFUSED`` case ``name`` (None: no header)."""
    headers: dict[str, str | None] = {
        "missing": None,
        "empty": "",
        "scheme only": "tma",
        "other scheme": "Basic dXNlcjpwYXNz",
        "garbage": "tma garbage",
        "expired": tma(init_data(age=TWO_HOURS)),
        "forged": tma(forged(init_data())),
        "other bot": tma(init_data(bot_token=OTHER_BOT_TOKEN)),
    }
    return headers[name]
