"""Mini App init data: the parsing rules, every error code, and the evidence errors carry."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import tgpass
from tgpass import InvalidAuthData, sign_init_data, validate_init_data
from tgpass.testing import TEST_BOT_TOKEN, FrozenClock, make_init_data

NOW = 1_767_225_600
USER = {"id": 5_167_898_484, "first_name": "Zoya"}


def signed(**fields: object) -> str:
    return sign_init_data({"user": USER, **fields}, TEST_BOT_TOKEN, auth_date=NOW)


def code_of(raw: str, **kwargs: object) -> str:
    with pytest.raises(InvalidAuthData) as caught:
        validate_init_data(raw, TEST_BOT_TOKEN, now=NOW, **kwargs)  # type: ignore[arg-type]
    return caught.value.code


def test_round_trip_keeps_every_documented_field() -> None:
    raw = sign_init_data(
        {
            "query_id": "AAH1",
            "user": USER,
            "receiver": {"id": 42, "first_name": "Bot", "is_bot": True},
            "chat": {"id": -100123, "type": "group", "title": "G"},
            "chat_type": "group",
            "chat_instance": "-3788475317572404878",
            "start_param": "ref_1",
            "can_send_after": 10,
        },
        TEST_BOT_TOKEN,
        auth_date=NOW,
    )
    data = validate_init_data(raw, TEST_BOT_TOKEN, now=NOW)
    assert data.query_id == "AAH1"
    assert data.user is not None and data.user.id == 5_167_898_484
    assert data.receiver is not None and data.receiver.is_bot
    assert data.chat is not None and data.chat.title == "G"
    assert data.chat_type == "group"
    assert data.chat_instance == "-3788475317572404878"
    assert data.start_param == "ref_1"
    assert data.can_send_after == 10
    assert data.auth_date == datetime.fromtimestamp(NOW, UTC)
    assert data.auth_date.tzinfo is not None
    assert data.hash is not None and len(data.hash) == 64


def test_unknown_fields_are_kept_not_rejected() -> None:
    raw = signed(brand_new="1", user_extra_ok="x")
    data = validate_init_data(raw, TEST_BOT_TOKEN, now=NOW)
    assert dict(data.extra) == {"brand_new": "1", "user_extra_ok": "x"}
    user_raw = json.dumps({**USER, "emoji_status": "🚀", "is_premium": True})
    data = validate_init_data(signed(user=user_raw), TEST_BOT_TOKEN, now=NOW)
    assert data.user is not None and data.user.extra == {"emoji_status": "🚀"}
    assert data.user.is_premium is True


def test_json_is_hashed_as_received_never_reencoded() -> None:
    user_raw = '{"id":1,"first_name":"A","photo_url":"https:\\/\\/t.me\\/a.jpg"}'
    data = validate_init_data(signed(user=user_raw), TEST_BOT_TOKEN, now=NOW)
    assert data.user is not None and data.user.photo_url == "https://t.me/a.jpg"
    # Re-encoding the JSON without the escapes changes the hash: the check must fail.
    original = signed(user=user_raw)
    tampered = original.replace("%5C%2F", "%2F")
    assert tampered != original
    assert code_of(tampered) == "bad_signature"


def test_signature_field_is_part_of_the_hmac_string() -> None:
    raw = signed(signature="abc")
    assert validate_init_data(raw, TEST_BOT_TOKEN, now=NOW).signature == "abc"
    assert code_of(raw.replace("signature=abc", "signature=abd")) == "bad_signature"


def test_values_are_decoded_once_with_form_rules() -> None:
    raw = signed(note="a+b&c=d%e")
    assert "note=a%2Bb%26c%3Dd%25e" in raw
    data = validate_init_data(raw, TEST_BOT_TOKEN, now=NOW)
    assert data.extra["note"] == "a+b&c=d%e"
    # '+' in the raw string is a space; a signer who meant a space may send either form.
    spaced = signed(note="a b")
    assert validate_init_data(spaced.replace("a%20b", "a+b"), TEST_BOT_TOKEN, now=NOW)
    # Decoding twice would turn %2541 into A: once gives the literal %41.
    assert validate_init_data(signed(note="%41"), TEST_BOT_TOKEN, now=NOW).extra["note"] == "%41"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "malformed"),
        ("&", "malformed"),
        ("auth_date", "malformed"),
        ("=1&auth_date=1&hash=" + "0" * 64, "malformed"),
        ("a=1&a=2&auth_date=1&hash=" + "0" * 64, "malformed"),
        ("a=%FF&auth_date=1&hash=" + "0" * 64, "malformed"),
        ("a=\ud800&auth_date=1&hash=" + "0" * 64, "malformed"),
        ("auth_date=1", "missing_field"),
        ("hash=" + "0" * 64, "missing_field"),
        ("auth_date=+1&hash=" + "0" * 64, "malformed"),
        ("auth_date=1.5&hash=" + "0" * 64, "malformed"),
        ("auth_date=1_000&hash=" + "0" * 64, "malformed"),
        ("auth_date=%D9%A1&hash=" + "0" * 64, "malformed"),  # Arabic-Indic digit one
        ("auth_date=99999999999999999999&hash=" + "0" * 64, "malformed"),
        ("auth_date=1&hash=" + "0" * 64, "bad_signature"),
        ("auth_date=1&hash=abc", "bad_signature"),
        ("auth_date=1&hash=" + "é" * 64, "bad_signature"),
        ("auth_date=1&hash=" + "0" * 65, "bad_signature"),
    ],
)
def test_bad_input_gets_its_code(raw: str, code: str) -> None:
    assert code_of(raw) == code


def test_errors_are_value_errors_with_evidence() -> None:
    with pytest.raises(ValueError, match="auth_date"):
        validate_init_data("hash=" + "0" * 64, TEST_BOT_TOKEN)
    with pytest.raises(InvalidAuthData) as caught:
        validate_init_data("a=1&a=2", TEST_BOT_TOKEN)
    assert caught.value.field == "a"
    assert caught.value.to_dict()["error"]["code"] == "malformed"  # type: ignore[index]
    assert isinstance(caught.value, tgpass.TgpassError)


def test_expired_and_future_carry_auth_date() -> None:
    raw = signed()
    with pytest.raises(InvalidAuthData) as caught:
        validate_init_data(raw, TEST_BOT_TOKEN, now=NOW + 86401)
    assert caught.value.code == "expired"
    assert caught.value.auth_date == datetime.fromtimestamp(NOW, UTC)
    # Exactly max_age old is still accepted.
    assert validate_init_data(raw, TEST_BOT_TOKEN, now=NOW + 86400)
    with pytest.raises(InvalidAuthData) as caught:
        validate_init_data(raw, TEST_BOT_TOKEN, now=NOW - 61)
    assert caught.value.code == "auth_date_in_future"
    assert caught.value.auth_date == datetime.fromtimestamp(NOW, UTC)


def test_skew_and_max_age_are_configurable() -> None:
    raw = signed()
    assert validate_init_data(raw, TEST_BOT_TOKEN, now=NOW - 60)
    assert validate_init_data(raw, TEST_BOT_TOKEN, now=NOW - 300, max_skew=300)
    assert validate_init_data(raw, TEST_BOT_TOKEN, now=NOW + 10, max_age=10)
    with pytest.raises(InvalidAuthData, match="max_age"):
        validate_init_data(raw, TEST_BOT_TOKEN, now=NOW + 11, max_age=10)
    # max_age=None disables the age check explicitly, and only that check.
    assert validate_init_data(raw, TEST_BOT_TOKEN, now=NOW + 10**8, max_age=None)
    with pytest.raises(InvalidAuthData):
        validate_init_data(raw + "0", TEST_BOT_TOKEN, max_age=None)


def test_now_accepts_unix_seconds_aware_datetimes_and_the_real_clock() -> None:
    raw = signed()
    moment = datetime.fromtimestamp(NOW, timezone(timedelta(hours=5)))
    assert validate_init_data(raw, TEST_BOT_TOKEN, now=moment)
    assert validate_init_data(raw, TEST_BOT_TOKEN, now=FrozenClock(NOW)())
    with pytest.raises(TypeError):
        validate_init_data(raw, TEST_BOT_TOKEN, now=datetime(2026, 1, 1))  # naive
    fresh = make_init_data()
    assert validate_init_data(fresh, TEST_BOT_TOKEN).user is not None


def test_user_ids_beyond_32_and_53_bits() -> None:
    big = 2**53 + 1
    data = validate_init_data(signed(user={"id": big, "first_name": "B"}), TEST_BOT_TOKEN, now=NOW)
    assert data.user is not None and data.user.id == big


@pytest.mark.parametrize(
    ("user", "code"),
    [
        ("not json", "malformed"),
        ("[1, 2]", "malformed"),
        ('{"first_name": "A"}', "missing_field"),
        ('{"id": 1}', "missing_field"),
        ('{"id": "1", "first_name": "A"}', "malformed"),
        ('{"id": true, "first_name": "A"}', "malformed"),
        ('{"id": 1, "first_name": "A", "is_premium": "yes"}', "malformed"),
        ("[" * 100_000, "malformed"),
    ],
)
def test_signed_but_malformed_objects(user: str, code: str) -> None:
    assert code_of(signed(user=user)) == code


def test_malformed_chat_and_can_send_after() -> None:
    assert code_of(signed(chat='{"id": 1, "type": "group"}')) == "missing_field"
    assert code_of(signed(can_send_after="soon")) == "malformed"


def test_a_bad_token_is_a_config_error() -> None:
    with pytest.raises(tgpass.ConfigError):
        validate_init_data(signed(), "not-a-token")


def test_check_init_data_validates_without_building_models() -> None:
    fields = tgpass.check_init_data(signed(note="x"), TEST_BOT_TOKEN, now=NOW)
    assert fields["note"] == "x"
    assert json.loads(fields["user"]) == USER
    with pytest.raises(InvalidAuthData):
        tgpass.check_init_data(signed().replace("Zoya", "Zoe"), TEST_BOT_TOKEN, now=NOW)


def test_parse_init_data_does_not_verify() -> None:
    tampered = signed().replace("Zoya", "Eve")
    data = tgpass.parse_init_data(tampered)
    assert data.user is not None and data.user.first_name == "Eve"
    assert code_of(tampered) == "bad_signature"


def test_uppercase_hex_hash_is_accepted() -> None:
    raw = signed()
    head, digest = raw.rsplit("hash=", 1)
    assert validate_init_data(f"{head}hash={digest.upper()}", TEST_BOT_TOKEN, now=NOW)


def test_sign_init_data_rules() -> None:
    with pytest.raises(InvalidAuthData):
        sign_init_data({"hash": "x"}, TEST_BOT_TOKEN, auth_date=NOW)
    with pytest.raises(InvalidAuthData):
        sign_init_data({"auth_date": 1}, TEST_BOT_TOKEN, auth_date=NOW)
    with pytest.raises(TypeError):
        sign_init_data({"x": 1.5}, TEST_BOT_TOKEN, auth_date=NOW)
    with pytest.raises(TypeError):
        sign_init_data({}, TEST_BOT_TOKEN, auth_date=datetime(2026, 1, 1))
    when = datetime.fromtimestamp(NOW, UTC)
    assert sign_init_data({}, TEST_BOT_TOKEN, auth_date=when) == sign_init_data(
        {}, TEST_BOT_TOKEN, auth_date=NOW
    )
    raw = sign_init_data({"flag": True}, TEST_BOT_TOKEN, auth_date=NOW)
    assert validate_init_data(raw, TEST_BOT_TOKEN, now=NOW).extra["flag"] == "true"


def test_third_party_signature_made_with_our_own_key() -> None:
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes_raw()
    raw = sign_init_data({"user": USER}, TEST_BOT_TOKEN, auth_date=NOW, signing_key=key)
    bot_id = tgpass.bot_id_from_token(TEST_BOT_TOKEN)
    data = tgpass.validate_init_data_signature(raw, bot_id, public_key=public, now=NOW)
    assert data.user is not None and data.user.id == USER["id"]
    # the hash still holds, and covers the signature
    assert validate_init_data(raw, TEST_BOT_TOKEN, now=NOW).signature == data.signature
    hexkey = public.hex()
    with pytest.raises(InvalidAuthData) as caught:
        tgpass.validate_init_data_signature(raw, bot_id + 1, public_key=hexkey, now=NOW)
    assert caught.value.code == "bad_signature"
    with pytest.raises(InvalidAuthData) as caught:
        tgpass.validate_init_data_signature(raw, bot_id, now=NOW)  # Telegram's key
    assert caught.value.code == "bad_signature"
    with pytest.raises(InvalidAuthData) as caught:
        tgpass.validate_init_data_signature(raw, bot_id, public_key=hexkey, now=NOW + 86401)
    assert caught.value.code == "expired"


@pytest.mark.parametrize(
    ("signature", "code"),
    [
        (None, "missing_field"),
        ("short", "bad_signature"),
        ("A" * 86 + "=", "bad_signature"),
        ("+" * 86, "bad_signature"),
        ("é" * 86, "bad_signature"),
        ("A" * 86, "bad_signature"),
    ],
)
def test_third_party_signature_shapes(signature: str | None, code: str) -> None:
    fields: dict[str, object] = {"user": USER}
    if signature is not None:
        fields["signature"] = signature
    raw = sign_init_data(fields, TEST_BOT_TOKEN, auth_date=NOW)
    with pytest.raises(InvalidAuthData) as caught:
        tgpass.validate_init_data_signature(raw, 123456789, now=NOW)
    assert caught.value.code == code


def test_third_party_config_errors() -> None:
    raw = signed()
    with pytest.raises(tgpass.ConfigError):
        tgpass.validate_init_data_signature(raw, 1, public_key="zz")
    with pytest.raises(tgpass.ConfigError):
        tgpass.validate_init_data_signature(raw, 0)
    assert tgpass.TELEGRAM_TEST_PUBLIC_KEY != tgpass.TELEGRAM_PUBLIC_KEY


def test_to_dict_gives_telegram_shapes() -> None:
    data = validate_init_data(signed(chat_instance="-1", extra_field="e"), TEST_BOT_TOKEN, now=NOW)
    out = data.to_dict()
    assert out["user"] == USER
    assert out["auth_date"] == NOW
    assert out["chat_instance"] == "-1"
    assert out["extra_field"] == "e"
    json.dumps(out)


def test_models_are_frozen_and_hashable() -> None:
    data = validate_init_data(signed(), TEST_BOT_TOKEN, now=NOW)
    with pytest.raises(AttributeError):
        data.query_id = "x"  # type: ignore[misc]
    assert hash(data) == hash(validate_init_data(signed(), TEST_BOT_TOKEN, now=NOW))
    assert data.user is not None and isinstance(data.user, tgpass.TelegramUser)
    assert data.user.full_name == "Zoya"
