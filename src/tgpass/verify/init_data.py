"""Mini App init data: parse, validate (bot token HMAC or Telegram's Ed25519), sign."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tgpass.errors import ConfigError, InvalidAuthData

from ._clock import DEFAULT_MAX_AGE, DEFAULT_MAX_SKEW, Now, as_datetime, check_age, parse_auth_date
from ._fields import split_fields
from ._signing import (
    decode_signature,
    ed25519_signer,
    encode_signature,
    field_text,
    hmac_checked,
    hmac_hex,
    query_string,
    third_party_message,
    unix_seconds,
)
from .keys import TELEGRAM_PUBLIC_KEY, bot_keys, ed25519_public_key
from .models import InitData, frozen, plain_int, web_app_chat, web_app_user

_KNOWN = frozenset(
    {
        "auth_date",
        "hash",
        "query_id",
        "user",
        "receiver",
        "chat",
        "chat_type",
        "chat_instance",
        "start_param",
        "can_send_after",
        "signature",
    }
)


def parse_init_data(raw: str) -> InitData:
    """Parse init data WITHOUT checking it: for display and debugging, never for trust."""
    fields = split_fields(raw)
    return build_init_data(fields, parse_auth_date(fields.get("auth_date")))


def check_init_data(
    raw: str,
    bot_token: str,
    *,
    max_age: float | None = DEFAULT_MAX_AGE,
    max_skew: float = DEFAULT_MAX_SKEW,
    now: Now = None,
) -> dict[str, str]:
    """Validate only: check the HMAC and age, and return the decoded fields, unparsed."""
    keys = bot_keys(bot_token)
    fields = split_fields(raw)
    auth_date = hmac_checked(fields, ((keys.bot_id, keys.web_app),))[1]
    check_age(auth_date, max_age=max_age, max_skew=max_skew, now=now)
    return fields


def validate_init_data(
    raw: str,
    bot_token: str,
    *,
    max_age: float | None = DEFAULT_MAX_AGE,
    max_skew: float = DEFAULT_MAX_SKEW,
    now: Now = None,
) -> InitData:
    """Check init data against the bot token and return it parsed.

    ``max_age`` seconds (None: no age check, which allows replay); ``max_skew`` seconds of
    ``auth_date`` in the future tolerated; ``now`` is unix seconds or an aware datetime.
    Raises ``InvalidAuthData`` (a ``ValueError``) with a stable ``.code``.
    """
    keys = bot_keys(bot_token)
    fields = split_fields(raw)
    auth_date = hmac_checked(fields, ((keys.bot_id, keys.web_app),))[1]
    check_age(auth_date, max_age=max_age, max_skew=max_skew, now=now)
    return build_init_data(fields, auth_date)


def validate_init_data_signature(
    raw: str,
    bot_id: int,
    *,
    public_key: str | bytes = TELEGRAM_PUBLIC_KEY,
    max_age: float | None = DEFAULT_MAX_AGE,
    max_skew: float = DEFAULT_MAX_SKEW,
    now: Now = None,
) -> InitData:
    """Check init data as a third party, without the bot token: Telegram's Ed25519 signature.

    ``public_key`` is Telegram's production key by default; pass ``TELEGRAM_TEST_PUBLIC_KEY``
    for the test environment (or a sandbox's key).
    """
    key = ed25519_public_key(public_key)
    if isinstance(bot_id, bool) or not isinstance(bot_id, int) or bot_id <= 0:
        raise ConfigError("bot_id must be a positive integer")
    fields = split_fields(raw)
    auth_date = parse_auth_date(fields.get("auth_date"))
    ed25519_signer(fields, decode_signature(fields), (bot_id,), key)
    check_age(auth_date, max_age=max_age, max_skew=max_skew, now=now)
    return build_init_data(fields, auth_date)


def sign_init_data(
    fields: Mapping[str, object],
    bot_token: str,
    *,
    auth_date: int | datetime,
    signing_key: Ed25519PrivateKey | None = None,
) -> str:
    """Make init data exactly as Telegram would: a query string with ``auth_date`` and ``hash``.

    Objects (``user``, ``receiver``, ``chat``) may be mappings or raw JSON strings; raw strings
    are signed byte for byte. With ``signing_key`` (an Ed25519 key standing in for Telegram's),
    a third-party ``signature`` is added first and then covered by the hash, as Telegram does.
    """
    keys = bot_keys(bot_token)
    values = {key: _text(key, value) for key, value in fields.items()}
    if "auth_date" in values:
        raise InvalidAuthData(
            "malformed", "give auth_date as the keyword argument", field="auth_date"
        )
    values["auth_date"] = str(unix_seconds(auth_date))
    if signing_key is not None:
        values.pop("signature", None)
        signature = signing_key.sign(third_party_message(keys.bot_id, values))
        values["signature"] = encode_signature(signature)
    values["hash"] = hmac_hex(keys.web_app, values)
    return query_string(values)


def _text(key: object, value: object) -> str:
    if isinstance(value, Mapping):
        return json.dumps(dict(value), ensure_ascii=False, separators=(",", ":"))
    return field_text(key, value)


# -- shared with the Verifier -----------------------------------------------------------------


def build_init_data(fields: dict[str, str], auth_date: int) -> InitData:
    get = fields.get
    user = get("user")
    receiver = get("receiver")
    chat = get("chat")
    can_send_after = get("can_send_after")
    return InitData(
        auth_date=as_datetime(auth_date),
        hash=get("hash"),
        query_id=get("query_id"),
        user=None if user is None else web_app_user(user, "user"),
        receiver=None if receiver is None else web_app_user(receiver, "receiver"),
        chat=None if chat is None else web_app_chat(chat),
        chat_type=get("chat_type"),
        chat_instance=get("chat_instance"),
        start_param=get("start_param"),
        can_send_after=None
        if can_send_after is None
        else plain_int(can_send_after, "can_send_after"),
        signature=get("signature"),
        extra=frozen({k: v for k, v in fields.items() if k not in _KNOWN}),
    )
