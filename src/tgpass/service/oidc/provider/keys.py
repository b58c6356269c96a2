"""Signing keys of the OpenID provider: made with joserfc, kept as private JWKs in the store.

One key per algorithm signs (RS256, which every relying party must accept, and ES256): the
newest one not retired. Rotation makes new signers at once and retires the old keys, which
stay in the JWKS until the last ID token they signed has expired (plus a margin for clocks and
caches), then disappear from it and, at the next rotation, from the store.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from joserfc.jwk import ECKey, Key, RSAKey, import_key

from tgpass.service.oidc.provider.store import OidcStore, SigningKey

SIGNING_ALGORITHMS = ("RS256", "ES256")
"""What ID tokens are signed with; RS256 first: the default every relying party accepts."""
DEFAULT_ALG = SIGNING_ALGORITHMS[0]
RSA_BITS = 2048


def new_key(alg: str, now: float) -> SigningKey:
    parameters: Any = {"alg": alg, "use": "sig"}
    key: Key
    if alg == "RS256":
        key = RSAKey.generate_key(RSA_BITS, parameters=parameters, private=True, auto_kid=True)
    elif alg == "ES256":
        key = ECKey.generate_key("P-256", parameters=parameters, private=True, auto_kid=True)
    else:
        raise ValueError(f"no key type for {alg!r}")
    return SigningKey(
        kid=str(key.kid), alg=alg, private_jwk=json.dumps(key.as_dict(private=True)), created_at=now
    )


@dataclass(frozen=True, slots=True)
class Rotation:
    """What ``rotate-keys`` did: the new signers, the keys retired (published until
    ``published_until``) and the keys dropped for good."""

    signers: tuple[str, ...]
    retired: tuple[str, ...]
    published_until: float
    dropped: tuple[str, ...]


class KeyRing:
    """The provider's keys, read from the store (parsed keys are kept by kid: a kid names
    one key for ever)."""

    def __init__(self, store: OidcStore, *, overlap: float, clock: Callable[[], float]) -> None:
        self.store = store
        self.overlap = overlap
        self.clock = clock
        self._parsed: dict[str, Key] = {}

    def _key(self, stored: SigningKey) -> Key:
        found = self._parsed.get(stored.kid)
        if found is None:
            found = import_key(json.loads(stored.private_jwk))
            self._parsed[stored.kid] = found
        return found

    async def _published(self) -> list[SigningKey]:
        now = self.clock()
        return [k for k in await self.store.signing_keys() if k.published(now)]

    async def signer(self, alg: str) -> tuple[str, Key]:
        """The kid and private key that sign with ``alg`` now; made on first use."""
        live = [k for k in await self.store.signing_keys() if k.alg == alg and k.retired_at is None]
        if not live:
            made = new_key(alg, self.clock())
            await self.store.add_keys([made])
            live = [made]
        newest = max(live, key=lambda k: (k.created_at, k.kid))
        return newest.kid, self._key(newest)

    async def jwks(self) -> dict[str, Any]:
        """The public keys relying parties verify with: signers and retired keys still in
        their overlap."""
        keys = await self._published()
        return {"keys": [self._key(k).as_dict(private=False) for k in keys]}

    async def verification_keys(self) -> list[Key]:
        return [self._key(k) for k in await self._published()]

    async def rotate(self, algorithms: Sequence[str] = SIGNING_ALGORITHMS) -> Rotation:
        now = self.clock()
        before = await self.store.signing_keys()
        new = [new_key(alg, now) for alg in algorithms]
        until = now + self.overlap
        dropped = await self.store.rotate_keys(new, now=now, drop_after=until)
        for kid in dropped:
            self._parsed.pop(kid, None)
        return Rotation(
            signers=tuple(k.kid for k in new),
            retired=tuple(k.kid for k in before if k.retired_at is None),
            published_until=until,
            dropped=tuple(dropped),
        )
