"""Signed test data shared by the integrations' tests: two bots of ours, one not ours, and a
stand-in for Telegram's Ed25519 key. Framework-free."""

from __future__ import annotations

from collections.abc import Mapping

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tgpass import InvalidAuthData, sign_init_data
from tgpass.integrations._core import Authenticator
from tgpass.testing import FrozenClock

BOT_A = "1111111111:AAbot-a-secret"
BOT_B = "2222222222:BBbot-b-secret"
OTHER_BOT = "3333333333:CCnot-our-bot"
BOT_A_ID, BOT_B_ID, OTHER_BOT_ID = 1111111111, 2222222222, 3333333333
NOW = 1_800_000_000
USER = {"id": 5_000_000_001, "first_name": "Ada", "last_name": "Lovelace", "username": "ada"}
# Stands in for Telegram's key: sign_init_data signs with it, the checks take its public half.
TELEGRAM_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
PUBLIC_KEY = TELEGRAM_KEY.public_key().public_bytes_raw()


def init_data(
    bot_token: str = BOT_A,
    *,
    auth_date: int = NOW,
    user: dict[str, object] | None = None,
    ed25519: bool = False,
) -> str:
    """Init data as Telegram signs it for ``bot_token``; with ``ed25519``, signed by
    ``TELEGRAM_KEY`` for third parties too."""
    fields: dict[str, object] = {"query_id": "AAH-test", "user": USER if user is None else user}
    return sign_init_data(
        fields,
        bot_token,
        auth_date=auth_date,
        signing_key=TELEGRAM_KEY if ed25519 else None,
    )


def authenticator(clock: FrozenClock | None = None, **options: object) -> Authenticator:
    """Our two bots by token, unless told otherwise, on a clock frozen at ``NOW``."""
    options.setdefault("bot_tokens", [BOT_A, BOT_B])
    options.setdefault("public_key", PUBLIC_KEY)
    return Authenticator(clock=clock or FrozenClock(NOW), **options)  # type: ignore[arg-type]


def forged(raw: str) -> str:
    """The same init data with its user's name changed after signing."""
    return raw.replace("Ada", "Eve")


# Authorization headers that prove nothing, with the code each must be refused with.
BAD_HEADERS: list[tuple[str | None, str]] = [
    (None, "missing_credentials"),
    ("", "missing_credentials"),
    ("   ", "missing_credentials"),
    ("tma", "malformed_header"),
    ("tma   ", "malformed_header"),
    ("Basic dXNlcjpwYXNz", "unsupported_scheme"),
    ("Bearer abc.def.ghi", "unsupported_scheme"),
    ("tma garbage", "malformed"),
    ("tma user=%7B%7D&auth_date=1&hash=00", "bad_signature"),
    ("tma %ff%fe=1", "malformed"),
]


# -- Telegram Login ID tokens, faked: one good token -----------------------------------------


class FakeToken:
    def __init__(self, telegram_id: int, audience: str) -> None:
        self.telegram_id = telegram_id
        self.audience = audience
        self.first_name = "Grace"
        self.last_name = None
        self.username = "grace"
        self.picture = "https://t.me/i/userpic/320/grace.jpg"


class FakeLoginTokens:
    """A LoginTokenCheck that knows one token."""

    def check(self, id_token: str) -> FakeToken:
        if id_token != "good.id.token":
            raise InvalidAuthData("bad_signature", "the ID token's signature does not match")
        return FakeToken(77, str(BOT_B_ID))

    async def check_async(self, id_token: str) -> FakeToken:
        return self.check(id_token)


def refused_data() -> list[tuple[str, str]]:
    """Init data that must be refused by an authenticator of BOT_A and BOT_B (max age one
    day) at NOW: the header, and the code it must be refused with."""
    return [
        (f"tma {init_data(auth_date=NOW - 86401)}", "expired"),
        (f"tma {init_data(auth_date=NOW + 3600)}", "auth_date_in_future"),
        (f"tma {forged(init_data())}", "bad_signature"),
        (f"tma {init_data(OTHER_BOT)}", "bad_signature"),
    ]


def every_refusal() -> list[tuple[str | None, str]]:
    return [*BAD_HEADERS, *refused_data()]


def assert_refused(status: int, headers: Mapping[str, str], body: object, code: str) -> None:
    """A 401 with the challenge and exactly ``{"error": {"code", "message"}}``, quoting no
    token of ours."""
    assert status == 401, body
    assert headers.get("WWW-Authenticate", headers.get("www-authenticate", "")).startswith("tma")
    assert isinstance(body, dict) and set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message"} and error["code"] == code, body
    assert isinstance(error["message"], str) and error["message"]
    for secret in (BOT_A, BOT_B, "Traceback"):
        assert secret.split(":")[-1] not in error["message"]
