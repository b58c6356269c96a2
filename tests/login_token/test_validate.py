"""validate_login_token beyond the vectors: times at their edges, arguments, what a verified
token shows and hides, and the sandbox's tokens."""

from __future__ import annotations

import base64
import json
import warnings
from datetime import UTC, datetime
from typing import Any

import pytest

from tgpass.errors import ConfigError, InvalidAuthData
from tgpass.login_token import (
    DEFAULT_LEEWAY,
    LoginKeySet,
    TelegramLoginKeys,
    token_key_id,
    validate_login_token,
)
from tgpass.sandbox.oidc_keys import KeyRing
from tgpass.sandbox.world import World

from .conftest import CLIENT_ID, IAT, KIDS, NOW, claims, sign

EXP = IAT + 3600


def check(token: str, jwks: Any, **options: Any) -> Any:
    options.setdefault("now", NOW)
    return validate_login_token(token, CLIENT_ID, jwks, **options)


def code_of(token: str, jwks: Any, **options: Any) -> str:
    with pytest.raises(InvalidAuthData) as caught:
        check(token, jwks, **options)
    return caught.value.code


@pytest.mark.parametrize(
    ("now", "outcome"),
    [
        (EXP + DEFAULT_LEEWAY, "valid"),
        (EXP + DEFAULT_LEEWAY + 1, "expired"),
        (IAT - DEFAULT_LEEWAY, "valid"),
        (IAT - DEFAULT_LEEWAY - 1, "auth_date_in_future"),
    ],
)
def test_exp_and_iat_hold_to_the_leeway(telegram_jwks: Any, now: float, outcome: str) -> None:
    token = sign(claims())
    if outcome == "valid":
        assert check(token, telegram_jwks, now=now).telegram_id == 5000000001
    else:
        assert code_of(token, telegram_jwks, now=now) == outcome


def test_leeway_is_a_parameter(telegram_jwks: Any) -> None:
    token = sign(claims())
    assert code_of(token, telegram_jwks, now=EXP + 1, leeway=0) == "expired"
    assert check(token, telegram_jwks, now=EXP + 500, leeway=600).sub == "Zx3nQm8pL2vR7kT1"


def test_nbf_in_the_future_is_refused(telegram_jwks: Any) -> None:
    token = sign(claims(nbf=NOW + 600))
    assert code_of(token, telegram_jwks) == "auth_date_in_future"


def test_max_age_refuses_an_old_token_exp_still_allows(telegram_jwks: Any) -> None:
    token = sign(claims())
    assert check(token, telegram_jwks, max_age=600).telegram_id == 5000000001
    with pytest.raises(InvalidAuthData) as caught:
        check(token, telegram_jwks, max_age=599)
    assert caught.value.code == "expired"
    assert caught.value.auth_date == datetime.fromtimestamp(IAT, UTC)


def test_now_may_be_an_aware_datetime(telegram_jwks: Any) -> None:
    token = sign(claims())
    moment = datetime.fromtimestamp(EXP + DEFAULT_LEEWAY + 1, UTC)
    assert code_of(token, telegram_jwks, now=moment) == "expired"
    with pytest.raises(TypeError):
        check(token, telegram_jwks, now=datetime(2026, 1, 1))  # naive: refused


def test_the_clock_decides_when_now_is_not_given(telegram_jwks: Any) -> None:
    token = sign(claims())  # issued in 2026-01: long expired by the machine's clock
    with pytest.raises(InvalidAuthData) as caught:
        validate_login_token(token, CLIENT_ID, telegram_jwks)
    assert caught.value.code == "expired"


def test_the_client_id_may_be_the_bot_id_as_an_integer(telegram_jwks: Any) -> None:
    token = sign(claims())
    assert check(token, telegram_jwks).audience == CLIENT_ID
    assert validate_login_token(token, int(CLIENT_ID), telegram_jwks, now=NOW).audience == CLIENT_ID


@pytest.mark.parametrize("client_id", ["", None, True, 1.5])
def test_an_unusable_client_id_is_a_config_error(telegram_jwks: Any, client_id: Any) -> None:
    with pytest.raises(ConfigError):
        validate_login_token(sign(claims()), client_id, telegram_jwks, now=NOW)


@pytest.mark.parametrize(
    "keys", [None, 42, [], {"keys": "none"}, "not json", '["a list"]', TelegramLoginKeys()]
)
def test_unusable_keys_are_a_config_error(keys: Any) -> None:
    with pytest.raises(ConfigError):
        validate_login_token(sign(claims()), CLIENT_ID, keys, now=NOW)


