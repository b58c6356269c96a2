"""One Telegram Login ID token checked: its signature by joserfc with the key its ``kid``
names, then its claims, each failure an ``InvalidAuthData`` with its own code.

The order matters. The algorithm is taken from the header only if it is one Telegram signs
with, and only with a key whose type and curve fit it (no ``none``, no HMAC keyed with a
public key). No claim is read before the signature holds.
"""

from __future__ import annotations

import hmac
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, Final

from joserfc import jws
from joserfc.errors import JoseError, UnsupportedAlgorithmError
from joserfc.jwa import JWSAlgModel

from tgpass.errors import ConfigError, InvalidAuthData
from tgpass.verify._clock import unix_now

from ._keys import ALGORITHMS, TELEGRAM_ISSUER, Key, LoginKeySet

DEFAULT_LEEWAY: Final = 60.0
"""Seconds of clock difference allowed on ``exp``, ``iat`` and ``nbf``."""
MAX_TOKEN_CHARS: Final = 16384
# 9999-12-31T23:59:59Z: beyond it datetime cannot represent the moment.
_LAST_UNIX_TIME: Final = 253402300799


@dataclass(frozen=True, slots=True, kw_only=True)
class TelegramLoginToken:
    """A verified Telegram Login ID token: who signed in, for which bot, and when.

    ``telegram_id`` is the user's Telegram id (the ``id`` claim); ``sub`` is an opaque
    subject Telegram makes for this bot, not the Telegram id. Profile fields are as
    Telegram sent them (``name`` always with the ``profile`` scope; ``first_name`` and
    ``last_name`` only if it sends ``given_name`` and ``family_name``); ``phone_number``
    only with the ``phone`` scope and the user's consent. ``claims`` holds every claim,
    those added later included.
    """

    telegram_id: int
    sub: str
    name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    username: str | None = None
    """``preferred_username``: the Telegram @username, without the @."""
    picture: str | None = None
    phone_number: str | None = field(default=None, repr=False)
    issued_at: datetime
    expires_at: datetime
    auth_time: datetime | None = None
    nonce: str | None = field(default=None, repr=False)
    audience: str
    """The client id (the bot id) the token was issued to: the one asked for."""
    algorithm: str
    key_id: str
    claims: Mapping[str, Any] = field(repr=False, hash=False, compare=False)


class _OneAlgorithm(jws.JWSRegistry):
    """joserfc's registry narrowed to the one algorithm the key fits.

    Telegram names its Ed25519 signatures ``EdDSA``, which joserfc flags as superseded by
    ``Ed25519`` (RFC 9864) with a warning on every token; the algorithm is the same and
    Telegram will keep the name, so this registry does not warn. Header members joserfc does
    not know are ignored (RFC 7515 §4), as Telegram may add some.
    """

    def __init__(self, alg: str) -> None:
        super().__init__(algorithms=[alg], strict_check_header=False)
        self.alg = alg

    def get_alg(self, name: str) -> JWSAlgModel:
        if name != self.alg:
            raise UnsupportedAlgorithmError(f"Algorithm of '{name}' is not allowed")
        return self.algorithms[name]


_REGISTRIES: Final = MappingProxyType({alg: _OneAlgorithm(alg) for alg in ALGORITHMS})


def _malformed(message: str, field: str | None = None) -> InvalidAuthData:
    return InvalidAuthData("malformed", message, field=field)


def _extract(id_token: object) -> jws.CompactSignature:
    if not isinstance(id_token, str):
        raise _malformed(f"the ID token must be a string, not {type(id_token).__name__}")
    if len(id_token) > MAX_TOKEN_CHARS or not id_token.isascii():
        raise _malformed("the ID token is not a compact JWS (too long, or not ASCII)")
    try:
        return jws.extract_compact(id_token.encode("ascii"))
    except (JoseError, ValueError, TypeError):
        raise _malformed("the ID token is not a compact JWS (header.payload.signature)") from None


def _header(signed: jws.CompactSignature) -> tuple[str, str]:
    """The token's algorithm, checked to be one of Telegram's, and its key id."""
    header = signed.headers()
    alg = header.get("alg")
    if alg not in ALGORITHMS:
        raise InvalidAuthData(
            "unsupported_algorithm",
            f"the ID token is signed with {alg!r}; Telegram signs with {', '.join(ALGORITHMS)}",
            field="alg",
        )
    if "crit" in header or "b64" in header:
        raise _malformed("the ID token's header asks for JWS extensions Telegram never uses")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise InvalidAuthData("missing_field", "the ID token names no key (kid)", field="kid")
    return str(alg), kid


