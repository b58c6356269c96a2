"""Telegram Login ID tokens as ``Authorization: Bearer``, when the site names its bots in
``LOGIN_CLIENT_IDS``: signed here with a fixed ES256 key standing in for Telegram's."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from django.test import AsyncClient, Client, override_settings
from joserfc import jwk, jwt
from rest_framework.test import APIClient

from tgpass.testing import TEST_BOT_TOKEN

from .signed import init_data, tma

BOT_ID = int(TEST_BOT_TOKEN.split(":")[0])
KEY = jwk.ECKey.import_key(ec.derive_private_key(4_000_017, ec.SECP256R1()), {"kid": "k1"})
JWKS = {"keys": [{**KEY.as_dict(private=False), "kid": "k1", "alg": "ES256", "use": "sig"}]}
GRACE = 6_000_000_002
BOTH = 'tma realm="telegram", Bearer realm="telegram"'


def id_token(**changes: Any) -> str:
    now = int(time.time())
    claims = {
        "iss": "https://oauth.telegram.org",
        "aud": str(BOT_ID),
        "sub": "opaque-subject",
        "iat": now - 60,
        "exp": now + 3600,
        "id": GRACE,
        "given_name": "Grace",
        "family_name": "Hopper",
        "preferred_username": "grace",
        **changes,
    }
    return jwt.encode({"alg": "ES256", "kid": "k1"}, claims, KEY, algorithms=["ES256"])


@pytest.fixture(autouse=True)
def _id_tokens_accepted() -> Iterator[None]:
    site = {"BOT_TOKENS": [TEST_BOT_TOKEN], "LOGIN_CLIENT_IDS": [BOT_ID], "LOGIN_KEYS": JWKS}
    with override_settings(TGPASS=site):
        yield


def test_an_id_token_is_the_users_django_user() -> None:
    response = Client().get("/me/", headers={"Authorization": f"Bearer {id_token()}"})
    assert response.status_code == 200
    assert response.json() == {"user": f"tg{GRACE}", "telegram_id": GRACE, "scheme": "bearer"}


def test_the_same_person_by_init_data_or_id_token_is_one_user() -> None:
    user = {"id": GRACE, "first_name": "Grace"}
    by_init_data = Client().get("/me/", headers={"Authorization": tma(init_data(user))})
    by_token = Client().get("/me/", headers={"Authorization": f"Bearer {id_token()}"})
    assert by_init_data.json()["user"] == by_token.json()["user"] == f"tg{GRACE}"


async def test_an_async_view_takes_an_id_token() -> None:
    response = await AsyncClient().get(
        "/me/async/", headers={"Authorization": f"Bearer {id_token()}"}
    )
    assert response.status_code == 200
    assert json.loads(response.content)["telegram_id"] == GRACE


def test_drf_takes_an_id_token() -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {id_token()}")
    assert client.get("/api/me/").json() == {"user": f"tg{GRACE}", "telegram_id": GRACE}


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"aud": "42"}, "wrong_audience"),
        ({"iss": "https://evil.example"}, "wrong_issuer"),
        ({"exp": 1_000_000_000, "iat": 999_999_000}, "expired"),
    ],
    ids=["other audience", "other issuer", "expired"],
)
def test_a_bad_id_token_is_a_401_with_the_bearer_challenge(
    changes: dict[str, Any], code: str
) -> None:
    token = id_token(**changes)
    for path in ("/me/", "/api/me/"):
        response = Client().get(path, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401
        assert response.json()["error"]["code"] == code
        assert response["WWW-Authenticate"] == 'Bearer realm="telegram", error="invalid_token"'
        assert token not in response.content.decode()


def test_without_credentials_the_challenge_names_both_schemes() -> None:
    assert Client().get("/me/")["WWW-Authenticate"] == BOTH
    assert APIClient().get("/api/me/")["WWW-Authenticate"] == BOTH
