"""The rules on account fields, pure: each refusal names its field, each value is kept or cut
exactly as the stores need it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from tgpass.domain.accounts import (
    MAX_DISPLAY_NAME,
    TelegramLink,
    TelegramProfile,
    User,
    checked_display_name,
    checked_password,
    checked_profile,
    checked_role,
    display_name_of,
    normalized_username,
    storable,
)
from tgpass.errors import InvalidInput
from tgpass.verify import TelegramUser

PROFILE = TelegramProfile(telegram_id=5_000_000_001, first_name="Зоя")


def refusal(call: object, *args: object) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        call(*args)  # type: ignore[operator]
    return caught.value


# -- usernames, passwords, display names, roles ------------------------------------------------


@pytest.mark.parametrize(
    ("given", "kept"),
    [("ann", "ann"), ("  Ann.B-c_9 ", "ann.b-c_9"), ("9lives", "9lives"), ("a" * 32, "a" * 32)],
)
def test_usernames_are_normalized(given: str, kept: str) -> None:
    assert normalized_username(given) == kept


@pytest.mark.parametrize("given", ["ab", "a" * 33, "_ann", ".ann", "-ann", "an n", "zoë", ""])
def test_bad_usernames_are_refused(given: str) -> None:
    error = refusal(normalized_username, given)
    assert error.field == "username"
    assert error.message == (
        "a username is 3-32 characters of a-z 0-9 _ . -, starting with a letter or digit"
    )
    assert error.code == "invalid_input"


@pytest.mark.parametrize("length", [8, 9, 255, 256])
def test_passwords_of_8_to_256_characters(length: int) -> None:
    assert checked_password("p" * length) == "p" * length


@pytest.mark.parametrize("length", [0, 7, 257])
def test_passwords_outside_8_to_256_are_refused(length: int) -> None:
    error = refusal(checked_password, "p" * length)
    assert (error.field, error.message) == ("password", "a password is 8-256 characters")


def test_passwords_are_kept_as_given_but_must_be_storable() -> None:
    assert checked_password("  spaces  é ") == "  spaces  é "
    error = refusal(checked_password, "password\x00")
    assert (error.field, error.message) == (
        "password",
        "password holds a character that cannot be stored",
    )


def test_display_names_are_squeezed_and_bounded() -> None:
    assert checked_display_name("  Ann \t  Example\n") == "Ann Example"
    assert checked_display_name("x" * MAX_DISPLAY_NAME) == "x" * MAX_DISPLAY_NAME
    assert checked_display_name("A") == "A"
    for bad in ("", "   ", "x" * (MAX_DISPLAY_NAME + 1)):
        error = refusal(checked_display_name, bad)
        assert (error.field, error.message) == (
            "display_name",
            "a display name is 1-128 characters",
        )
    assert refusal(checked_display_name, "a\ud800").field == "display_name"


@pytest.mark.parametrize("role", ["a", "member", "mod_2", "x-y", "a" * 32])
def test_roles(role: str) -> None:
    assert checked_role(role) == role


@pytest.mark.parametrize("role", ["", "Admin", "1st", "_x", "a" * 33, "a b"])
def test_bad_roles_are_refused(role: str) -> None:
    error = refusal(checked_role, role)
    assert (error.field, error.message) == ("role", "a role is 1-32 characters of a-z 0-9 _ -")


def test_storable_refuses_nul_and_lone_surrogates_only() -> None:
    for text in ("", "plain", "é 🚀", "tab\tline\n"):
        assert storable(text, "f") == text
    for text in ("\x00", "a\x00b", "\ud800", "é\udfff"):
        error = refusal(storable, text, "f")
        assert (error.field, error.message) == ("f", "f holds a character that cannot be stored")


# -- Telegram profiles ---------------------------------------------------------------------------


def test_a_profile_of_a_verified_user_or_a_sender() -> None:
    user = TelegramUser(
        id=7, first_name="A", last_name="B", username="ab", photo_url="p", language_code="en"
    )
    assert TelegramProfile.of(user) == TelegramProfile(
        telegram_id=7,
        first_name="A",
        last_name="B",
        username="ab",
        photo_url="p",
        language_code="en",
    )

    class Sender:  # an update's sender: no photo_url
        id = 8
        first_name = "C"
        last_name = None
        username = None
        language_code = "uk"

    assert TelegramProfile.of(Sender()) == TelegramProfile(
        telegram_id=8, first_name="C", language_code="uk"
    )


def test_full_name() -> None:
    assert PROFILE.full_name == "Зоя"
    assert replace(PROFILE, last_name="Ли").full_name == "Зоя Ли"
    assert replace(PROFILE, last_name="").full_name == "Зоя"


def test_display_name_of_a_profile() -> None:
    assert display_name_of(replace(PROFILE, first_name=" Ann ", last_name=" B  c ")) == "Ann B c"
    long = replace(PROFILE, first_name="a" * 64, last_name="b" * 64)
    assert display_name_of(long) == "a" * 64 + " " + "b" * 63
    assert len(display_name_of(long)) == MAX_DISPLAY_NAME
    # Cut at a space: no trailing blank.
    assert display_name_of(replace(PROFILE, first_name="a" * 127, last_name="b")) == "a" * 127
    assert display_name_of(replace(PROFILE, first_name=" ", username="zoya")) == "zoya"
    assert display_name_of(replace(PROFILE, first_name=" ", username="z" * 200)) == "z" * 128
    assert display_name_of(replace(PROFILE, first_name="\t")) == "Telegram user"
    assert display_name_of(replace(PROFILE, first_name="", username="")) == "Telegram user"


def test_a_profile_that_fits_is_kept_as_is() -> None:
    full = TelegramProfile(
        telegram_id=2**63 - 1,
        first_name="n" * 128,
        last_name="l" * 128,
        username="u" * 64,
        photo_url="p" * 512,
        language_code="l" * 16,
    )
    assert checked_profile(full) is full
    assert checked_profile(PROFILE) is PROFILE
    lowest = replace(PROFILE, telegram_id=-(2**63))
    assert checked_profile(lowest) is lowest


def test_a_profile_is_cut_to_fit() -> None:
    long = TelegramProfile(
        telegram_id=1,
        first_name="n" * 129,
        last_name="l" * 129,
        username="u" * 65,
        photo_url="p" * 513,
        language_code="l" * 17,
    )
    assert checked_profile(long) == TelegramProfile(
        telegram_id=1, first_name="n" * 128, last_name="l" * 128
    )


@pytest.mark.parametrize("telegram_id", [2**63, -(2**63) - 1, 2**70])
def test_ids_beyond_64_bits_are_refused(telegram_id: int) -> None:
    error = refusal(checked_profile, replace(PROFILE, telegram_id=telegram_id))
    assert (error.field, error.message) == (
        "telegram_id",
        "a Telegram id is a signed 64-bit integer",
    )


@pytest.mark.parametrize(
    "field", ["first_name", "last_name", "username", "photo_url", "language_code"]
)
def test_unstorable_profile_text_is_refused_by_field(field: str) -> None:
    error = refusal(checked_profile, replace(PROFILE, **{field: "x\x00"}))
    assert error.field == field
    # Even when too long to be kept, it is refused rather than silently dropped.
    error = refusal(checked_profile, replace(PROFILE, **{field: "\x00" * 600}))
    assert error.field == field


def test_entities_are_frozen_values() -> None:
    when = datetime(2026, 1, 1, tzinfo=UTC)
    link = TelegramLink(1, PROFILE, None, None, False, when)
    user = User(1, "Ann", "ann", None, "member", 0, 0, when)
    assert user.password_hash is None
    with pytest.raises(AttributeError):
        link.chat_id = 5  # type: ignore[misc]
    assert link == TelegramLink(1, PROFILE, None, None, False, when)