def token_key_id(id_token: str) -> str:
    """The ``kid`` of a token's header, unverified: which key to look up or fetch."""
    return _header(_extract(id_token))[1]


def _verify_signature(signed: jws.CompactSignature, key: Key, alg: str) -> None:
    try:
        valid = jws.validate_compact(signed, key, registry=_REGISTRIES[alg])
    except JoseError:
        valid = False
    if not valid:
        raise InvalidAuthData(
            "bad_signature", "the ID token's signature does not verify with Telegram's key"
        )


def _claims(payload: bytes | None) -> dict[str, Any]:
    try:
        claims = json.loads(payload or b"")
    except ValueError:
        raise _malformed("the ID token's payload is not JSON") from None
    if not isinstance(claims, dict):
        raise _malformed("the ID token's payload is not a JSON object")
    return claims


def _text(claims: Mapping[str, Any], name: str) -> str | None:
    value = claims.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _malformed(f"the claim {name} must be a string", field=name)
    return value


def _moment(claims: Mapping[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not 0 <= value <= _LAST_UNIX_TIME
    ):
        raise _malformed(f"the claim {name} must be a time in unix seconds", field=name)
    return float(value)


def _required_moment(claims: Mapping[str, Any], name: str) -> float:
    value = _moment(claims, name)
    if value is None:
        raise InvalidAuthData("missing_field", f"the ID token has no {name}", field=name)
    return value


def _as_datetime(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _check_issuer(claims: Mapping[str, Any], issuer: str) -> None:
    iss = claims.get("iss")
    if iss is None:
        raise InvalidAuthData("missing_field", "the ID token has no issuer (iss)", field="iss")
    if iss != issuer:
        raise InvalidAuthData(
            "wrong_issuer", f"the ID token was issued by {iss!r}, not {issuer!r}", field="iss"
        )


def _check_audience(claims: Mapping[str, Any], client_id: str) -> None:
    """OpenID Connect Core §3.1.3.7: ``aud`` holds the client id; with several audiences,
    ``azp`` must name it; ``azp``, when present, is the client id."""
    aud = claims.get("aud")
    if aud is None:
        raise InvalidAuthData("missing_field", "the ID token has no audience (aud)", field="aud")
    audiences = aud if isinstance(aud, list) else [aud]
    if not all(isinstance(a, str) for a in audiences):
        raise _malformed("the claim aud must be a string or a list of strings", field="aud")
    azp = claims.get("azp")
    if client_id not in audiences or (azp is not None and azp != client_id):
        raise InvalidAuthData(
            "wrong_audience",
            f"the ID token was issued to another client than {client_id}",
            field="aud",
        )
    if len(audiences) > 1 and azp is None:
        raise InvalidAuthData(
            "wrong_audience",
            "the ID token names several audiences and no authorized party (azp)",
            field="azp",
        )


def _check_times(
    claims: Mapping[str, Any], *, current: float, leeway: float, max_age: float | None
) -> tuple[float, float]:
    expires = _required_moment(claims, "exp")
    issued = _required_moment(claims, "iat")
    not_before = _moment(claims, "nbf")
    signed = _as_datetime(issued)
    if current > expires + leeway:
        raise InvalidAuthData(
            "expired",
            f"the ID token expired {current - expires:.0f} s ago",
            field="exp",
            auth_date=signed,
        )
    if issued > current + leeway or (not_before is not None and not_before > current + leeway):
        raise InvalidAuthData(
            "auth_date_in_future",
            f"the ID token is issued {issued - current:.0f} s in the future",
            field="iat",
            auth_date=signed,
        )
    if max_age is not None and current - issued > max_age:
        raise InvalidAuthData(
            "expired",
            f"the ID token was issued {current - issued:.0f} s ago, more than "
            f"max_age={max_age:g} s",
            field="iat",
            auth_date=signed,
        )
    return issued, expires


def _check_nonce(claims: Mapping[str, Any], nonce: str | None) -> str | None:
    carried = _text(claims, "nonce")
    if nonce is not None and (
        carried is None or not hmac.compare_digest(carried.encode(), nonce.encode())
    ):
        raise InvalidAuthData(
            "wrong_nonce",
            "the ID token carries no nonce"
            if carried is None
            else "the ID token's nonce is not this login's: it was issued for another sign-in",
            field="nonce",
        )
    return carried


def _telegram_id(claims: Mapping[str, Any]) -> int:
    value = claims.get("id")
    if value is None:
        raise InvalidAuthData(
            "missing_field",
            "the ID token has no Telegram id (the id claim comes with the profile scope)",
            field="id",
        )
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise _malformed("the claim id must be a positive integer", field="id")
    return value


def _subject(claims: Mapping[str, Any]) -> str:
    sub = claims.get("sub")
    if sub is None:
        raise InvalidAuthData("missing_field", "the ID token has no subject (sub)", field="sub")
    if not isinstance(sub, str) or not sub:
        raise _malformed("the claim sub must be a non-empty string", field="sub")
    return sub


def _client_id(client_id: object) -> str:
    if isinstance(client_id, bool) or not isinstance(client_id, str | int):
        raise ConfigError("client_id is the bot id, as a string or an integer")
    text = str(client_id)
    if not text:
        raise ConfigError("client_id is the bot id and cannot be empty")
    return text


def _key_set(keys: object) -> LoginKeySet:
    if isinstance(keys, LoginKeySet):
        return keys
    if isinstance(keys, Mapping | str | bytes):
        return LoginKeySet(keys)
    raise ConfigError(
        "keys is a JWKS (a mapping or JSON text) or a LoginKeySet; with TelegramLoginKeys, "
        "call await keys.validate(...) or pass await keys.get()"
    )


def validate_login_token(
    id_token: str,
    client_id: str | int,
    keys: LoginKeySet | Mapping[str, Any] | str | bytes,
    *,
    nonce: str | None = None,
    max_age: float | None = None,
    now: float | datetime | None = None,
    issuer: str = TELEGRAM_ISSUER,
    leeway: float = DEFAULT_LEEWAY,
) -> TelegramLoginToken:
    """Verify a Telegram Login ID token and return who signed in.

    ``client_id`` is the bot id (the client id BotFather shows); ``keys`` is Telegram's
    JWKS, as a mapping, JSON text, or a ``LoginKeySet`` (read once: faster for many
    tokens). ``nonce``, when given, must be the token's. ``max_age``, when given, refuses
    tokens issued longer ago than that many seconds even if ``exp`` allows them. ``now`` is
    unix seconds or an aware datetime (default: the clock); ``leeway`` the seconds of clock
    difference allowed on ``exp``, ``iat`` and ``nbf``.

    Raises ``InvalidAuthData`` (a ``ValueError``) whose ``code`` says which check failed:
    ``malformed``, ``unsupported_algorithm``, ``missing_field``, ``unknown_key``,
    ``bad_signature``, ``wrong_issuer``, ``wrong_audience``, ``expired``,
    ``auth_date_in_future``, ``wrong_nonce``. Raises ``ConfigError`` for unusable arguments.
    """
    audience = _client_id(client_id)
    key_set = _key_set(keys)
    current = unix_now(now)
    signed = _extract(id_token)
    alg, kid = _header(signed)
    _verify_signature(signed, key_set.key_for(kid, alg), alg)
    claims = _claims(signed.payload)
    _check_issuer(claims, issuer)
    _check_audience(claims, audience)
    issued, expires = _check_times(claims, current=current, leeway=leeway, max_age=max_age)
    carried_nonce = _check_nonce(claims, nonce)
    auth_time = _moment(claims, "auth_time")
    return TelegramLoginToken(
        telegram_id=_telegram_id(claims),
        sub=_subject(claims),
        name=_text(claims, "name"),
        first_name=_text(claims, "given_name"),
        last_name=_text(claims, "family_name"),
        username=_text(claims, "preferred_username"),
        picture=_text(claims, "picture"),
        phone_number=_text(claims, "phone_number"),
        issued_at=_as_datetime(issued),
        expires_at=_as_datetime(expires),
        auth_time=None if auth_time is None else _as_datetime(auth_time),
        nonce=carried_nonce,
        audience=audience,
        algorithm=alg,
        key_id=kid,
        claims=MappingProxyType(claims),
    )
