"""Property-based tests: nothing but InvalidAuthData escapes, and sign -> validate holds."""

from __future__ import annotations

import hmac
from typing import Any
from urllib.parse import unquote_plus

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tgpass import (
    InvalidAuthData,
    parse_init_data,
    sign_init_data,
    sign_login_widget,
    validate_init_data,
    validate_init_data_signature,
    validate_login_widget,
)
from tgpass.testing import TEST_BOT_TOKEN
from tgpass.verify._fields import _decode
from tgpass.verify.keys import HmacSha256

from .examples import examples

NOW = 1_767_225_600
KNOWN = {
    "hash",
    "auth_date",
    "user",
    "receiver",
    "chat",
    "can_send_after",
    "query_id",
    "chat_type",
    "chat_instance",
    "start_param",
    "signature",
}
# Characters that break naive parsers: separators, escapes, quotes, JSON's \/ and non-ASCII.
TRICKY = st.sampled_from([*list("&=+%?#;\"'\\/ \n\t"), "%2", "%zz", "%C3%A9", "\\/", "é", "🚀"])
nasty_text = st.lists(st.one_of(TRICKY, st.text(max_size=5)), max_size=12).map("".join)
field_name = nasty_text.filter(lambda k: k != "" and k not in KNOWN)
json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), nasty_text)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(nasty_text, inner, max_size=3),
    max_leaves=8,
)

fast = examples(300)


def only_invalid_auth_data(call: Any) -> None:
    try:
        call()
    except InvalidAuthData as error:
        assert error.code in InvalidAuthData.CODES


@fast
@given(st.one_of(nasty_text, st.text()))
def test_arbitrary_strings_raise_only_invalid_auth_data(raw: str) -> None:
    only_invalid_auth_data(lambda: parse_init_data(raw))
    only_invalid_auth_data(lambda: validate_init_data(raw, TEST_BOT_TOKEN, now=NOW))
    only_invalid_auth_data(lambda: validate_init_data_signature(raw, 1, now=NOW))
    only_invalid_auth_data(lambda: validate_login_widget(raw, TEST_BOT_TOKEN, now=NOW))


@fast
@given(st.one_of(st.dictionaries(st.one_of(nasty_text, st.integers()), json_values), json_values))
def test_arbitrary_mappings_and_objects_raise_only_invalid_auth_data(data: Any) -> None:
    only_invalid_auth_data(lambda: validate_login_widget(data, TEST_BOT_TOKEN, now=NOW))


@fast
@given(
    st.dictionaries(nasty_text, json_values, max_size=4),
    st.sampled_from(["user", "receiver", "chat", "can_send_after", "auth_date"]),
)
def test_signed_garbage_in_typed_fields_raises_only_invalid_auth_data(
    obj: dict[str, Any], name: str
) -> None:
    import json

    fields = {name: json.dumps(obj)} if name != "auth_date" else {}
    raw = sign_init_data(fields, TEST_BOT_TOKEN, auth_date=NOW)
    only_invalid_auth_data(lambda: validate_init_data(raw, TEST_BOT_TOKEN, now=NOW))


user_objects = st.fixed_dictionaries(
    {"id": st.integers(min_value=1, max_value=2**63 - 1), "first_name": nasty_text},
    optional={"last_name": nasty_text, "username": nasty_text, "photo_url": nasty_text},
)


@fast
@given(st.dictionaries(field_name, nasty_text, max_size=6), st.one_of(st.none(), user_objects))
def test_sign_then_validate_round_trips(
    fields: dict[str, str], user: dict[str, Any] | None
) -> None:
    to_sign: dict[str, object] = dict(fields)
    if user is not None:
        to_sign["user"] = user
    raw = sign_init_data(to_sign, TEST_BOT_TOKEN, auth_date=NOW)
    data = validate_init_data(raw, TEST_BOT_TOKEN, now=NOW)
    assert dict(data.extra) == fields
    if user is None:
        assert data.user is None
    else:
        assert data.user is not None
        assert data.user.to_dict() == user


@fast
@given(st.dictionaries(field_name, nasty_text, max_size=6), user_objects)
def test_widget_sign_then_validate_round_trips(
    fields: dict[str, str], user: dict[str, Any]
) -> None:
    fields = {k: v for k, v in fields.items() if k not in {"id", "first_name"}}
    signed = sign_login_widget({**user, **fields}, TEST_BOT_TOKEN, auth_date=NOW)
    login = validate_login_widget(signed, TEST_BOT_TOKEN, now=NOW)
    assert login.id == user["id"]
    assert login.first_name == user["first_name"]
    known = {"last_name", "username", "photo_url"}
    assert dict(login.extra) == {k: v for k, v in fields.items() if k not in known}


@fast
@given(st.dictionaries(field_name, nasty_text, min_size=1, max_size=4), st.data())
def test_any_change_to_a_signed_value_is_refused(fields: dict[str, str], data: Any) -> None:
    raw = sign_init_data(fields, TEST_BOT_TOKEN, auth_date=NOW)
    key = data.draw(st.sampled_from(sorted(fields)))
    changed = data.draw(nasty_text.filter(lambda v: v != fields[key]))
    forged = sign_init_data({**fields, key: changed}, "1:other", auth_date=NOW)
    # Swap in the forged value but keep the genuine hash.
    genuine_hash = raw.rsplit("hash=", 1)[1]
    tampered = forged.rsplit("hash=", 1)[0] + "hash=" + genuine_hash
    with pytest.raises(InvalidAuthData) as caught:
        validate_init_data(tampered, TEST_BOT_TOKEN, now=NOW)
    assert caught.value.code == "bad_signature"


@examples(2000)
@given(
    st.lists(
        st.one_of(TRICKY, st.sampled_from(list("0123456789abcdefABCDEFx\\")), st.text(max_size=3)),
        max_size=20,
    ).map("".join)
)
def test_fast_decode_equals_unquote_plus(text: str) -> None:
    try:
        expected: str | None = unquote_plus(text, errors="strict")
    except UnicodeDecodeError:
        expected = None
    try:
        actual: str | None = _decode(text)
    except InvalidAuthData:
        actual = None
    assert actual == expected


@fast
@given(st.binary(max_size=200), st.binary(max_size=300))
def test_prepared_hmac_equals_the_standard_library(key: bytes, message: bytes) -> None:
    assert HmacSha256(key).digest(message) == hmac.digest(key, message, "sha256")


def test_decoding_works_without_the_c_escape_decoder(monkeypatch: pytest.MonkeyPatch) -> None:
    from tgpass.verify import _fields

    monkeypatch.setattr(_fields, "_escape_decode", None)
    assert _decode("a%20b+c%2B%E2%9C%93") == "a b c+✓"
    with pytest.raises(InvalidAuthData):
        _decode("%FF")
