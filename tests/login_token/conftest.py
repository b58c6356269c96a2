"""The computed ID token vectors, and a signer over their fixed keys for new tokens."""

from __future__ import annotations

import functools
import json
import warnings
from pathlib import Path
from typing import Any

import pytest
from joserfc import jwk, jws, jwt

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).parent.parent / "vectors" / "login_tokens.json").read_text("utf-8")
)
CLIENT_ID = "7000000001"
ISSUER = VECTORS["issuer"]
KIDS = {alg: key["kid"] for alg, key in VECTORS["signing_keys"].items()}
NOW = 1767226200
IAT = 1767225600


@functools.cache
def signing_key(alg: str) -> jwk.Key:
    return jwk.import_key(VECTORS["signing_keys"][alg])  # slow for RSA: read once


def sign(claims: Any, alg: str = "RS256", *, header: dict[str, Any] | None = None) -> str:
    """A token signed with the vectors' key of ``alg`` (joserfc as the issuer)."""
    key = signing_key(alg)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # joserfc's note that EdDSA is now named Ed25519
        return jwt.encode(
            header or {"alg": alg, "kid": KIDS[alg], "typ": "JWT"},
            claims,
            key,
            registry=jws.JWSRegistry(algorithms=[alg], strict_check_header=False),
        )


def claims(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "iss": ISSUER,
        "aud": CLIENT_ID,
        "sub": "Zx3nQm8pL2vR7kT1",
        "iat": IAT,
        "exp": IAT + 3600,
        "id": 5000000001,
        "name": "Ann",
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


@pytest.fixture
def telegram_jwks() -> dict[str, Any]:
    jwks: dict[str, Any] = json.loads(json.dumps(VECTORS["jwks"]["telegram"]))
    return jwks
