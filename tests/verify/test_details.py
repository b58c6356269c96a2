"""Details a mutation run of verify/ found untested: shapes of parsed models, argument checks,
the signature's encoding, deep-link edges. Equivalent mutants are explained at the end.
"""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime
from types import MappingProxyType
from urllib.parse import parse_qsl, urlencode

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tgpass import (
    ConfigError,
    InvalidAuthData,
    InvalidDeepLink,
    Verifier,
    check_init_data,
    sign_init_data,
    sign_login_widget,
    start_link,
    start_payload,
    startapp_link,
    validate_init_data,
    validate_init_data_signature,
    validate_login_widget,
)
from tgpass.testing import FrozenClock
from tgpass.verify._signing import decode_signature, encode_signature
from tgpass.verify.keys import HmacSha256, derive_bot_keys

NOW = 1_767_225_600
TOKEN = "1111111111:AA-bot-a"
BOT_ID = 1111111111
KEY = Ed25519PrivateKey.generate()
PUBLIC = KEY.public_key().public_bytes_raw()
USER = {"id": 7, "first_name": "Q"}


# -- check_init_data applies every check validate_init_data does ------------------------------


def test_check_init_data_checks_the_age() -> None:
    raw = sign_init_data({"user": USER}, TOKEN, auth_date=NOW)
    assert check_init_data(raw, TOKEN, now=NOW + 86400)["auth_date"] == str(NOW)
    for now, code in ((NOW + 86401, "expired"), (NOW - 61, "auth_date_in_future")):
        with pytest.raises(InvalidAuthData) as caught:
            check_init_data(raw, TOKEN, now=now)
        assert caught.value.code == code
    with pytest.raises(InvalidAuthData) as caught:
        check_init_data(raw, TOKEN, now=NOW + 11, max_age=10)
    assert caught.value.code == "expired"
    assert check_init_data(raw, TOKEN, now=NOW - 100, max_skew=100)
    assert check_init_data(raw, TOKEN, now=NOW + 10**9, max_age=None)


# -- the third-party check's arguments and result ---------------------------------------------


@pytest.mark.parametrize("bot_id", [True, False, 0, -1, "1111111111", 1111111111.0, None])
def test_third_party_bot_id_must_be_a_positive_int(bot_id: object) -> None:
    raw = sign_init_data({"user": USER}, TOKEN, auth_date=NOW, signing_key=KEY)
    with pytest.raises(ConfigError) as caught:
        validate_init_data_signature(raw, bot_id, public_key=PUBLIC, now=NOW)  # type: ignore[arg-type]
    assert caught.value.message == "bot_id must be a positive integer"


def test_the_verifier_returns_what_telegrams_key_signed() -> None:
    raw = sign_init_data(
        {"user": USER, "start_param": "ref"}, TOKEN, auth_date=NOW, signing_key=KEY
    )
    verified = Verifier([TOKEN], clock=FrozenClock(NOW), public_key=PUBLIC).init_data_signature(raw)
    assert verified.bot_id == BOT_ID
    assert verified.data.user is not None and verified.data.user.id == 7
    assert verified.data.start_param == "ref"
    assert verified.data.auth_date == datetime.fromtimestamp(NOW, UTC)
    assert verified.data == validate_init_data_signature(raw, BOT_ID, public_key=PUBLIC, now=NOW)


# -- the signature's encoding: Telegram's 86 characters, no padding ---------------------------


