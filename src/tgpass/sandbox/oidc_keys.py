"""The keys the sandbox signs ID tokens with, as Telegram's at ``oauth.telegram.org``.

One current key per algorithm Telegram offers (RS256 by default; ES256, EdDSA and ES256K on
request), generated when first needed and kept in the world, so that a saved world signs
with the same keys when loaded. A rotation makes a new current key; the old one stays in the
JWKS for an overlap, so that tokens signed just before still verify, then it goes.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import Any, Literal, get_args

from joserfc import jwk, jwt
from joserfc.jwk import ECKey, OKPKey, RSAKey

from .world import SigningKey, World

Json = dict[str, Any]
Key = RSAKey | ECKey | OKPKey

Algorithm = Literal["RS256", "ES256", "EdDSA", "ES256K"]
TELEGRAM_ALGORITHMS: tuple[str, ...] = get_args(Algorithm)
DEFAULT_ALGORITHM = "RS256"
DEFAULT_OVERLAP = 3600.0  # seconds a rotated-out key stays published


def _generate(alg: str) -> Key:
    parameters: Any = {"alg": alg, "use": "sig"}
    if alg == "RS256":
        return RSAKey.generate_key(2048, parameters, auto_kid=True)
    if alg == "ES256":
        return ECKey.generate_key("P-256", parameters, auto_kid=True)
    if alg == "ES256K":
        return ECKey.generate_key("secp256k1", parameters, auto_kid=True)
    if alg == "EdDSA":
        return OKPKey.generate_key("Ed25519", parameters, auto_kid=True)
    raise ValueError(f"the algorithm is one of {', '.join(TELEGRAM_ALGORITHMS)}")


def check_algorithm(alg: str) -> str:
    if alg not in TELEGRAM_ALGORITHMS:
        raise ValueError(f"the algorithm is one of {', '.join(TELEGRAM_ALGORITHMS)}")
    return alg


class KeyRing:
    """The world's signing keys: sign with the current one, publish those still valid."""

    def __init__(self, world: World) -> None:
        self.world = world
        self._imported: dict[str, Key] = {}

    def _prune(self) -> None:
        now = self.world.clock()
        self.world.oidc_keys[:] = [
            k for k in self.world.oidc_keys if k.retire_at is None or k.retire_at > now
        ]

    def _find(self, alg: str) -> SigningKey | None:
        for key in reversed(self.world.oidc_keys):
            if key.alg == alg and key.retire_at is None:
                return key
        return None

    def current(self, alg: str) -> SigningKey:
        """The key tokens of ``alg`` are signed with now, made on first use."""
        return self._find(check_algorithm(alg)) or self._add(alg)

    def _add(self, alg: str) -> SigningKey:
        made = _generate(alg)
        key = SigningKey(
            kid=str(made.kid),
            alg=alg,
            jwk=dict(made.as_dict(private=True)),
            created_at=self.world.clock(),
        )
        self.world.oidc_keys.append(key)
        self._imported[key.kid] = made
        return key

    def published(self) -> list[SigningKey]:
        """Every key a relying party may meet in a token now: current ones and those rotated
        out within their overlap. Each algorithm has a current key."""
        self._prune()
        for alg in TELEGRAM_ALGORITHMS:
            self.current(alg)
        return list(self.world.oidc_keys)

    def jwks(self) -> Json:
        keys = []
        for key in self.published():
            public = dict(self._key(key).as_dict(private=False))
            public.update({"kid": key.kid, "alg": key.alg, "use": "sig"})
            keys.append(public)
        return {"keys": keys}

    def rotate(self, algorithms: Iterable[str], overlap: float) -> list[SigningKey]:
        """New current keys for ``algorithms``; the old ones stay published ``overlap``
        seconds more (0: gone now)."""
        self._prune()
        now = self.world.clock()
        made = []
        for alg in dict.fromkeys(check_algorithm(a) for a in algorithms):
            old = self._find(alg)
            if old is not None:
                old.retire_at = now + overlap
            made.append(self._add(alg))
        self._prune()
        return made

    def sign(self, claims: Json, alg: str) -> str:
        key = self.current(alg)
        header = {"alg": alg, "kid": key.kid, "typ": "JWT"}
        with warnings.catch_warnings():
            # joserfc flags EdDSA as superseded by Ed25519 (RFC 9864); Telegram names it EdDSA
            warnings.simplefilter("ignore")
            return jwt.encode(header, claims, self._key(key), algorithms=[alg])

    def _key(self, key: SigningKey) -> Key:
        found = self._imported.get(key.kid)
        if found is None:
            imported = jwk.import_key(key.jwk)
            if not isinstance(imported, RSAKey | ECKey | OKPKey):
                raise ValueError(f"key {key.kid} is not a signing key")
            found = self._imported[key.kid] = imported
        return found
