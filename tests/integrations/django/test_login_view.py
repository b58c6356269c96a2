"""telegram_login_view: the Login Widget's and LoginUrl buttons' callback."""

from __future__ import annotations

import time
from urllib.parse import urlencode

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, override_settings

from tgpass import sign_login_widget
from tgpass.testing import TEST_BOT_TOKEN

from .settings import OTHER_BOT_TOKEN
from .signed import TWO_HOURS, USER


def widget_fields(*, bot_token: str = TEST_BOT_TOKEN, age: int = 0) -> dict[str, str]:
    return sign_login_widget(USER, bot_token, auth_date=int(time.time()) - age)


def callback(client: Client, fields: dict[str, str], **extra: str):  # type: ignore[no-untyped-def]
    return client.get(f"/telegram/login/?{urlencode({**fields, **extra})}")


def test_signed_fields_sign_the_user_in_and_go_to_next() -> None:
    client = Client()
    response = callback(client, widget_fields(), next="/me/?tab=1")
    assert response.status_code == 302
    assert response["Location"] == "/me/?tab=1"
    assert client.get("/home/").json() == {"user": "tg5000000001"}


def test_without_next_it_goes_to_login_redirect_url() -> None:
    response = callback(Client(), widget_fields())
    assert (response.status_code, response["Location"]) == (302, "/home/")


@pytest.mark.parametrize(
    "next_url",
    ["https://evil.example/", "//evil.example/", "http://site.example/", "javascript:alert(1)"],
)
def test_next_leaving_the_site_is_ignored(next_url: str) -> None:
    response = callback(Client(), widget_fields(), next=next_url)
    assert response["Location"] == "/home/"


def test_next_on_the_same_host_is_kept() -> None:
    client = Client(HTTP_HOST="site.example")
    response = callback(client, widget_fields(), next="http://site.example/me/")
    assert response["Location"] == "http://site.example/me/"


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        (lambda: {**widget_fields(), "first_name": "Eve"}, "bad_signature"),
        (lambda: widget_fields(bot_token=OTHER_BOT_TOKEN), "bad_signature"),
        (lambda: widget_fields(age=TWO_HOURS), "expired"),
        (lambda: {k: v for k, v in widget_fields().items() if k != "hash"}, "missing_field"),
        (lambda: {}, "missing_field"),
    ],
    ids=["forged", "other bot", "expired", "no hash", "nothing"],
)
def test_fields_that_fail_are_a_401_and_nobody_signs_in(fields, code: str) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    response = callback(client, fields())
    assert response.status_code == 401
    assert response.json()["error"]["code"] == code
    assert client.get("/home/").json() == {"user": None}
    assert get_user_model().objects.count() == 0


def test_a_field_given_twice_is_refused() -> None:
    fields = widget_fields()
    query = urlencode(fields) + "&first_name=Eve"
    response = Client().get(f"/telegram/login/?{query}")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "malformed"


def test_only_get_is_answered() -> None:
    assert Client().post("/telegram/login/", widget_fields()).status_code == 405


def test_bots_named_by_id_alone_cannot_check_the_widget() -> None:
    with (
        override_settings(TGPASS={"BOT_IDS": [123456789]}),
        pytest.raises(ImproperlyConfigured, match="bot tokens"),
    ):
        callback(Client(raise_request_exception=True), widget_fields())