@pytest.mark.parametrize("token", [None, 42, b"a.b.c", "é.é.é", "a" * 20000, "", "...", "a.b"])
def test_what_is_not_a_token_is_malformed(telegram_jwks: Any, token: Any) -> None:
    assert code_of(token, telegram_jwks) == "malformed"


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"iss": None}, "missing_field"),
        ({"aud": None}, "missing_field"),
        ({"exp": None}, "missing_field"),
        ({"iat": None}, "missing_field"),
        ({"sub": None}, "missing_field"),
        ({"aud": 7000000001}, "malformed"),
        ({"aud": [CLIENT_ID, 7]}, "malformed"),
        ({"aud": [CLIENT_ID, "another"]}, "wrong_audience"),  # several audiences, no azp
        ({"exp": "tomorrow"}, "malformed"),
        ({"exp": True}, "malformed"),
        ({"iat": -1}, "malformed"),
        ({"iat": 10**13}, "malformed"),
        ({"auth_time": "yesterday"}, "malformed"),
        ({"id": "5000000001"}, "malformed"),
        ({"id": True}, "malformed"),
        ({"id": 0}, "malformed"),
        ({"sub": ""}, "malformed"),
        ({"sub": 5}, "malformed"),
        ({"name": ["Ann"]}, "malformed"),
        ({"phone_number": 15555550123}, "malformed"),
        ({"nonce": 5}, "malformed"),
    ],
)
def test_each_claim_of_the_wrong_shape_is_named(
    telegram_jwks: Any, changes: dict[str, Any], code: str
) -> None:
    assert code_of(sign(claims(**changes)), telegram_jwks) == code


def test_the_issuer_is_a_parameter(telegram_jwks: Any) -> None:
    token = sign(claims(iss="http://127.0.0.1:8081"))
    assert code_of(token, telegram_jwks) == "wrong_issuer"
    assert check(token, telegram_jwks, issuer="http://127.0.0.1:8081").telegram_id == 5000000001


@pytest.mark.parametrize(
    "extension", [{"crit": ["exp"], "exp": 1}, {"b64": False, "crit": ["b64"]}, {"b64": True}]
)
def test_a_header_asking_for_extensions_is_refused(
    telegram_jwks: Any, extension: dict[str, Any]
) -> None:
    _, payload, signature = sign(claims()).split(".")
    header = json.dumps({"alg": "RS256", "kid": KIDS["RS256"], **extension}).encode()
    token = f"{base64.urlsafe_b64encode(header).decode().rstrip('=')}.{payload}.{signature}"
    assert code_of(token, telegram_jwks) == "malformed"


def test_header_members_nobody_registered_are_ignored(telegram_jwks: Any) -> None:
    token = sign(claims(), "ES256", header={"alg": "ES256", "kid": KIDS["ES256"], "tg_ver": 2})
    assert check(token, telegram_jwks).algorithm == "ES256"


def test_a_verified_token_shows_and_hides(telegram_jwks: Any) -> None:
    token = sign(claims(phone_number="+15555550123", nonce="secret-nonce", auth_time=IAT - 5))
    login = check(token, telegram_jwks, nonce="secret-nonce")
    assert login.phone_number == "+15555550123"
    assert login.auth_time == datetime.fromtimestamp(IAT - 5, UTC)
    assert "+1555" not in repr(login)
    assert "secret-nonce" not in repr(login)
    assert "5000000001" in repr(login)
    with pytest.raises(TypeError):
        login.claims["id"] = 1  # type: ignore[index]
    assert hash(login) == hash(check(token, telegram_jwks, nonce="secret-nonce"))


def test_no_warning_escapes_for_any_algorithm(telegram_jwks: Any) -> None:
    keys = LoginKeySet(telegram_jwks)
    tokens = [sign(claims(), alg) for alg in KIDS]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert [check(t, keys).algorithm for t in tokens] == list(KIDS)


def test_token_key_id_reads_the_header_only() -> None:
    token = sign(claims(), "ES256K")
    assert token_key_id(token) == KIDS["ES256K"]
    with pytest.raises(InvalidAuthData) as caught:
        token_key_id("e30.e30.")  # {} as header: no alg
    assert caught.value.code == "malformed"


@pytest.mark.parametrize("alg", ["RS256", "ES256", "EdDSA", "ES256K"])
def test_the_sandboxs_tokens_validate_with_its_key_set(alg: str) -> None:
    world = World(clock=lambda: float(NOW))
    ring = KeyRing(world)
    issued = {**claims(iat=NOW, exp=NOW + 3600), "preferred_username": "ann"}
    login = validate_login_token(ring.sign(issued, alg), CLIENT_ID, ring.jwks(), now=NOW + 1)
    assert (login.algorithm, login.username, login.telegram_id) == (alg, "ann", 5000000001)