def test_signatures_are_encoded_as_telegram_sends_them() -> None:
    raw = sign_init_data({"user": USER}, TOKEN, auth_date=NOW, signing_key=KEY)
    sent = dict(parse_qsl(raw))["signature"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{86}", sent)
    assert encode_signature(b"\xff" * 64) == "_" * 85 + "w"
    assert encode_signature(bytes(64)) == "A" * 86
    assert base64.urlsafe_b64decode(sent + "==") == decode_signature({"signature": sent})


def test_padded_and_unpadded_signatures_are_the_same_signature() -> None:
    raw = sign_init_data({"user": USER}, TOKEN, auth_date=NOW, signing_key=KEY)
    fields = dict(parse_qsl(raw))
    padded = urlencode({**fields, "signature": fields["signature"] + "=="})
    assert validate_init_data_signature(padded, BOT_ID, public_key=PUBLIC, now=NOW)
    assert decode_signature({"signature": fields["signature"] + "=="}) == decode_signature(fields)


# -- models: Login Widget and chat shapes -----------------------------------------------------


def test_widget_login_keeps_the_hash_and_gives_telegrams_shape() -> None:
    fields = sign_login_widget(
        {**USER, "last_name": "R", "username": "q", "photo_url": "https://t.me/i/q.jpg", "x": "1"},
        TOKEN,
        auth_date=NOW,
    )
    login = validate_login_widget(fields, TOKEN, now=NOW)
    assert login.hash == fields["hash"]
    assert login.to_dict() == {
        "id": 7,
        "first_name": "Q",
        "last_name": "R",
        "username": "q",
        "photo_url": "https://t.me/i/q.jpg",
        "auth_date": NOW,
        "hash": fields["hash"],
        "x": "1",
    }
    bare = validate_login_widget(sign_login_widget(USER, TOKEN, auth_date=NOW), TOKEN, now=NOW)
    assert bare.to_dict() == {"id": 7, "first_name": "Q", "auth_date": NOW, "hash": bare.hash}


def test_chat_is_parsed_with_its_extra_fields() -> None:
    chat = '{"id": -100123, "type": "supergroup", "title": "G", "username": "g", "new": [1]}'
    data = validate_init_data(sign_init_data({"chat": chat}, TOKEN, auth_date=NOW), TOKEN, now=NOW)
    assert data.chat is not None
    assert (data.chat.id, data.chat.type, data.chat.title) == (-100123, "supergroup", "G")
    assert data.chat.username == "g"
    assert data.chat.photo_url is None
    assert data.chat.extra == {"new": [1]}
    assert isinstance(data.chat.extra, MappingProxyType)
    assert data.chat.to_dict() == {
        "id": -100123,
        "type": "supergroup",
        "title": "G",
        "username": "g",
        "new": [1],
    }
    assert data.to_dict()["chat"] == data.chat.to_dict()
    plain = validate_init_data(
        sign_init_data(
            {"chat": '{"id": 1, "type": "group", "title": "T", "photo_url": "p"}'},
            TOKEN,
            auth_date=NOW,
        ),
        TOKEN,
        now=NOW,
    ).chat
    assert plain is not None
    assert plain.extra == {}
    assert plain.to_dict() == {"id": 1, "type": "group", "title": "T", "photo_url": "p"}


@pytest.mark.parametrize(
    ("chat", "code", "message"),
    [
        ("{", "malformed", "chat is not valid JSON"),
        ("[]", "malformed", "chat must be a JSON object"),
        ('{"id": 1, "type": "group", "title": 5}', "malformed", "chat.title must be of type str"),
        ('{"id": 1, "title": "T"}', "missing_field", "chat.type is missing"),
    ],
)
def test_chat_errors_name_the_chat(chat: str, code: str, message: str) -> None:
    raw = sign_init_data({"chat": chat}, TOKEN, auth_date=NOW)
    with pytest.raises(InvalidAuthData) as caught:
        validate_init_data(raw, TOKEN, now=NOW)
    error = caught.value
    assert (error.code, error.field, error.message) == (code, "chat", message)


def test_prepared_keys_never_show_the_secret() -> None:
    keys = derive_bot_keys(TOKEN)
    assert repr(keys.web_app) == "HmacSha256(<secret>)"
    assert repr(HmacSha256(b"secret")) == "HmacSha256(<secret>)"
    assert "AA-bot-a" not in repr(keys)


# -- deep links --------------------------------------------------------------------------------


@pytest.mark.parametrize("username", [None, 1234, b"tgpass_bot"])
def test_a_username_that_is_not_a_string_is_refused(username: object) -> None:
    with pytest.raises(InvalidDeepLink):
        start_link(username, "x")  # type: ignore[arg-type]
    with pytest.raises(InvalidDeepLink):
        startapp_link(username)  # type: ignore[arg-type]


def test_only_slashes_are_trimmed_from_a_base() -> None:
    assert start_link("tgpass_bot", "x", base="http://sandbox.test/tX//") == (
        "http://sandbox.test/tX/tgpass_bot?start=x"
    )


@pytest.mark.parametrize("text", [None, 42, b"/start x"])
def test_start_payload_of_something_that_is_not_text_is_none(text: object) -> None:
    assert start_payload(text) is None  # type: ignore[arg-type]


def test_start_payload_for_a_username_given_with_its_at() -> None:
    assert start_payload("/start@tgpass_bot abc", "@tgpass_bot") == "abc"
    assert start_payload("/start@tgpass_bot abc", "@TGPASS_BOT") == "abc"
    assert start_payload("/start@other_bot abc", "@tgpass_bot") is None
    assert start_payload("/start abc", "@tgpass_bot") == "abc"


# -- equivalent mutants (mutmut reports them as survivors; no test can tell them apart) -------
#
# * deeplink.new_link_code: ``secrets.token_urlsafe(None)`` draws secrets.DEFAULT_ENTROPY
#   bytes, which is 32, the value of LINK_CODE_BYTES.
# * _signing.decode_signature: ``value[:87] + "=="`` instead of ``value[:86] + "=="``: only a
#   padded 88-character value differs, giving "===", and the decoder ignores extra padding.
# * _signing.encode_signature: ``rstrip(b"XX=XX")`` strips "X" as well as "=", but the last of
#   the 86 characters of a 64-byte value holds 2 bits followed by zeros, so it is A, Q, g or w.
