"""Several bots, one Verifier: keys derived once, the signing bot reported."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tgpass import ConfigError, InvalidAuthData, Verifier, sign_init_data, sign_login_widget
from tgpass.testing import FrozenClock

BOT_A = "1111111111:AA-bot-a"
BOT_B = "2222222222:BB-bot-b"
OTHER = "3333333333:CC-other"
NOW = 1_767_225_600
USER = {"id": 7, "first_name": "Q"}


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


def test_reports_which_bot_signed_init_data(clock: FrozenClock) -> None:
    verifier = Verifier([BOT_A, BOT_B], clock=clock)
    assert verifier.bot_ids == (1111111111, 2222222222)
    for token, bot_id in ((BOT_A, 1111111111), (BOT_B, 2222222222)):
        verified = verifier.init_data(sign_init_data({"user": USER}, token, auth_date=NOW))
        assert verified.bot_id == bot_id
        assert verified.data.user is not None and verified.data.user.id == 7
    with pytest.raises(InvalidAuthData) as caught:
        verifier.init_data(sign_init_data({"user": USER}, OTHER, auth_date=NOW))
    assert caught.value.code == "bad_signature"


def test_reports_which_bot_a_widget_login_is_for(clock: FrozenClock) -> None:
    verifier = Verifier([BOT_A, BOT_B], clock=clock)
    verified = verifier.login_widget(sign_login_widget(USER, BOT_B, auth_date=NOW))
    assert verified.bot_id == 2222222222
    assert verified.data.user.first_name == "Q"


def test_third_party_signature_for_any_of_its_bots(clock: FrozenClock) -> None:
    key = Ed25519PrivateKey.generate()
    verifier = Verifier([BOT_A, BOT_B], clock=clock, public_key=key.public_key().public_bytes_raw())
    raw = sign_init_data({"user": USER}, BOT_B, auth_date=NOW, signing_key=key)
    assert verifier.init_data_signature(raw).bot_id == 2222222222


def test_uses_its_clock_and_limits(clock: FrozenClock) -> None:
    verifier = Verifier([BOT_A], clock=clock, max_age=60)
    raw = sign_init_data({"user": USER}, BOT_A, auth_date=NOW)
    assert verifier.init_data(raw)
    clock.advance(61)
    with pytest.raises(InvalidAuthData) as caught:
        verifier.init_data(raw)
    assert caught.value.code == "expired"


@pytest.mark.parametrize("tokens", [[], [BOT_A, "1111111111:other-secret"], ["nonsense"]])
def test_config_errors(tokens: list[str]) -> None:
    with pytest.raises(ConfigError):
        Verifier(tokens)


def test_keys_not_tokens_are_kept() -> None:
    verifier = Verifier([BOT_A])
    held = repr(vars(verifier)) + repr(
        [(b.bot_id, b.web_app, b.login_widget) for b in verifier._bots]
    )
    assert "AA-bot-a" not in held


def test_keys_of_the_wrong_type_are_a_config_error() -> None:
    from tgpass import ConfigError, validate_init_data, validate_init_data_signature
    from tgpass.verify.keys import bot_keys, ed25519_public_key

    for wrong in (["123:abc"], {"a": 1}, None, 123):
        with pytest.raises(ConfigError):
            bot_keys(wrong)  # type: ignore[arg-type]
        with pytest.raises(ConfigError):
            ed25519_public_key(wrong)  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        validate_init_data("user=%7B%7D&auth_date=1&hash=00", ["123:abc"])  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        validate_init_data_signature(
            "auth_date=1&signature=x&hash=00",
            1,
            public_key=[1],  # type: ignore[arg-type]
        )
