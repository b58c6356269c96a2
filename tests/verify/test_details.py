"""Details a mutation run of verify/ found untested: shapes of parsed models, argument checks,
the signature's encoding, deep-link edges. Equivalent mutants are explained at the end.
"""

from __future__ import annotations

import base64
import hmac
import re
from datetime import UTC, datetime
from types import MappingProxyType
from urllib.parse import parse_qsl, unquote_plus, urlencode

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import tgpass
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
from tgpass.verify import _fields
from tgpass.verify._fields import _decode
from tgpass.verify._signing import decode_signature, encode_signature
from tgpass.verify.keys import HmacSha256, bot_id_from_token, derive_bot_keys
from tgpass.verify.models import plain_int

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


@pytest.mark.parametrize("length", [0, 1, 32, 63, 64, 65, 100, 200])
def test_prepared_hmac_at_the_block_size(length: int) -> None:
    # RFC 2104: a key longer than the 64-byte block is hashed first; one of 64 is not.
    key = bytes(i % 251 for i in range(length))
    message = b"auth_date=1\nuser={}"
    assert HmacSha256(key).digest(message) == hmac.digest(key, message, "sha256")


@pytest.mark.parametrize("token", [None, 1111111111, b"1111111111:AA-bot-a"])
def test_a_token_that_is_not_a_string_is_a_config_error(token: object) -> None:
    with pytest.raises(ConfigError):
        bot_id_from_token(token)  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        validate_init_data("a=1", token)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0", 0),
        ("42", 42),
        ("-42", -42),
        ("9" * 20, int("9" * 20)),
        ("-" + "9" * 20, -int("9" * 20)),
    ],
)
def test_plain_int_takes_signed_decimals_of_up_to_20_digits(text: str, value: int) -> None:
    assert plain_int(text, "n") == value


@pytest.mark.parametrize(
    "text", ["", "-", "--42", "-x5", "-+5", "+5", " 5", "5_0", "١", "1" + "0" * 20, "1.0"]
)
def test_plain_int_refuses_anything_else(text: str) -> None:
    with pytest.raises(InvalidAuthData) as caught:
        plain_int(text, "n")
    assert (caught.value.code, caught.value.field) == ("malformed", "n")


def test_can_send_after_is_a_plain_int() -> None:
    for text, value in (("-5", -5), ("9" * 20, int("9" * 20))):
        raw = sign_init_data({"can_send_after": text}, TOKEN, auth_date=NOW)
        assert validate_init_data(raw, TOKEN, now=NOW).can_send_after == value
    raw = sign_init_data({"can_send_after": "1" + "0" * 20}, TOKEN, auth_date=NOW)
    with pytest.raises(InvalidAuthData):
        validate_init_data(raw, TOKEN, now=NOW)


# -- signing exactly as Telegram does -----------------------------------------------------------


def test_objects_are_signed_as_compact_json_with_text_unescaped() -> None:
    raw = sign_init_data({"user": {"id": 7, "first_name": "Зоя 🚀"}}, TOKEN, auth_date=NOW)
    assert dict(parse_qsl(raw))["user"] == '{"id":7,"first_name":"Зоя 🚀"}'


def test_every_reserved_character_is_percent_encoded() -> None:
    raw = sign_init_data({"a/b": "c/d?e"}, TOKEN, auth_date=NOW)
    assert raw.startswith("a%2Fb=c%2Fd%3Fe&auth_date=")


def test_booleans_are_signed_as_json_and_zero_is_a_moment() -> None:
    raw = sign_init_data({"t": True, "f": False}, TOKEN, auth_date=0)
    assert raw.startswith("t=true&f=false&auth_date=0&hash=")
    fields = sign_login_widget({"id": 1, "first_name": "A", "f": False}, TOKEN, auth_date=0)
    assert (fields["f"], fields["auth_date"]) == ("false", "0")


def test_signing_replaces_a_stale_signature() -> None:
    stale = sign_init_data(
        {"signature": "old", "user": USER}, TOKEN, auth_date=NOW, signing_key=KEY
    )
    assert stale == sign_init_data({"user": USER}, TOKEN, auth_date=NOW, signing_key=KEY)
    assert validate_init_data_signature(stale, BOT_ID, public_key=PUBLIC, now=NOW)


def test_auth_date_at_the_edges_of_its_range() -> None:
    last = 253402300799  # 9999-12-31T23:59:59Z
    data = tgpass.parse_init_data(f"auth_date={last}&hash=x")
    assert data.auth_date == datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
    for value, message in (
        (str(last + 1), "auth_date is out of range"),
        ("1" + "0" * 12, "auth_date must be a plain integer of unix seconds"),
    ):
        with pytest.raises(InvalidAuthData) as caught:
            tgpass.parse_init_data(f"auth_date={value}&hash=x")
        assert caught.value.message == message


# -- the fast percent-decoder --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("part", "decoded"),
    [
        ("a\\n%41", "a\\nA"),
        ("\\x41%42", "\\x41B"),
        ("%5C%5Cx41", "\\\\x41"),
        ("a+b%20c", "a b c"),
        ("%E2%9C%93", "✓"),
    ],
)
def test_fast_decoding_keeps_backslashes(part: str, decoded: str) -> None:
    assert _decode(part) == decoded == unquote_plus(part)


def test_well_formed_escapes_take_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    def slow(part: str) -> str:
        raise AssertionError(f"fell back to unquote_plus for {part!r}")

    monkeypatch.setattr(_fields, "_decode_slowly", slow)
    assert _decode("a%20b+c%2B%E2%9C%93%5C") == "a b c+✓\\"
    assert _decode("plain") == "plain"


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
# make mutate over src/tgpass/verify: 1268 mutants, 1255 killed, these 13 survive.
#
# * deeplink.new_link_code: ``secrets.token_urlsafe(None)`` draws secrets.DEFAULT_ENTROPY
#   bytes, which is 32, the value of LINK_CODE_BYTES.
# * _signing.decode_signature: ``value[:87] + "=="`` instead of ``value[:86] + "=="``: only a
#   padded 88-character value differs, giving "===", and the decoder ignores extra padding.
# * _signing.encode_signature: ``rstrip(b"XX=XX")`` strips "X" as well as "=", but the last of
#   the 86 characters of a 64-byte value holds 2 bits followed by zeros, so it is A, Q, g or w.
# * _fields.check_mapping: ``value if isinstance(value, str) and False else str(value)``: str()
#   of a str is the str itself.
# * models.web_app_user / web_app_chat: ``MappingProxyType(extra) if extra or True else _EMPTY``
#   wraps an empty dict instead of sharing the one empty mapping: equal, only not identical.
# * _fields._decode: ``part.replace("+", " ") if "+" in part or True``: replacing a "+" that
#   is not there changes nothing; _require_utf8: ``encode("UTF-8")``, the same codec.
# * models.frozen: ``MappingProxyType(mapping) if mapping or True``, as web_app_user above.
# * _signing.query_string: ``quote(k, safe="XXXX")`` (and the same for values): "X" is an
#   unreserved character, which quote never escapes, so safe="XXXX" is safe="".
# * init_data._text: ``json.dumps(..., ensure_ascii=None)``: None is false, as False is.
# * keys.derive_bot_keys: ``hmac.digest(..., "SHA256")``: OpenSSL takes the digest name in
#   either case.
