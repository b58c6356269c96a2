"""Forgeries must be refused: each test fails when a verifier ACCEPTS what it should refuse.

The property tests in test_properties.py hold that nothing but InvalidAuthData escapes; these
hold the opposite edge: a hash one hex digit off, a field changed, added or removed, another
bot's secret, another Ed25519 key, one flipped signature bit. Each is refused, with its code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from tgpass import (
    InvalidAuthData,
    Verifier,
    bot_id_from_token,
    check_init_data,
    sign_init_data,
    sign_login_widget,
    validate_init_data,
    validate_init_data_signature,
    validate_login_widget,
)
from tgpass.testing import FrozenClock
from tgpass.verify._signing import decode_signature, encode_signature

from .examples import examples

NOW = 1_767_225_600
TOKEN = "1111111111:AA-bot-a_secret"
OTHER_TOKEN = "2222222222:BB-bot-b_secret"
SAME_BOT_OTHER_SECRET = "1111111111:AA-bot-a_secreT"
BOT_ID = 1111111111
USER = {"id": 5_167_898_484, "first_name": "Zoya", "username": "zoya"}
HEX = "0123456789abcdef"
KEY = Ed25519PrivateKey.generate()
PUBLIC = KEY.public_key().public_bytes_raw()
OTHER_KEY = Ed25519PrivateKey.generate()

props = examples(150)

# Field names and values a forger might pick; '&', '=', '%' and '+' exercise the encoding.
# Known names are left out: a random "receiver" or "id" is refused as malformed once it passes.
KNOWN = {
    *("hash", "auth_date", "signature", "query_id", "user", "receiver", "chat", "chat_type"),
    *("chat_instance", "start_param", "can_send_after", "id", "first_name", "last_name"),
    *("username", "photo_url"),
}
names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_&=%+", min_size=1, max_size=8).filter(
    lambda k: k not in KNOWN
)
values = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
extra_fields = st.dictionaries(names, values, max_size=4)


def refused(call: Callable[[], object]) -> str:
    """The code of the refusal; fails the test if ``call`` accepts."""
    with pytest.raises(InvalidAuthData) as caught:
        call()
    return caught.value.code


def pairs(raw: str) -> list[tuple[str, str]]:
    return parse_qsl(raw, keep_blank_values=True, strict_parsing=True)


def with_hash(raw: str, digest: str) -> str:
    return urlencode([(k, digest if k == "hash" else v) for k, v in pairs(raw)])


def one_digit_changed(digest: str, position: int, offset: int) -> str:
    """``digest`` with the hex digit at ``position`` replaced by a different one."""
    digit = HEX[(HEX.index(digest[position].lower()) + offset) % 16]
    return digest[:position] + digit + digest[position + 1 :]


# -- the hash compared in full: a prefix match is not a match ---------------------------------


def _genuine_init_data() -> tuple[str, str]:
    raw = sign_init_data({"user": USER}, TOKEN, auth_date=NOW)
    return raw, dict(pairs(raw))["hash"]


@pytest.mark.parametrize("kept", [1, 16, 31, 32, 33, 48, 63])
def test_init_data_hash_matching_only_a_prefix_is_refused(kept: int) -> None:
    raw, digest = _genuine_init_data()
    forged = with_hash(raw, one_digit_changed(digest, kept, 1))
    assert forged != raw
    assert refused(lambda: validate_init_data(forged, TOKEN, now=NOW)) == "bad_signature"
    assert refused(lambda: check_init_data(forged, TOKEN, now=NOW)) == "bad_signature"
    verifier = Verifier([TOKEN], clock=FrozenClock(NOW))
    assert refused(lambda: verifier.init_data(forged)) == "bad_signature"


@pytest.mark.parametrize("kept", [1, 16, 31, 32, 33, 48, 63])
def test_widget_hash_matching_only_a_prefix_is_refused(kept: int) -> None:
    fields = sign_login_widget(USER, TOKEN, auth_date=NOW)
    forged = {**fields, "hash": one_digit_changed(fields["hash"], kept, 1)}
    assert refused(lambda: validate_login_widget(forged, TOKEN, now=NOW)) == "bad_signature"
    assert refused(lambda: validate_login_widget(urlencode(forged), TOKEN, now=NOW)) == (
        "bad_signature"
    )
    verifier = Verifier([TOKEN], clock=FrozenClock(NOW))
    assert refused(lambda: verifier.login_widget(forged)) == "bad_signature"


def test_a_hash_of_zeros_after_the_right_prefix_is_refused() -> None:
    raw, digest = _genuine_init_data()
    for forged_digest in (digest[:32] + "0" * 32, digest[:63] + "x", digest[:32], digest + "0"):
        forged = with_hash(raw, forged_digest)
        assert refused(lambda f=forged: validate_init_data(f, TOKEN, now=NOW)) == "bad_signature"
    fields = sign_login_widget(USER, TOKEN, auth_date=NOW)
    for forged_digest in (fields["hash"][:32] + "f" * 32, fields["hash"][:32]):
        forged = {**fields, "hash": forged_digest}
        assert refused(lambda f=forged: validate_login_widget(f, TOKEN, now=NOW)) == (
            "bad_signature"
        )


# -- any single changed hex digit of the hash -------------------------------------------------


@props
@given(extra_fields, st.integers(0, 63), st.integers(1, 15))
def test_init_data_any_changed_hash_digit_is_refused(
    extra: dict[str, str], position: int, offset: int
) -> None:
    raw = sign_init_data({"user": USER, **extra}, TOKEN, auth_date=NOW)
    digest = dict(pairs(raw))["hash"]
    forged = with_hash(raw, one_digit_changed(digest, position, offset))
    assert refused(lambda: validate_init_data(forged, TOKEN, now=NOW)) == "bad_signature"
    # Upper case is the same digest, still accepted: the change above is a real one.
    assert validate_init_data(with_hash(raw, digest.upper()), TOKEN, now=NOW)


@props
@given(extra_fields, st.integers(0, 63), st.integers(1, 15))
def test_widget_any_changed_hash_digit_is_refused(
    extra: dict[str, str], position: int, offset: int
) -> None:
    fields = sign_login_widget({**USER, **extra}, TOKEN, auth_date=NOW)
    forged = {**fields, "hash": one_digit_changed(fields["hash"], position, offset)}
    assert refused(lambda: validate_login_widget(forged, TOKEN, now=NOW)) == "bad_signature"
    verifier = Verifier([OTHER_TOKEN, TOKEN], clock=FrozenClock(NOW))
    assert refused(lambda: verifier.login_widget(forged)) == "bad_signature"


# -- any changed, added or removed field ------------------------------------------------------

Tamper = tuple[str, str, str]  # (kind, key, new value)


@st.composite
def tampering(draw: st.DrawFn, fields: dict[str, str]) -> Tamper:
    """A change to signed ``fields`` (hash and signature left alone)."""
    keys = sorted(k for k in fields if k not in {"hash", "signature"})
    kind = draw(st.sampled_from(["change", "add", "remove"]))
    if kind == "add":
        absent = sorted(KNOWN - fields.keys())
        key = draw((names | st.sampled_from(absent)).filter(lambda k: k not in fields))
        return kind, key, draw(values)
    key = draw(st.sampled_from(keys))
    if kind == "remove":
        return kind, key, ""
    if key == "auth_date":  # still a plain integer, so only the signature can object
        new = str(draw(st.integers(0, 2 * NOW).filter(lambda n: str(n) != fields[key])))
    else:
        new = draw(values.filter(lambda v: v != fields[key]))
    return kind, key, new


def tampered(fields: dict[str, str], change: Tamper) -> dict[str, str]:
    kind, key, new = change
    out = dict(fields)
    if kind == "remove":
        del out[key]
    else:
        out[key] = new
    return out


def expected_code(change: Tamper) -> str:
    kind, key, _ = change
    return "missing_field" if (kind, key) == ("remove", "auth_date") else "bad_signature"


@props
@given(extra_fields, st.data())
def test_init_data_any_field_changed_added_or_removed_is_refused(
    extra: dict[str, str], data: st.DataObject
) -> None:
    raw = sign_init_data({"user": USER, "query_id": "AAH1", **extra}, TOKEN, auth_date=NOW)
    fields = dict(pairs(raw))
    change = data.draw(tampering(fields))
    forged = urlencode(tampered(fields, change))
    code = expected_code(change)
    assert refused(lambda: validate_init_data(forged, TOKEN, now=NOW)) == code
    assert refused(lambda: check_init_data(forged, TOKEN, now=NOW)) == code
    verifier = Verifier([OTHER_TOKEN, TOKEN], clock=FrozenClock(NOW))
    assert refused(lambda: verifier.init_data(forged)) == code


@props
@given(extra_fields, st.data())
def test_widget_any_field_changed_added_or_removed_is_refused(
    extra: dict[str, str], data: st.DataObject
) -> None:
    fields = sign_login_widget({**USER, **extra}, TOKEN, auth_date=NOW)
    change = data.draw(tampering(fields))
    forged = tampered(fields, change)
    code = expected_code(change)
    for form in (forged, urlencode(forged)):
        assert refused(lambda f=form: validate_login_widget(f, TOKEN, now=NOW)) == code
    verifier = Verifier([TOKEN], clock=FrozenClock(NOW))
    assert refused(lambda: verifier.login_widget(forged)) == code


# -- another bot's secret, the other scheme's secret ------------------------------------------


@props
@given(extra_fields, st.sampled_from([OTHER_TOKEN, SAME_BOT_OTHER_SECRET]))
def test_signed_with_another_token_is_refused(extra: dict[str, str], other: str) -> None:
    raw = sign_init_data({"user": USER, **extra}, other, auth_date=NOW)
    assert refused(lambda: validate_init_data(raw, TOKEN, now=NOW)) == "bad_signature"
    widget = sign_login_widget({**USER, **extra}, other, auth_date=NOW)
    assert refused(lambda: validate_login_widget(widget, TOKEN, now=NOW)) == "bad_signature"
    verifier = Verifier([TOKEN], clock=FrozenClock(NOW))
    assert refused(lambda: verifier.init_data(raw)) == "bad_signature"
    assert refused(lambda: verifier.login_widget(widget)) == "bad_signature"


def test_one_scheme_secret_does_not_sign_the_other() -> None:
    as_text = {k: str(v) for k, v in USER.items()}
    mini_app = dict(pairs(sign_init_data(as_text, TOKEN, auth_date=NOW)))
    assert refused(lambda: validate_login_widget(mini_app, TOKEN, now=NOW)) == "bad_signature"
    widget = urlencode(sign_login_widget(USER, TOKEN, auth_date=NOW))
    assert refused(lambda: validate_init_data(widget, TOKEN, now=NOW)) == "bad_signature"
    verifier = Verifier([TOKEN], clock=FrozenClock(NOW))
    assert refused(lambda: verifier.init_data(widget)) == "bad_signature"
    assert refused(lambda: verifier.login_widget(mini_app)) == "bad_signature"


# -- Ed25519: another key, another bot, one flipped bit, any changed field --------------------


def _third_party(extra: dict[str, Any] | None = None) -> str:
    return sign_init_data({"user": USER, **(extra or {})}, TOKEN, auth_date=NOW, signing_key=KEY)


def _check_signature(raw: str, *, bot_id: int = BOT_ID, public_key: bytes = PUBLIC) -> object:
    return validate_init_data_signature(raw, bot_id, public_key=public_key, now=NOW)


def test_the_genuine_third_party_data_is_accepted() -> None:
    assert _check_signature(_third_party())
    verifier = Verifier([TOKEN], clock=FrozenClock(NOW), public_key=PUBLIC)
    assert verifier.init_data_signature(_third_party()).bot_id == BOT_ID


def test_another_ed25519_key_is_refused() -> None:
    raw = _third_party()
    other_public = OTHER_KEY.public_key().public_bytes_raw()
    assert refused(lambda: _check_signature(raw, public_key=other_public)) == "bad_signature"
    verifier = Verifier([TOKEN], clock=FrozenClock(NOW), public_key=other_public)
    assert refused(lambda: verifier.init_data_signature(raw)) == "bad_signature"
    # Signed by another key for the right bot: the same refusal.
    forged = sign_init_data({"user": USER}, TOKEN, auth_date=NOW, signing_key=OTHER_KEY)
    assert refused(lambda: _check_signature(forged)) == "bad_signature"


def test_another_bot_id_is_refused() -> None:
    raw = _third_party()
    for bot_id in (BOT_ID + 1, BOT_ID - 1, 2222222222):
        assert refused(lambda b=bot_id: _check_signature(raw, bot_id=b)) == "bad_signature"
    verifier = Verifier([OTHER_TOKEN], clock=FrozenClock(NOW), public_key=PUBLIC)
    assert refused(lambda: verifier.init_data_signature(raw)) == "bad_signature"


@props
@given(st.integers(0, 511))
def test_any_flipped_signature_bit_is_refused(bit: int) -> None:
    raw = _third_party()
    fields = dict(pairs(raw))
    signature = bytearray(decode_signature(fields))
    signature[bit // 8] ^= 1 << (bit % 8)
    forged = urlencode({**fields, "signature": encode_signature(bytes(signature))})
    assert refused(lambda: _check_signature(forged)) == "bad_signature"
    verifier = Verifier([TOKEN], clock=FrozenClock(NOW), public_key=PUBLIC)
    assert refused(lambda: verifier.init_data_signature(forged)) == "bad_signature"


@props
@given(extra_fields, st.data())
def test_third_party_any_field_changed_added_or_removed_is_refused(
    extra: dict[str, str], data: st.DataObject
) -> None:
    fields = dict(pairs(_third_party(extra)))
    change = data.draw(tampering(fields))
    forged = urlencode(tampered(fields, change))
    assert refused(lambda: _check_signature(forged)) == expected_code(change)


def test_third_party_check_ignores_only_the_hash() -> None:
    # The hash is the bot-token check, not part of what Telegram's key signs.
    fields = dict(pairs(_third_party()))
    assert _check_signature(urlencode({**fields, "hash": "0" * 64}))
    without_hash = urlencode({k: v for k, v in fields.items() if k != "hash"})
    assert _check_signature(without_hash)
    without_signature = urlencode({k: v for k, v in fields.items() if k != "signature"})
    assert refused(lambda: _check_signature(without_signature)) == "missing_field"


def test_a_bot_id_in_the_token_is_what_the_signature_binds() -> None:
    assert bot_id_from_token(TOKEN) == BOT_ID
    raw = sign_init_data({"user": USER}, OTHER_TOKEN, auth_date=NOW, signing_key=KEY)
    assert refused(lambda: _check_signature(raw)) == "bad_signature"
    assert _check_signature(raw, bot_id=2222222222)


def test_only_the_canonical_encoding_of_a_signature_is_accepted() -> None:
    # 64 bytes take 85 characters and 2 bits of an 86th, whose 4 low bits must be zero.
    # Without that rule, 16 spellings of one signature pass, so the same init data could be
    # presented as 16 different strings to a third party that dedupes or logs by the string.
    fields = dict(pairs(_third_party()))
    genuine = fields["signature"]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for last in alphabet.replace(genuine[85], ""):
        variant = urlencode({**fields, "signature": genuine[:85] + last})
        assert refused(lambda v=variant: _check_signature(v)) == "bad_signature", last
    assert genuine[85] in "AQgw"
    assert _check_signature(urlencode(fields))
