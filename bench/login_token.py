"""Telegram Login ID tokens: tgpass against pyTelegramOIDC and joserfc alone, side by side,
on the same tokens, in one run.

Run: python -m bench.login_token   (part of make bench, which installs the peers)

The tokens are signed at start with the fixed keys of tests/vectors/login_tokens.json, issued
now, so that every implementation reads the real clock and accepts them. Contenders:

- tgpass.validate_login_token with a LoginKeySet (the key set read once, as a site keeps it)
  and with the JWKS mapping itself (read again for every token);
- pyTelegramOIDC's TelegramAsyncOIDCClient.validate_id_token (PyJWT), its key cache filled
  with the same JWKS so that it never reaches the network; it knows RS256 only;
- joserfc alone: jwt.decode with the same key set, then JWTClaimsRegistry's checks of iss,
  aud, exp, iat and sub, and nothing Telegram-specific (the peer tgpass is built on).

Each round times every implementation on the same token, in turn, so that a noisy neighbour
slows all of them alike; the table shows the median over the rounds. Every implementation is
first checked to accept the token, so that none is timed failing early. Target: tgpass with
a LoginKeySet at least as fast as pyTelegramOIDC on RS256 (Telegram's default).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
import warnings
from pathlib import Path
from typing import Any

from joserfc import jwk, jws, jwt
from joserfc.jwt import JWTClaimsRegistry
from teleoidc import TelegramAsyncOIDCClient

from bench._race import Call, race
from tgpass.login_token import LoginKeySet, validate_login_token

VECTORS = Path(__file__).resolve().parent.parent / "tests" / "vectors" / "login_tokens.json"
ISSUER = "https://oauth.telegram.org"
CLIENT_ID = "7000000001"


def load() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(VECTORS.read_text("utf-8"))
    return data


def fresh_token(signing_key: dict[str, Any], alg: str) -> str:
    """A token as Telegram issues them, with the profile and phone claims, issued now."""
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": CLIENT_ID,
        "sub": "Zx3nQm8pL2vR7kT1",
        "iat": now,
        "exp": now + 3600,
        "id": 5000000001,
        "name": "Ян Ковальски",
        "preferred_username": "yan_k",
        "picture": "https://t.me/i/userpic/320/yan_k.jpg",
        "phone_number": "+15555550123",
    }
    header = {"alg": alg, "kid": signing_key["kid"], "typ": "JWT"}
    key = jwk.import_key(signing_key)
    return jwt.encode(header, claims, key, registry=jws.JWSRegistry(algorithms=[alg]))


def py_telegram_oidc(jwks: dict[str, Any]) -> TelegramAsyncOIDCClient:
    """pyTelegramOIDC's client with PyJWT's key cache filled and kept: no network."""
    client = TelegramAsyncOIDCClient(CLIENT_ID, "secret", "https://site.example/callback")
    cache = client.jwks_client.jwk_set_cache
    assert cache is not None
    cache.put(jwks)
    cache.lifespan = -1  # never expires within the run

    def offline() -> Any:
        raise AssertionError("pyTelegramOIDC tried to fetch the JWKS")

    client.jwks_client.fetch_data = offline  # type: ignore[method-assign]
    return client


def contenders(token: str, alg: str, jwks: dict[str, Any]) -> dict[str, Call]:
    key_set = LoginKeySet(jwks)
    joserfc_keys = jwk.KeySet.import_key_set(jwks)  # type: ignore[arg-type]
    claims_registry = JWTClaimsRegistry(
        iss={"essential": True, "value": ISSUER},
        aud={"essential": True, "value": CLIENT_ID},
        exp={"essential": True},
        iat={"essential": True},
        sub={"essential": True},
    )

    def joserfc_alone() -> object:
        decoded = jwt.decode(token, joserfc_keys, algorithms=[alg])
        claims_registry.validate(decoded.claims)
        return decoded

    calls: dict[str, Call] = {
        "tgpass.validate_login_token, LoginKeySet": lambda: validate_login_token(
            token, CLIENT_ID, key_set
        ),
        "tgpass.validate_login_token, JWKS mapping": lambda: validate_login_token(
            token, CLIENT_ID, jwks
        ),
    }
    if alg == "RS256":
        peer = py_telegram_oidc(jwks)
        calls["pyTelegramOIDC validate_id_token"] = lambda: peer.validate_id_token(token)
    calls["joserfc alone (decode + claims registry)"] = joserfc_alone
    return calls


def table(title: str, results: dict[str, float]) -> list[str]:
    ours = next(iter(results.values()))
    lines = [
        f"**{title}**",
        "",
        "| implementation | µs per call | validations/s | tgpass is x faster |",
        "|---|---:|---:|---:|",
    ]
    for name, seconds in results.items():
        lines.append(
            f"| {name} | {seconds * 1e6:.1f} | {1 / seconds:,.0f} | {seconds / ours:.2f} |"
        )
    return [*lines, ""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--number", type=int, default=300, help="calls per timing")
    parser.add_argument("--algorithms", default="RS256,ES256,EdDSA,ES256K", help="comma-separated")
    args = parser.parse_args()
    # joserfc alone warns on every EdDSA token (RFC 9864 renamed it); tgpass does not.
    warnings.simplefilter("ignore")
    vectors = load()
    jwks = vectors["jwks"]["telegram"]
    out = [
        f"Python {platform.python_version()} on {platform.machine()}, "
        f"{args.rounds} rounds x {args.number} calls, median per call.",
        "",
    ]
    ratio = None
    for alg in args.algorithms.split(","):
        token = fresh_token(vectors["signing_keys"][alg], alg)
        results = race(contenders(token, alg, jwks), args.rounds, args.number)
        out += table(f"{alg} ID token", results)
        if alg == "RS256":
            ours = results["tgpass.validate_login_token, LoginKeySet"]
            ratio = results["pyTelegramOIDC validate_id_token"] / ours
    if ratio is not None:
        verdict = "met" if ratio >= 1.0 else "MISSED"
        out.append(f"Target: tgpass >= pyTelegramOIDC on RS256: {ratio:.2f}x ({verdict})")
    print("\n".join(out))
    sys.exit(0 if ratio is None or ratio >= 1.0 else 1)


if __name__ == "__main__":
    main()
