"""The integrations' shared core: the header read, each check, the cache, the refusals."""

from __future__ import annotations

from typing import Any

import pytest

from tgpass import ConfigError, sign_login_widget
from tgpass.integrations._core import Authenticator, NotAuthenticated, TelegramIdentity
from tgpass.testing import FrozenClock

from .signing import (
    BAD_HEADERS,
    BOT_A,
    BOT_A_ID,
    BOT_B,
    BOT_B_ID,
    NOW,
    OTHER_BOT,
    OTHER_BOT_ID,
    PUBLIC_KEY,
    USER,
    FakeLoginTokens,
    FakeToken,
    authenticator,
    forged,
    init_data,
)


def refused(auth: Authenticator, header: str | None) -> NotAuthenticated:
    with pytest.raises(NotAuthenticated) as caught:
        auth.authenticate(header)
    return caught.value


# -- who the header names -------------------------------------------------------------------


@pytest.mark.parametrize(("token", "bot_id"), [(BOT_A, BOT_A_ID), (BOT_B, BOT_B_ID)])
def test_init_data_of_either_bot_names_its_user_and_bot(token: str, bot_id: int) -> None:
    raw = init_data(token)
    identity = authenticator().authenticate(f"tma {raw}")
    assert identity == TelegramIdentity(
        telegram_id=USER["id"],  # type: ignore[arg-type]
        first_name="Ada",
        last_name="Lovelace",
        username="ada",
        language_code=None,
        photo_url=None,
        scheme="tma",
        bot_id=bot_id,
        init_data=identity.init_data,
    )
    assert identity.init_data is not None
    assert identity.init_data.query_id == "AAH-test"
    assert identity.display_name == "Ada Lovelace"


@pytest.mark.parametrize("header", ["TMA {}", "Tma {}", "  tma   {}  "])
def test_the_scheme_is_case_insensitive_and_spaces_do_not_matter(header: str) -> None:
    identity = authenticator().authenticate(header.format(init_data()))
    assert identity.telegram_id == USER["id"]


@pytest.mark.parametrize(("header", "code"), BAD_HEADERS)
def test_a_header_that_proves_nothing_is_refused_with_its_code(
    header: str | None, code: str
) -> None:
    error = refused(authenticator(), header)
    assert error.code == code
    assert error.status_code == 401
    assert error.as_json() == {"error": {"code": code, "message": error.message}}
    assert error.www_authenticate == 'tma realm="telegram"'
    assert "secret" not in error.message


def test_expired_in_the_future_forged_and_other_bots_data_are_refused() -> None:
    clock = FrozenClock(NOW)
    auth = authenticator(clock, max_age=3600)
    assert refused(auth, f"tma {init_data(auth_date=NOW - 3601)}").code == "expired"
    assert refused(auth, f"tma {init_data(auth_date=NOW + 600)}").code == "auth_date_in_future"
    assert refused(auth, f"tma {forged(init_data())}").code == "bad_signature"
    assert refused(auth, f"tma {init_data(OTHER_BOT)}").code == "bad_signature"


def test_init_data_without_a_user_is_refused() -> None:
    from tgpass import sign_init_data

    raw = sign_init_data({"chat_instance": "1"}, BOT_A, auth_date=NOW)
    assert refused(authenticator(), f"tma {raw}").code == "missing_field"


def test_a_refusal_quotes_no_token_of_ours() -> None:
    auth = authenticator()
    for header in [f"tma {forged(init_data())}", f"tma {init_data(OTHER_BOT)}"]:
        error = refused(auth, header)
        for token in (BOT_A, BOT_B):
            assert token.split(":")[1] not in f"{error.message} {error!r} {error.as_json()}"


# -- Ed25519: bots whose tokens this site does not hold -------------------------------------


def test_ed25519_with_bot_ids_only() -> None:
    auth = authenticator(bot_tokens=[], bot_ids=[BOT_A_ID, OTHER_BOT_ID])
    identity = auth.authenticate(f"tma {init_data(OTHER_BOT, ed25519=True)}")
    assert (identity.bot_id, identity.telegram_id) == (OTHER_BOT_ID, USER["id"])
    # the bot-token HMAC alone proves nothing to a site without the token
    assert refused(auth, f"tma {init_data(OTHER_BOT)}").code == "missing_field"
    assert refused(auth, f"tma {init_data(BOT_B, ed25519=True)}").code == "bad_signature"
    assert refused(auth, f"tma {forged(init_data(ed25519=True))}").code == "bad_signature"


