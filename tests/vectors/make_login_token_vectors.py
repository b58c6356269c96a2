"""Compute tests/vectors/login_tokens.json: Telegram Login ID tokens, good and bad.

Tokens are built by hand from RFC 7515/7518/8037/8812 with ``cryptography`` alone: it imports
nothing of tgpass and not joserfc, so the vectors check tgpass rather than echo the library it
uses. The signing keys are kept in the JSON; run again, it reuses them (only ECDSA signatures,
which are randomized, change). Delete the file to make new keys.

Run: python tests/vectors/make_login_token_vectors.py > tests/vectors/login_tokens.new.json
     (then move it over tests/vectors/login_tokens.json)
"""

import base64
import hashlib
import hmac
import json
import sys
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

HERE = Path(__file__).parent
OUT = HERE / "login_tokens.json"

ISSUER = "https://oauth.telegram.org"
CLIENT_ID = "7000000001"
NONCE = "n-0S6_WzA2Mj"
IAT = 1767225600  # 2026-01-01T00:00:00Z
EXP = IAT + 3600
NOW = IAT + 600
LEEWAY = 60  # tgpass's default, which the expectations assume
KIDS = {
    "RS256": "oidc-1",
    "ES256": "oidc-es256-1",
    "EdDSA": "oidc-eddsa-1",
    "ES256K": "oidc-es256k-1",
}
CURVES = {"ES256": ("P-256", ec.SECP256R1()), "ES256K": ("secp256k1", ec.SECP256K1())}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def uint(n: int, size: int | None = None) -> str:
    return b64(n.to_bytes(size or (n.bit_length() + 7) // 8, "big"))


def to_int(text: str) -> int:
    return int.from_bytes(unb64(text), "big")


# -- keys as JWKs ---------------------------------------------------------------------------


def new_jwk(alg):
    kid = KIDS[alg]
    if alg == "RS256":
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        priv, pub = key.private_numbers(), key.public_key().public_numbers()
        return {
            "kty": "RSA", "kid": kid, "alg": alg, "use": "sig",
            "n": uint(pub.n), "e": uint(pub.e), "d": uint(priv.d), "p": uint(priv.p),
            "q": uint(priv.q), "dp": uint(priv.dmp1), "dq": uint(priv.dmq1),
            "qi": uint(priv.iqmp),
        }  # fmt: skip
    if alg in CURVES:
        crv, curve = CURVES[alg]
        key = ec.generate_private_key(curve)
        pub = key.public_key().public_numbers()
        return {
            "kty": "EC", "kid": kid, "alg": alg, "use": "sig", "crv": crv,
            "x": uint(pub.x, 32), "y": uint(pub.y, 32),
            "d": uint(key.private_numbers().private_value, 32),
        }  # fmt: skip
    key = ed25519.Ed25519PrivateKey.generate()
    return {
        "kty": "OKP", "kid": kid, "alg": alg, "use": "sig", "crv": "Ed25519",
        "x": b64(key.public_key().public_bytes_raw()), "d": b64(key.private_bytes_raw()),
    }  # fmt: skip


def private_key(jwk):
    if jwk["kty"] == "RSA":
        public = rsa.RSAPublicNumbers(to_int(jwk["e"]), to_int(jwk["n"]))
        numbers = rsa.RSAPrivateNumbers(
            *(to_int(jwk[k]) for k in ("p", "q", "d", "dp", "dq", "qi")), public
        )
        return numbers.private_key()
    if jwk["kty"] == "EC":
        return ec.derive_private_key(to_int(jwk["d"]), CURVES[jwk["alg"]][1])
    return ed25519.Ed25519PrivateKey.from_private_bytes(unb64(jwk["d"]))


def public_jwk(jwk):
    return {k: v for k, v in jwk.items() if k not in {"d", "p", "q", "dp", "dq", "qi"}}


# -- tokens ---------------------------------------------------------------------------------


def signature(alg, jwk, signing_input):
    key = private_key(jwk)
    if alg == "RS256":
        return key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    if alg in CURVES:
        r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return key.sign(signing_input)


def compact(header, payload):
    head = b64(json.dumps(header, separators=(",", ":")).encode())
    body = b64(payload if isinstance(payload, bytes) else json.dumps(payload).encode())
    return f"{head}.{body}"


def token(keys, alg, claims, *, header=None, key_alg=None):
    """A JWS signed with the key of ``key_alg`` (``alg`` by default) under ``header``."""
    header = header or {"alg": alg, "kid": KIDS[alg], "typ": "JWT"}
    unsigned = compact(header, claims)
    sig = signature(key_alg or alg, keys[key_alg or alg], unsigned.encode())
    return f"{unsigned}.{b64(sig)}"


def claims(**changes):
    base = {
        "iss": ISSUER,
        "aud": CLIENT_ID,
        "sub": "Zx3nQm8pL2vR7kT1",
        "iat": IAT,
        "exp": EXP,
        "nonce": NONCE,
        "id": 5000000001,
        "name": "Ян Ковальски",
        "preferred_username": "yan_k",
        "picture": "https://t.me/i/userpic/320/yan_k.jpg",
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def expect(c, alg, **more):
    out = {
        "telegram_id": c["id"],
        "sub": c["sub"],
        "name": c.get("name"),
        "first_name": c.get("given_name"),
        "last_name": c.get("family_name"),
        "username": c.get("preferred_username"),
        "picture": c.get("picture"),
        "phone_number": c.get("phone_number"),
        "nonce": c.get("nonce"),
        "audience": CLIENT_ID,
        "algorithm": alg,
        "key_id": KIDS[alg],
        "issued_at": c["iat"],
        "expires_at": c["exp"],
        "auth_time": c.get("auth_time"),
    }
    out.update(more)
    return out


def valid(name, keys, alg, c, jwks="telegram", **more):
    return {
        "name": name,
        "jwks": jwks,
        "client_id": CLIENT_ID,
        "nonce": NONCE if "nonce" in c else None,
        "now": NOW,
        "id_token": token(keys, alg, c),
        "valid": True,
        "expect": expect(c, alg, **more),
    }


def invalid(name, id_token, code, *, nonce=NONCE, now=NOW, client_id=CLIENT_ID, jwks="telegram"):
    return {
        "name": name,
        "jwks": jwks,
        "client_id": client_id,
        "nonce": nonce,
        "now": now,
        "id_token": id_token,
        "valid": False,
        "error_code": code,
    }


def cases(keys):
    full = claims(
        phone_number="+15555550123",
        phone_number_verified=True,
        auth_time=IAT - 5,
        telegram_added_later={"x": 1},
    )
    rs = token(keys, "RS256", claims())
    head, body, sig = rs.split(".")
    flipped = sig[:-4] + ("AAAA" if not sig.endswith("AAAA") else "BBBB")
    other_body = b64(json.dumps(claims(id=5000000002)).encode())
    none_token = compact({"alg": "none", "kid": KIDS["RS256"]}, claims()) + "."
    # The classic confusion: HS256 keyed with the RSA public key the verifier holds.
    public_jwk_bytes = json.dumps(public_jwk(keys["RS256"]), sort_keys=True).encode()
    hs_unsigned = compact({"alg": "HS256", "kid": KIDS["RS256"]}, claims())
    hs_token = (
        hs_unsigned
        + "."
        + b64(hmac.new(public_jwk_bytes, hs_unsigned.encode(), hashlib.sha256).digest())
    )
    hs_oct = compact({"alg": "HS256", "kid": "published-secret"}, claims())
    hs_oct += "." + b64(hmac.new(b"published secret", hs_oct.encode(), hashlib.sha256).digest())
    return [
        valid(
            "RS256, every claim: profile, phone, auth_time, a claim added later",
            keys,
            "RS256",
            full,
            **{"claims.telegram_added_later": {"x": 1}},
        ),
        valid("ES256 (P-256)", keys, "ES256", claims(id=9007199254740993)),
        valid("EdDSA (Ed25519)", keys, "EdDSA", claims(picture=None, preferred_username=None)),
        valid("ES256K (secp256k1)", keys, "ES256K", claims()),
        valid(
            "a key set with keys of types tgpass does not know: the token's kid is all that counts",
            keys,
            "ES256K",
            claims(),
            jwks="with_unknown_keys",
        ),
        valid(
            "aud as a list, with azp naming the client",
            keys,
            "RS256",
            claims(aud=[CLIENT_ID, "other-audience"], azp=CLIENT_ID),
        ),
        valid(
            "given_name and family_name, when sent, are first_name and last_name",
            keys,
            "EdDSA",
            claims(given_name="Ян", family_name="Ковальски"),
        ),
        valid("no nonce asked, none carried", keys, "RS256", claims(nonce=None)),
        invalid("expired: past exp by more than the leeway", rs, "expired", now=EXP + LEEWAY + 1),
        invalid(
            "issued in the future, beyond the leeway",
            token(keys, "RS256", claims(iat=NOW + LEEWAY + 30, exp=NOW + 3600)),
            "auth_date_in_future",
        ),
        invalid("wrong audience: another bot", rs, "wrong_audience", client_id="7000000002"),
        invalid(
            "wrong audience: azp names another client",
            token(keys, "ES256", claims(aud=[CLIENT_ID, "x"], azp="x")),
            "wrong_audience",
        ),
        invalid(
            "wrong issuer: a look-alike host",
            token(keys, "RS256", claims(iss="https://oauth.telegram.org.example.com")),
            "wrong_issuer",
        ),
        invalid("wrong nonce", token(keys, "EdDSA", claims(nonce="another-login")), "wrong_nonce"),
        invalid(
            "nonce asked, none carried", token(keys, "RS256", claims(nonce=None)), "wrong_nonce"
        ),
        invalid(
            "unknown kid: a key Telegram does not publish (yet)",
            token(keys, "RS256", claims(), header={"alg": "RS256", "kid": "oidc-2"}),
            "unknown_key",
        ),
        invalid("tampered signature", f"{head}.{body}.{flipped}", "bad_signature"),
        invalid("tampered payload: another id", f"{head}.{other_body}.{sig}", "bad_signature"),
        invalid(
            "alg does not fit the key: ES256 signature under the RSA key's kid",
            token(keys, "ES256", claims(), header={"alg": "ES256", "kid": KIDS["RS256"]}),
            "bad_signature",
        ),
        invalid("alg none, unsigned", none_token, "unsupported_algorithm"),
        invalid("HS256 keyed with the RSA public key", hs_token, "unsupported_algorithm"),
        invalid(
            "HS256 under a published oct key's kid",
            hs_oct,
            "unsupported_algorithm",
            jwks="with_unknown_keys",
        ),
        invalid(
            "no id: only the openid scope",
            token(keys, "ES256K", claims(id=None, name=None, preferred_username=None)),
            "missing_field",
        ),
        invalid(
            "no kid in the header",
            token(keys, "RS256", claims(), header={"alg": "RS256", "typ": "JWT"}),
            "missing_field",
        ),
        invalid(
            "the payload is a JSON list",
            token(keys, "RS256", [claims()]),
            "malformed",
        ),
        invalid("two segments", f"{head}.{body}", "malformed"),
        invalid("not base64", "%%%.%%%.%%%", "malformed"),
    ]


def unknown_keys(public):
    return {
        "keys": [
            {"kty": "OKP", "crv": "X448", "kid": "oidc-x448-1", "x": b64(bytes(56))},
            {"kty": "EC", "crv": "P-999", "kid": "oidc-p999-1", "x": "AA", "y": "AA"},
            {"kty": "PQC", "alg": "ML-DSA-65", "kid": "oidc-mldsa-1", "pub": "AAAA"},
            {"kty": "oct", "kid": "published-secret", "k": b64(b"published secret")},
            {"kty": "RSA", "use": "enc", "kid": "oidc-enc-1", "n": public[0]["n"], "e": "AQAB"},
            {"kty": "RSA", "n": public[0]["n"], "e": "AQAB"},  # no kid at all
            "not even an object",
            *public,
        ]
    }


def main():
    if OUT.exists():
        keys = json.loads(OUT.read_text("utf-8"))["signing_keys"]
    else:
        keys = {alg: new_jwk(alg) for alg in KIDS}
    public = [public_jwk(keys[alg]) for alg in KIDS]
    vectors = {
        "description": (
            "Telegram Login ID tokens computed by tests/vectors/make_login_token_vectors.py "
            "with cryptography alone, independent of tgpass and joserfc. Each case: the key set "
            "to use, the client id, the nonce asked for, a fixed now, and the fields expected "
            "or the InvalidAuthData code. Times are unix seconds; leeway is tgpass's default."
        ),
        "issuer": ISSUER,
        "leeway": LEEWAY,
        "signing_keys": keys,
        "jwks": {"telegram": {"keys": public}, "with_unknown_keys": unknown_keys(public)},
        "tokens": cases(keys),
    }
    json.dump(vectors, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
