"""Real Telegram Login ID tokens as Bearer credentials, through tgpass.login_token.

The tokens are signed here with an ES256 key made from fixed numbers, standing in for
Telegram's; Telegram's keys "fetched" come from an httpx mock transport.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from joserfc import jwk, jwt

from tgpass import ConfigError
from tgpass.integrations._core import Authenticator, NotAuthenticated
from tgpass.integrations._login_tokens import LoginTokens
from tgpass.login_token import TelegramLoginKeys, TelegramLoginToken

from .signing import BOT_A, BOT_A_ID, BOT_B_ID, NOW

ISSUER = "https://oauth.telegram.org"
KEY = jwk.ECKey.import_key(ec.derive_private_key(7_000_001, ec.SECP256R1()), {"kid": "k1"})
JWKS = {"keys": [{**KEY.as_dict(private=False), "kid": "k1", "alg": "ES256", "use": "sig"}]}


def id_token(audience: int = BOT_B_ID, **changes: Any) -> str:
    claims = {
        "iss": ISSUER,
        "aud": str(audience),
        "sub": "opaque-subject",
        "iat": NOW - 60,
        "exp": NOW + 3600,
        "id": 5_000_000_002,
        "given_name": "Grace",
        "family_name": "Hopper",
        "preferred_username": "grace",
        **changes,
    }
    return jwt.encode({"alg": "ES256", "kid": "k1"}, claims, KEY, algorithms=["ES256"])


def clock() -> float:
    return float(NOW)


def authenticator(keys: Any = None) -> Authenticator:
    checks = LoginTokens([BOT_A_ID, BOT_B_ID], JWKS if keys is None else keys, clock=clock)
    return Authenticator(bot_tokens=[BOT_A], login_tokens=checks, clock=clock)


async def test_a_real_id_token_names_its_user_and_bot() -> None:
    auth = authenticator()
    for identity in [
        auth.authenticate(f"Bearer {id_token()}"),
        await auth.authenticate_async(f"Bearer {id_token(BOT_A_ID)}"),
    ]:
        assert identity.scheme == "bearer"
        assert (identity.telegram_id, identity.display_name) == (5_000_000_002, "Grace Hopper")
        assert identity.username == "grace"
        assert isinstance(identity.login_token, TelegramLoginToken)
    assert identity.bot_id == BOT_A_ID


@pytest.mark.parametrize(
    ("token", "code"),
    [
        (id_token(exp=NOW - 120), "expired"),
        (id_token(audience=999), "wrong_audience"),
        (id_token(iss="https://evil.example"), "wrong_issuer"),
        (id_token()[:-4] + "AAAA", "bad_signature"),
        ("not-a-token", "malformed"),
    ],
)
def test_a_bad_id_token_is_refused_with_its_code(token: str, code: str) -> None:
    with pytest.raises(NotAuthenticated) as caught:
        authenticator().authenticate(f"Bearer {token}")
    assert caught.value.code == code
    assert caught.value.www_authenticate == 'Bearer realm="telegram", error="invalid_token"'


def test_from_settings_takes_login_client_ids_and_keys() -> None:
    auth = Authenticator.from_settings(
        {"BOT_TOKENS": [BOT_A], "LOGIN_CLIENT_IDS": [BOT_B_ID], "LOGIN_KEYS": JWKS},
        clock=clock,
    )
    assert auth.authenticate(f"Bearer {id_token()}").bot_id == BOT_B_ID
    with pytest.raises(NotAuthenticated) as caught:
        auth.authenticate(f"Bearer {id_token(BOT_A_ID)}")  # not a login client of this site
    assert caught.value.code == "wrong_audience"
    assert auth.challenge == 'tma realm="telegram", Bearer realm="telegram"'


def test_telegram_keys_fetched_serve_sync_and_async_checks_alike() -> None:
    fetches: list[str] = []

    def telegram(request: httpx.Request) -> httpx.Response:
        fetches.append(str(request.url))
        return httpx.Response(200, json=JWKS)

    keys = TelegramLoginKeys(transport=httpx.MockTransport(telegram))
    auth = authenticator(keys)
    assert auth.authenticate(f"Bearer {id_token()}").telegram_id == 5_000_000_002
    identity = asyncio.run(auth.authenticate_async(f"Bearer {id_token()}"))
    assert identity.bot_id == BOT_B_ID
    assert fetches == ["https://oauth.telegram.org/.well-known/jwks.json"]  # fetched once


@pytest.mark.parametrize(
    "settings",
    [
        {"BOT_TOKENS": [BOT_A], "LOGIN_KEYS": JWKS},  # keys, but for which bots?
        {"BOT_TOKENS": [BOT_A], "LOGIN_CLIENT_IDS": ["@mybot"], "LOGIN_KEYS": JWKS},
        {"BOT_TOKENS": [BOT_A], "LOGIN_CLIENT_IDS": [BOT_B_ID], "LOGIN_KEYS": {"keys": 1}},
    ],
)
def test_login_settings_that_cannot_work_are_refused(settings: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        Authenticator.from_settings(settings)
