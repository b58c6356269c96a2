"""Telegram's signing keys: a key set read once and looked up by ``kid``.

A key set is read leniently on purpose. Telegram publishes one key per algorithm it signs
with (RS256, ES256, EdDSA, ES256K) and adds new ones when it likes: in 2026 an ES256K key
(curve secp256k1) broke every client that refused the whole set over one key it could not
read. Here a key of a type, curve or use we do not know is skipped, never an error; only the
key a token names by its ``kid`` is ever imported, and only if it fits the token's algorithm.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

from joserfc import jwk
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, OKPKey, RSAKey

from tgpass.errors import ConfigError, InvalidAuthData

Key = RSAKey | ECKey | OKPKey

TELEGRAM_ISSUER: Final = "https://oauth.telegram.org"
JWKS_URL: Final = f"{TELEGRAM_ISSUER}/.well-known/jwks.json"
"""Where Telegram's discovery document (``jwks_uri``) says its keys are."""

# What each algorithm Telegram signs with needs of a key: its type and curve.
KEY_SHAPES: Final[Mapping[str, tuple[str, str | None]]] = MappingProxyType(
    {
        "RS256": ("RSA", None),
        "ES256": ("EC", "P-256"),
        "EdDSA": ("OKP", "Ed25519"),
        "ES256K": ("EC", "secp256k1"),
    }
)
ALGORITHMS: Final = tuple(KEY_SHAPES)
MIN_RSA_BITS: Final = 2048
MAX_JWKS_BYTES: Final = 1 << 20  # Telegram's set is a few kilobytes


def _fits(entry: Mapping[str, Any], alg: str) -> bool:
    """Whether a published key could have made an ``alg`` signature: its type and curve, its
    declared ``alg`` and ``use`` if it has them. An RSA key never verifies an ES256 token,
    whatever the token's header says."""
    kty, crv = KEY_SHAPES[alg]
    return (
        entry.get("kty") == kty
        and (crv is None or entry.get("crv") == crv)
        and entry.get("alg", alg) == alg
        and entry.get("use", "sig") == "sig"
    )


def _rsa_bits(entry: Mapping[str, Any]) -> int:
    modulus = entry.get("n")
    if not isinstance(modulus, str):
        return 0
    try:
        raw = base64.urlsafe_b64decode(modulus + "=" * (-len(modulus) % 4))
    except ValueError:
        return 0
    return int.from_bytes(raw, "big").bit_length()


def _import(entry: Mapping[str, Any]) -> Key | None:
    """The public key of one published entry, or None when it cannot be a signing key of
    Telegram's (broken parameters, a short RSA modulus)."""
    if entry.get("kty") == "RSA" and _rsa_bits(entry) < MIN_RSA_BITS:
        return None  # checked first: joserfc would import it, with a warning
    public = {k: v for k, v in entry.items() if k not in {"d", "p", "q", "dp", "dq", "qi"}}
    try:
        key = jwk.import_key(public)
    except (JoseError, ValueError, KeyError, TypeError):
        return None
    return key if isinstance(key, RSAKey | ECKey | OKPKey) else None


def _entries(jwks: Mapping[str, Any] | str | bytes) -> list[Mapping[str, Any]]:
    if isinstance(jwks, str | bytes):
        if len(jwks) > MAX_JWKS_BYTES:
            raise ConfigError("the key set is larger than any Telegram publishes")
        try:
            jwks = json.loads(jwks)
        except ValueError:
            raise ConfigError("the key set is not JSON") from None
    if not isinstance(jwks, Mapping):
        raise ConfigError('a key set is a JSON object: {"keys": [...]}')
    keys = jwks.get("keys")
    if not isinstance(keys, list):
        raise ConfigError('a key set has a "keys" list')
    return [entry for entry in keys if isinstance(entry, Mapping)]


class LoginKeySet:
    """A JWKS (``{"keys": [...]}``, as a mapping or JSON text) read once, for many tokens.

    Entries without a ``kid``, and keys of a type, curve or use tgpass does not know, are
    kept aside and never looked at. Keys are imported when a token first names them, then
    kept; build one set and reuse it rather than passing the JWKS again for every token.
    """

    __slots__ = ("_by_kid", "_imported")

    def __init__(self, jwks: Mapping[str, Any] | str | bytes) -> None:
        by_kid: dict[str, list[Mapping[str, Any]]] = {}
        for entry in _entries(jwks):
            kid = entry.get("kid")
            if isinstance(kid, str) and kid:
                by_kid.setdefault(kid, []).append(dict(entry))
        self._by_kid: Mapping[str, tuple[Mapping[str, Any], ...]] = MappingProxyType(
            {kid: tuple(entries) for kid, entries in by_kid.items()}
        )
        self._imported: dict[tuple[str, str], Key | None] = {}

    @property
    def kids(self) -> frozenset[str]:
        """The key ids the set names, usable or not."""
        return frozenset(self._by_kid)

    def __contains__(self, kid: object) -> bool:
        return kid in self._by_kid

    def __repr__(self) -> str:
        return f"LoginKeySet(kids={sorted(self._by_kid)!r})"

    def key_for(self, kid: str, alg: str) -> Key:
        """The key ``kid`` names, checked to fit ``alg`` (one of ``ALGORITHMS``).

        Raises ``InvalidAuthData``: ``unknown_key`` when no key has that id,
        ``bad_signature`` when the keys under that id cannot make an ``alg`` signature.
        """
        cached = self._imported.get((kid, alg))
        if cached is not None:
            return cached
        entries = self._by_kid.get(kid)
        if entries is None:
            raise InvalidAuthData(
                "unknown_key",
                f"the token is signed with key {kid!r}, which is not among Telegram's keys",
                field="kid",
            )
        for entry in entries:
            if _fits(entry, alg):
                key = _import(entry)
                if key is not None:
                    self._imported[(kid, alg)] = key
                    return key
        shapes = ", ".join(f"{e.get('kty')}/{e.get('crv', e.get('alg'))}" for e in entries)
        raise InvalidAuthData(
            "bad_signature",
            f"the token says {alg} but key {kid!r} ({shapes}) cannot make such a signature",
            field="kid",
        )
