"""Login Widget and LoginUrl data: mapping, query-string and JSON forms, one algorithm."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from tgpass import (
    InitData,
    InvalidAuthData,
    TelegramUser,
    sign_init_data,
    sign_login_widget,
    validate_login_widget,
)
from tgpass.testing import TEST_BOT_TOKEN, make_widget_login

NOW = 1_767_225_600
FIELDS = {"id": 5_167_898_484, "first_name": "Zoya", "username": "zoya"}


def login(**extra: object) -> dict[str, str]:
    return sign_login_widget({**FIELDS, **extra}, TEST_BOT_TOKEN, auth_date=NOW)


def code_of(data: object) -> str:
    with pytest.raises(InvalidAuthData) as caught:
        validate_login_widget(data, TEST_BOT_TOKEN, now=NOW)  # type: ignore[arg-type]
    return caught.value.code


def test_each_form_is_accepted() -> None:
    fields = login(photo_url="https://t.me/i/userpic/320/zoya.jpg")
    as_json_numbers = json.dumps({**fields, "id": FIELDS["id"], "auth_date": NOW})
    for data in (fields, urlencode(fields), "?" + urlencode(fields), as_json_numbers):
        result = validate_login_widget(data, TEST_BOT_TOKEN, now=NOW)
        assert result.id == 5_167_898_484
        assert result.user == TelegramUser(
            id=5_167_898_484,
            first_name="Zoya",
            username="zoya",
            photo_url="https://t.me/i/userpic/320/zoya.jpg",
        )


def test_unknown_fields_are_kept_and_signed() -> None:
    result = validate_login_widget(login(new_field="x"), TEST_BOT_TOKEN, now=NOW)
    assert result.extra == {"new_field": "x"}
    assert result.to_dict()["new_field"] == "x"


def test_tampering_and_wrong_secret_fail() -> None:
    assert code_of({**login(), "username": "eve"}) == "bad_signature"
    # The Mini App secret does not sign widget data: same fields, other algorithm.
    mini_app = sign_init_data({k: str(v) for k, v in FIELDS.items()}, TEST_BOT_TOKEN, auth_date=NOW)
    assert code_of(mini_app) == "bad_signature"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({}, "missing_field"),
        ([], "malformed"),
        (None, "malformed"),
        (42, "malformed"),
        ({"id": 1.5, "hash": "x", "auth_date": "1"}, "malformed"),
        ({"id": True, "hash": "x", "auth_date": "1"}, "malformed"),
        ({"id": None, "hash": "x", "auth_date": "1"}, "malformed"),
        ({1: "x"}, "malformed"),
        ({"": "x"}, "malformed"),
        ('{"id": 1, "id": 2}', "malformed"),
        ("{not json", "malformed"),
        ('{"id": [1]}', "malformed"),
        ("id=1&id=2", "malformed"),
    ],
)
def test_bad_input_gets_its_code(data: object, code: str) -> None:
    assert code_of(data) == code


def test_signed_but_missing_or_bad_identity() -> None:
    no_name = sign_login_widget({"id": 1}, TEST_BOT_TOKEN, auth_date=NOW)
    assert code_of(no_name) == "missing_field"
    bad_id = sign_login_widget({"id": "x1", "first_name": "A"}, TEST_BOT_TOKEN, auth_date=NOW)
    assert code_of(bad_id) == "malformed"


def test_age_rules_apply() -> None:
    with pytest.raises(InvalidAuthData) as caught:
        validate_login_widget(login(), TEST_BOT_TOKEN, now=NOW + 86401)
    assert caught.value.code == "expired"
    assert validate_login_widget(login(), TEST_BOT_TOKEN, now=NOW + 86401, max_age=None)
    with pytest.raises(InvalidAuthData) as caught:
        validate_login_widget(login(), TEST_BOT_TOKEN, now=NOW - 3600)
    assert caught.value.code == "auth_date_in_future"


def test_testing_helper_signs_for_now() -> None:
    result = validate_login_widget(make_widget_login(), TEST_BOT_TOKEN)
    assert result.user.id == 5_000_000_001
    assert not isinstance(result, InitData)
