"""Every refusal of the verify package, exactly: its type, ``.code``, ``.field`` and message.

The message is what an HTTP API shows (``{"error": {"code": ..., "message": ...}}``) and the
field is the evidence a caller logs, so both are part of the contract, pinned here in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tgpass import (
    ConfigError,
    InvalidAuthData,
    InvalidDeepLink,
    Verifier,
    sign_init_data,
    sign_login_widget,
    start_link,
    startapp_link,
    validate_init_data,
    validate_init_data_signature,
    validate_login_widget,
)

NOW = 1_767_225_600
TOKEN = "1111111111:AA-bot-a"
ZEROS = "0" * 64
KEY = Ed25519PrivateKey.generate()
PUBLIC = KEY.public_key().public_bytes_raw()


def init(raw: object, **kwargs: object) -> Callable[[], object]:
    return lambda: validate_init_data(raw, TOKEN, now=NOW, **kwargs)  # type: ignore[arg-type]


def signed(**fields: object) -> str:
    return sign_init_data(fields, TOKEN, auth_date=NOW)


def widget(data: object) -> Callable[[], object]:
    return lambda: validate_login_widget(data, TOKEN, now=NOW)  # type: ignore[arg-type]


def third_party(raw: str) -> Callable[[], object]:
    return lambda: validate_init_data_signature(raw, 1111111111, public_key=PUBLIC, now=NOW)


AUTH_ERRORS: list[tuple[str, Callable[[], object], str, str | None, str]] = [
    # (id, call, code, field, message)
    ("not a string", init(42), "malformed", None, "expected a query string, got int"),
    ("empty", init(""), "malformed", None, "the payload is empty"),
    ("no equals", init("a"), "malformed", None, "every field must be key=value"),
    ("empty key", init("=1"), "malformed", None, "a field has an empty key"),
    ("twice", init("a=1&a=2"), "malformed", "a", "field 'a' appears twice"),
    ("not UTF-8", init("a=%FF"), "malformed", None, "percent-encoding is not valid UTF-8"),
    ("surrogate", init("a=\ud800"), "malformed", None, "the payload is not valid Unicode"),
    ("no hash", init("auth_date=1"), "missing_field", "hash", "hash is missing"),
    ("no date", init("hash=" + ZEROS), "missing_field", "auth_date", "auth_date is missing"),
    (
        "date not an integer",
        init("auth_date=1e9&hash=" + ZEROS),
        "malformed",
        "auth_date",
        "auth_date must be a plain integer of unix seconds",
    ),
    (
        "date too late",
        init("auth_date=999999999999&hash=" + ZEROS),
        "malformed",
        "auth_date",
        "auth_date is out of range",
    ),
    (
        "hash mismatch",
        init("auth_date=1&hash=" + ZEROS),
        "bad_signature",
        "hash",
        "the hash does not match the data",
    ),
    ("user not JSON", init(signed(user="{")), "malformed", "user", "user is not valid JSON"),
    (
        "receiver not an object",
        init(signed(receiver="[1]")),
        "malformed",
        "receiver",
        "receiver must be a JSON object",
    ),
    (
        "user id a string",
        init(signed(user='{"id": "1", "first_name": "A"}')),
        "malformed",
        "user",
        "user.id must be of type int",
    ),
    (
        "user without first_name",
        init(signed(user='{"id": 1}')),
        "missing_field",
        "user",
        "user.first_name is missing",
    ),
    (
        "chat without title",
        init(signed(chat='{"id": 1, "type": "group"}')),
        "missing_field",
        "chat",
        "chat.title is missing",
    ),
    (
        "can_send_after",
        init(signed(can_send_after="1.5")),
        "malformed",
        "can_send_after",
        "can_send_after must be an integer",
    ),
    (
        "signature missing",
        third_party(signed()),
        "missing_field",
        "signature",
        "signature is missing",
    ),
    (
        "signature shape",
        third_party(signed(signature="abc")),
        "bad_signature",
        "signature",
        "signature is not 64 bytes of base64url",
    ),
    (
        "signature mismatch",
        third_party(signed(signature="A" * 86)),
        "bad_signature",
        "signature",
        "the Ed25519 signature does not match",
    ),
    ("widget not a mapping", widget([]), "malformed", None, "expected a mapping, got list"),
    (
        "widget key not a string",
        widget({1: "x"}),
        "malformed",
        None,
        "field names must be non-empty strings",
    ),
    (
        "widget value a float",
        widget({"id": 1.5}),
        "malformed",
        "id",
        "field 'id' must be a string or an integer",
    ),
    (
        "widget surrogate",
        widget({"a": "\ud800"}),
        "malformed",
        None,
        "the payload is not valid Unicode",
    ),
    ("widget JSON twice", widget('{"a": 1, "a": 2}'), "malformed", None, "a field appears twice"),
    ("widget bad JSON", widget("{"), "malformed", None, "not a valid JSON object"),
    (
        "widget without id",
        widget(sign_login_widget({"first_name": "A"}, TOKEN, auth_date=NOW)),
        "missing_field",
        "id",
        "id is missing",
    ),
    (
        "widget without first_name",
        widget(sign_login_widget({"id": 1}, TOKEN, auth_date=NOW)),
        "missing_field",
        "first_name",
        "first_name is missing",
    ),
    (
        "widget id not an integer",
        widget(sign_login_widget({"id": "+1", "first_name": "A"}, TOKEN, auth_date=NOW)),
        "malformed",
        "id",
        "id must be an integer",
    ),
    (
        "sign a hash",
        lambda: sign_init_data({"hash": "x"}, TOKEN, auth_date=NOW),
        "malformed",
        "hash",
        "'hash' is computed, not given",
    ),
    (
        "sign auth_date as a field",
        lambda: sign_init_data({"auth_date": 1}, TOKEN, auth_date=NOW),
        "malformed",
        "auth_date",
        "give auth_date as the keyword argument",
    ),
    (
        "widget auth_date as a field",
        lambda: sign_login_widget({"auth_date": 1}, TOKEN, auth_date=NOW),
        "malformed",
        "auth_date",
        "give auth_date as the keyword argument",
    ),
]


@pytest.mark.parametrize(
    ("call", "code", "field", "message"),
    [case[1:] for case in AUTH_ERRORS],
    ids=[case[0] for case in AUTH_ERRORS],
)
def test_each_refusal_has_its_code_field_and_message(
    call: Callable[[], object], code: str, field: str | None, message: str
) -> None:
    with pytest.raises(InvalidAuthData) as caught:
        call()
    error = caught.value
    assert (error.code, error.field, error.message, str(error)) == (code, field, message, message)
    assert error.auth_date is None


def test_age_refusals_carry_when_the_data_was_signed() -> None:
    raw = signed()
    when = datetime.fromtimestamp(NOW, UTC)
    with pytest.raises(InvalidAuthData) as caught:
        validate_init_data(raw, TOKEN, now=NOW + 100.6, max_age=100.5)
    error = caught.value
    assert (error.code, error.field, error.auth_date) == ("expired", "auth_date", when)
    assert error.message == "signed 101 s ago, more than max_age=100.5 s"
    with pytest.raises(InvalidAuthData) as caught:
        validate_init_data(raw, TOKEN, now=NOW - 90.4, max_skew=30)
    error = caught.value
    assert (error.code, error.field, error.auth_date) == ("auth_date_in_future", "auth_date", when)
    assert error.message == "auth_date is 90 s in the future"


CONFIG_ERRORS: list[tuple[str, Callable[[], object], str]] = [
    (
        "bad token",
        lambda: validate_init_data("a=1", "nonsense"),
        "a bot token has the form <bot id>:<secret>",
    ),
    (
        "bad key",
        lambda: validate_init_data_signature("a=1", 1, public_key="00"),
        "an Ed25519 public key is 32 bytes, or 64 hex digits",
    ),
    (
        "bad bot id",
        lambda: validate_init_data_signature("a=1", 0),
        "bot_id must be a positive integer",
    ),
    ("no bots", lambda: Verifier([]), "a Verifier needs at least one bot token"),
    (
        "same bot twice",
        lambda: Verifier([TOKEN, "1111111111:other"]),
        "two bot tokens belong to the same bot",
    ),
]


@pytest.mark.parametrize(
    ("call", "message"), [c[1:] for c in CONFIG_ERRORS], ids=[c[0] for c in CONFIG_ERRORS]
)
def test_config_errors_say_what_is_expected(call: Callable[[], object], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        call()
    assert caught.value.message == message
    assert caught.value.code == "bad_config"


TYPE_ERRORS: list[tuple[str, Callable[[], object], str]] = [
    (
        "naive now",
        lambda: validate_init_data(signed(), TOKEN, now=datetime(2026, 1, 1)),
        "now must be a timezone-aware datetime (or unix seconds)",
    ),
    (
        "now a string",
        lambda: validate_init_data(signed(), TOKEN, now="1"),  # type: ignore[arg-type]
        "now must be unix seconds or an aware datetime, not str",
    ),
    (
        "now a bool",
        lambda: validate_init_data(signed(), TOKEN, now=True),
        "now must be unix seconds or an aware datetime, not bool",
    ),
    (
        "naive auth_date",
        lambda: sign_init_data({}, TOKEN, auth_date=datetime(2026, 1, 1)),
        "auth_date must be a timezone-aware datetime (or unix seconds)",
    ),
    (
        "negative auth_date",
        lambda: sign_init_data({}, TOKEN, auth_date=-1),
        "auth_date must be non-negative unix seconds or an aware datetime",
    ),
    (
        "bool auth_date",
        lambda: sign_login_widget({}, TOKEN, auth_date=True),
        "auth_date must be non-negative unix seconds or an aware datetime",
    ),
    (
        "empty field name",
        lambda: sign_init_data({"": "x"}, TOKEN, auth_date=NOW),
        "field names must be non-empty strings",
    ),
    (
        "field name not a string",
        lambda: sign_login_widget({1: "x"}, TOKEN, auth_date=NOW),  # type: ignore[dict-item]
        "field names must be non-empty strings",
    ),
    (
        "float value",
        lambda: sign_init_data({"x": 1.5}, TOKEN, auth_date=NOW),
        "field 'x': cannot sign a float",
    ),
]


@pytest.mark.parametrize(
    ("call", "message"), [c[1:] for c in TYPE_ERRORS], ids=[c[0] for c in TYPE_ERRORS]
)
def test_programming_errors_are_type_errors(call: Callable[[], object], message: str) -> None:
    with pytest.raises(TypeError) as caught:
        call()
    assert str(caught.value) == message


DEEP_LINK_ERRORS: list[tuple[str, Callable[[], object], str]] = [
    (
        "payload",
        lambda: start_link("tgpass_bot", "a b"),
        "a deep-link payload is 1-64 characters of A-Z a-z 0-9 _ -",
    ),
    (
        "username",
        lambda: start_link("ab", "x"),
        "a bot username is 4-32 characters of A-Z a-z 0-9 _",
    ),
    (
        "app name",
        lambda: startapp_link("tgpass_bot", app="a"),
        "a Mini App short name is 3-30 characters of A-Z a-z 0-9 _",
    ),
    (
        "base",
        lambda: start_link("tgpass_bot", "x", base="ftp://t.me"),
        "a link base is an http(s) URL with a host, like https://t.me",
    ),
]


@pytest.mark.parametrize(
    ("call", "message"), [c[1:] for c in DEEP_LINK_ERRORS], ids=[c[0] for c in DEEP_LINK_ERRORS]
)
def test_deep_link_errors_say_what_telegram_takes(call: Callable[[], object], message: str) -> None:
    with pytest.raises(InvalidDeepLink) as caught:
        call()
    assert caught.value.message == message
    assert caught.value.code == "bad_deep_link"