def test_ed25519_data_ages_like_any_other() -> None:
    clock = FrozenClock(NOW)
    auth = authenticator(clock, bot_tokens=[], bot_ids=[BOT_A_ID], max_age=60)
    raw = init_data(ed25519=True)
    assert auth.authenticate(f"tma {raw}").bot_id == BOT_A_ID
    clock.advance(61)
    assert refused(auth, f"tma {raw}").code == "expired"


def test_either_takes_the_hmac_for_our_tokens_and_ed25519_for_the_others() -> None:
    auth = authenticator(bot_tokens=[BOT_A], bot_ids=[OTHER_BOT_ID])
    assert auth.authenticate(f"tma {init_data(BOT_A)}").bot_id == BOT_A_ID
    other = init_data(OTHER_BOT, ed25519=True)
    assert auth.authenticate(f"tma {other}").bot_id == OTHER_BOT_ID
    assert refused(auth, f"tma {init_data(OTHER_BOT)}").code == "bad_signature"
    assert auth.bot_ids == (BOT_A_ID, OTHER_BOT_ID)


def test_ed25519_only_asks_for_the_signature_even_from_our_own_bots() -> None:
    auth = authenticator(bot_tokens=[BOT_A], signature="ed25519")
    assert auth.authenticate(f"tma {init_data(ed25519=True)}").bot_id == BOT_A_ID
    assert refused(auth, f"tma {init_data()}").code == "missing_field"


def test_hmac_only_ignores_a_valid_ed25519_signature_for_a_bot_without_token() -> None:
    auth = authenticator(bot_tokens=[BOT_A], signature="hmac")
    assert refused(auth, f"tma {init_data(BOT_B, ed25519=True)}").code == "bad_signature"


# -- the cache ------------------------------------------------------------------------------


def test_repeated_init_data_is_verified_once(monkeypatch: pytest.MonkeyPatch) -> None:
    auth = authenticator()
    raw = init_data()
    first = auth.authenticate(f"tma {raw}")

    def no_more(raw: str) -> Any:
        raise AssertionError("verified again")

    monkeypatch.setattr(auth, "_verify", no_more)
    assert auth.authenticate(f"tma {raw}") == first


def test_a_cache_hit_is_aged_again() -> None:
    clock = FrozenClock(NOW)
    auth = authenticator(clock, max_age=60)
    raw = init_data()
    auth.authenticate(f"tma {raw}")
    clock.advance(60)
    assert auth.authenticate(f"tma {raw}").telegram_id == USER["id"]
    clock.advance(1)
    error = refused(auth, f"tma {raw}")
    assert error.code == "expired"
    clock.now = NOW - 120  # the clock set back: signed in its future
    assert refused(auth, f"tma {raw}").code == "auth_date_in_future"


def test_the_cache_is_bounded_and_keeps_the_most_recent() -> None:
    auth = authenticator(cache_size=2)
    raws = [init_data(auth_date=NOW - n) for n in range(3)]
    for raw in [raws[0], raws[1], raws[0], raws[2]]:
        auth.authenticate(f"tma {raw}")
    assert len(auth._cache) == 2
    assert auth._cache.get(f"tma {raws[0]}") is not None  # used recently: kept
    assert auth._cache.get(f"tma {raws[1]}") is None  # the least recent: gone


def test_init_data_given_directly_is_cached_too() -> None:
    clock = FrozenClock(NOW)
    auth = authenticator(clock, max_age=60)
    raw = init_data()
    assert auth.init_data(raw) is auth.init_data(raw)  # the same identity, kept
    clock.advance(61)
    with pytest.raises(NotAuthenticated) as caught:
        auth.init_data(raw)
    assert caught.value.code == "expired"


def test_refused_data_is_not_cached_and_no_cache_is_allowed() -> None:
    auth = authenticator()
    refused(auth, f"tma {forged(init_data())}")
    assert len(auth._cache) == 0
    uncached = authenticator(cache_size=0)
    uncached.authenticate(f"tma {init_data()}")
    assert len(uncached._cache) == 0


# -- Telegram Login ID tokens (Bearer) ------------------------------------------------------


