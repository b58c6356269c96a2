"""The two checks every Telegram scheme shares: an HMAC over the data-check-string, and
Ed25519 for third parties. Both take what was already derived, so one payload can be tried
against several bots' keys without splitting or sorting it twice.
"""

from __future__ import annotations

import base64
import hmac
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from urllib.parse import quote

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from tgpass.errors import InvalidAuthData

from ._clock import parse_auth_date
from ._fields import data_check_string
from .keys import HmacSha256

HASH_ONLY = frozenset({"hash"})
HASH_AND_SIGNATURE = frozenset({"hash", "signature"})
# 64 bytes: 85 characters and an 86th holding the last 2 bits, its 4 low bits zero (A, Q, g
# or w). Any other 86th character decodes to the same bytes: one signature, 16 spellings.
_SIGNATURE = re.compile(r"[A-Za-z0-9_-]{85}[AQgw](?:==)?")


def received_hash(fields: Mapping[str, str]) -> str:
    value = fields.get("hash")
    if value is None:
        raise InvalidAuthData("missing_field", "hash is missing", field="hash")
    return value


def hmac_signer(
    check_string: bytes, received: str, secrets: Sequence[tuple[int, HmacSha256]]
) -> int:
    """The id of the bot whose secret signed ``check_string`` with ``received``."""
    # compare_digest needs ASCII str of any length; anything else cannot be a SHA-256 hex digest.
    if len(received) == 64 and received.isascii():
        received = received.lower()
        for bot_id, secret in secrets:
            expected = secret.digest(check_string).hex()
            if hmac.compare_digest(expected, received):
                return bot_id
    raise InvalidAuthData("bad_signature", "the hash does not match the data", field="hash")


def hmac_checked(
    fields: dict[str, str], secrets: Sequence[tuple[int, HmacSha256]]
) -> tuple[int, int]:
    """(signing bot id, auth_date) once the hash is found to match one of ``secrets``."""
    received = received_hash(fields)
    auth_date = parse_auth_date(fields.get("auth_date"))
    bot_id = hmac_signer(data_check_string(fields, HASH_ONLY), received, secrets)
    return bot_id, auth_date


def hmac_hex(secret: HmacSha256, fields: dict[str, str]) -> str:
    return secret.digest(data_check_string(fields, HASH_ONLY)).hex()


def third_party_message(bot_id: int, fields: dict[str, str]) -> bytes:
    return f"{bot_id}:WebAppData\n".encode() + data_check_string(fields, HASH_AND_SIGNATURE)


def decode_signature(fields: Mapping[str, str]) -> bytes:
    value = fields.get("signature")
    if value is None:
        raise InvalidAuthData("missing_field", "signature is missing", field="signature")
    if not _SIGNATURE.fullmatch(value):
        raise InvalidAuthData(
            "bad_signature", "signature is not 64 bytes of base64url", field="signature"
        )
    return base64.urlsafe_b64decode(value[:86] + "==")


def encode_signature(signature: bytes) -> str:
    return base64.urlsafe_b64encode(signature).rstrip(b"=").decode()


def ed25519_signer(
    fields: dict[str, str], signature: bytes, bot_ids: Sequence[int], key: Ed25519PublicKey
) -> int:
    """The id among ``bot_ids`` for which Telegram's key signed these fields."""
    check_string = data_check_string(fields, HASH_AND_SIGNATURE)
    for bot_id in bot_ids:
        try:
            key.verify(signature, f"{bot_id}:WebAppData\n".encode() + check_string)
        except InvalidSignature:
            continue
        return bot_id
    raise InvalidAuthData(
        "bad_signature", "the Ed25519 signature does not match", field="signature"
    )


def unix_seconds(moment: int | datetime) -> int:
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            raise TypeError("auth_date must be a timezone-aware datetime (or unix seconds)")
        return int(moment.timestamp())
    if isinstance(moment, bool) or not isinstance(moment, int) or moment < 0:
        raise TypeError("auth_date must be non-negative unix seconds or an aware datetime")
    return moment


def field_text(key: object, value: object) -> str:
    """A value to sign, as its text: str as is, int in decimal, bool as JSON."""
    if not isinstance(key, str) or not key:
        raise TypeError("field names must be non-empty strings")
    if key == "hash":
        raise InvalidAuthData("malformed", "'hash' is computed, not given", field=key)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    raise TypeError(f"field {key!r}: cannot sign a {type(value).__name__}")


def query_string(fields: Mapping[str, str]) -> str:
    return "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in fields.items())
