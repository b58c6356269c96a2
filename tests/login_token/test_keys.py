"""LoginKeySet: a JWKS read leniently, a key looked up by kid and fitted to the algorithm."""

from __future__ import annotations

import json
import warnings
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from tgpass.errors import ConfigError, InvalidAuthData
from tgpass.login_token import LoginKeySet, validate_login_token

from .conftest import CLIENT_ID, KIDS, NOW, VECTORS, claims, sign


def test_a_set_holding_only_unknown_keys_is_read_and_names_them() -> None:
    unknown = [k for k in VECTORS["jwks"]["with_unknown_keys"]["keys"] if isinstance(k, dict)][:4]
    keys = LoginKeySet({"keys": unknown})
    assert keys.kids == {"oidc-x448-1", "oidc-p999-1", "oidc-mldsa-1", "published-secret"}
    assert "oidc-x448-1" in keys
    assert "oidc-1" not in keys


@pytest.mark.parametrize("form", ["mapping", "text", "bytes"])
def test_a_jwks_in_any_form(telegram_jwks: Any, form: str) -> None:
    given: Any = {
        "mapping": telegram_jwks,
        "text": json.dumps(telegram_jwks),
        "bytes": json.dumps(telegram_jwks).encode(),
    }[form]
    assert LoginKeySet(given).kids == set(KIDS.values())
    assert repr(LoginKeySet(given)).startswith("LoginKeySet(kids=[")


@pytest.mark.parametrize(
    "jwks", [{"keys": {}}, {}, [], "[]", "{", b"\xff", "x" * (2 << 20), {"keys": None}]
)
def test_what_is_not_a_jwks_is_a_config_error(jwks: Any) -> None:
    with pytest.raises(ConfigError):
        LoginKeySet(jwks)


def test_private_members_are_never_used_as_the_verifying_key() -> None:
    private = dict(VECTORS["signing_keys"]["RS256"])
    keys = LoginKeySet({"keys": [private]})
    key = keys.key_for(KIDS["RS256"], "RS256")
    assert not key.is_private
    assert keys.key_for(KIDS["RS256"], "RS256") is key  # imported once


def test_a_short_rsa_key_is_refused_quietly() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # joserfc's warning on making the weak key
        weak = RSAKey.generate_key(1024, {"kid": "weak", "alg": "RS256"}, private=True)
        token = jwt.encode({"alg": "RS256", "kid": "weak"}, claims(), weak, algorithms=["RS256"])
    keys = LoginKeySet({"keys": [weak.as_dict(private=False)]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(InvalidAuthData) as caught:
            validate_login_token(token, CLIENT_ID, keys, now=NOW)
    assert caught.value.code == "bad_signature"


@pytest.mark.parametrize(
    ("change", "fits"),
    [
        ({}, True),
        ({"alg": None}, True),  # no declared alg: the type decides
        ({"use": None}, True),
        ({"alg": "ES256"}, False),  # declared for another algorithm
        ({"use": "enc"}, False),
        ({"crv": "P-256"}, False),  # the curve of another algorithm
        ({"kty": "OKP"}, False),
    ],
)
def test_a_key_fits_by_type_curve_declared_alg_and_use(
    telegram_jwks: Any, change: dict[str, Any], fits: bool
) -> None:
    entry = next(k for k in telegram_jwks["keys"] if k["kid"] == KIDS["ES256K"])
    entry.update(change)
    entry = {k: v for k, v in entry.items() if v is not None}
    token = sign(claims(), "ES256K")
    if fits:
        assert validate_login_token(token, CLIENT_ID, {"keys": [entry]}, now=NOW).telegram_id
    else:
        with pytest.raises(InvalidAuthData) as caught:
            validate_login_token(token, CLIENT_ID, {"keys": [entry]}, now=NOW)
        assert (caught.value.code, caught.value.field) == ("bad_signature", "kid")


def test_a_key_of_another_curve_is_refused_before_the_signature(telegram_jwks: Any) -> None:
    p256 = next(k for k in telegram_jwks["keys"] if k["kid"] == KIDS["ES256"])
    undeclared = {k: v for k, v in p256.items() if k != "alg"}
    token = sign(claims(), "ES256K", header={"alg": "ES256K", "kid": KIDS["ES256"]})
    with pytest.raises(InvalidAuthData) as caught:
        validate_login_token(token, CLIENT_ID, {"keys": [undeclared]}, now=NOW)
    assert (caught.value.code, caught.value.field) == ("bad_signature", "kid")


def test_of_two_keys_under_one_kid_the_fitting_one_verifies(telegram_jwks: Any) -> None:
    by_kid = {k["kid"]: k for k in telegram_jwks["keys"]}
    twins = [{**by_kid[KIDS["RS256"]], "kid": "twin"}, {**by_kid[KIDS["EdDSA"]], "kid": "twin"}]
    token = sign(claims(), "EdDSA", header={"alg": "EdDSA", "kid": "twin"})
    login = validate_login_token(token, CLIENT_ID, {"keys": twins}, now=NOW)
    assert (login.algorithm, login.key_id) == ("EdDSA", "twin")


def test_a_broken_entry_under_the_token_kid_is_not_a_crash(telegram_jwks: Any) -> None:
    entry = next(k for k in telegram_jwks["keys"] if k["kid"] == KIDS["ES256"])
    entry["x"] = "not base64url!"
    with pytest.raises(InvalidAuthData) as caught:
        validate_login_token(sign(claims(), "ES256"), CLIENT_ID, telegram_jwks, now=NOW)
    assert caught.value.code == "bad_signature"