async def test_a_bearer_id_token_names_its_user_when_configured() -> None:
    auth = authenticator(login_tokens=FakeLoginTokens())
    for identity in [
        auth.authenticate("Bearer good.id.token"),
        await auth.authenticate_async("bearer  good.id.token"),
    ]:
        assert (identity.scheme, identity.telegram_id, identity.bot_id) == ("bearer", 77, BOT_B_ID)
        assert identity.photo_url == "https://t.me/i/userpic/320/grace.jpg"
        assert isinstance(identity.login_token, FakeToken)
    # init data still works beside it, sync and async
    assert (await auth.authenticate_async(f"tma {init_data()}")).scheme == "tma"
    assert auth.challenge == 'tma realm="telegram", Bearer realm="telegram"'


async def test_a_bad_id_token_is_refused_with_a_bearer_challenge() -> None:
    auth = authenticator(login_tokens=FakeLoginTokens())
    for error in [refused(auth, "Bearer bad.id.token")]:
        assert error.code == "bad_signature"
        assert error.www_authenticate == 'Bearer realm="telegram", error="invalid_token"'
    with pytest.raises(NotAuthenticated) as caught:
        await auth.authenticate_async("Bearer bad.id.token")
    assert caught.value.code == "bad_signature"
    assert refused(auth, "Bearer").code == "malformed_header"
    assert refused(auth, None).www_authenticate == auth.challenge


# -- Login Widget and LoginUrl --------------------------------------------------------------


def test_login_widget_fields_name_their_user() -> None:
    fields = sign_login_widget(
        {"id": 42, "first_name": "Lin", "username": "lin"}, BOT_B, auth_date=NOW
    )
    identity = authenticator().login_widget({**fields, "next": "/home"}, ignore={"next"})
    assert (identity.scheme, identity.telegram_id, identity.bot_id) == ("widget", 42, BOT_B_ID)
    assert identity.login is not None and identity.login.username == "lin"
    with pytest.raises(NotAuthenticated) as caught:
        authenticator().login_widget({**fields, "next": "/home"})  # unsigned, not ignored
    assert caught.value.code == "bad_signature"
    with pytest.raises(NotAuthenticated) as caught:
        authenticator().login_widget({**fields, "first_name": "Eve"})
    assert caught.value.code == "bad_signature"


def test_login_widget_needs_a_token() -> None:
    with pytest.raises(ConfigError):
        authenticator(bot_tokens=[], bot_ids=[BOT_A_ID]).login_widget({"id": "1"})


# -- configuration --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        {"bot_tokens": []},
        {"bot_tokens": BOT_A},
        {"bot_tokens": [], "bot_ids": [0]},
        {"bot_tokens": [], "bot_ids": [BOT_A_ID, BOT_A_ID]},
        {"bot_tokens": [], "bot_ids": [BOT_A_ID], "signature": "hmac"},
        {"bot_tokens": [BOT_A], "bot_ids": [OTHER_BOT_ID], "signature": "hmac"},
        {"signature": "rsa"},
        {"cache_size": -1},
        {"max_age": 0},
        {"bot_tokens": ["not a token"]},
    ],
)
def test_configurations_that_cannot_work_are_refused(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        authenticator(**options)


def test_from_settings_reads_the_upper_case_keys() -> None:
    clock = FrozenClock(NOW)
    auth = Authenticator.from_settings(
        {
            "BOT_TOKENS": [BOT_A],
            "BOT_IDS": [OTHER_BOT_ID],
            "MAX_AGE": 60,
            "PUBLIC_KEY": PUBLIC_KEY,
            "CACHE_SIZE": 0,
        },
        clock=clock,
    )
    assert auth.bot_ids == (BOT_A_ID, OTHER_BOT_ID)
    assert auth.authenticate(f"tma {init_data(OTHER_BOT, ed25519=True)}").bot_id == OTHER_BOT_ID
    clock.advance(61)
    assert refused(auth, f"tma {init_data()}").code == "expired"
    with pytest.raises(ConfigError, match="BOT_TOKEN"):
        Authenticator.from_settings({"BOT_TOKEN": BOT_A})


def test_the_core_imports_no_framework_and_no_jose() -> None:
    import subprocess
    import sys

    probe = (
        "import sys, tgpass.integrations._core; "
        "print(sorted(m for m in ('fastapi', 'starlette', 'litestar', 'aiohttp', 'flask', "
        "'django', 'joserfc', 'httpx') if m in sys.modules))"
    )
    found = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert found.strip() == "[]"
