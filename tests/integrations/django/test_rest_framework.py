"""TelegramAuthentication in Django REST framework, driven by DRF's own test tools."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request
from rest_framework.test import APIClient, APIRequestFactory

from tgpass.integrations._core import TelegramIdentity
from tgpass.integrations.django.rest_framework import TelegramAuthentication

from .signed import REFUSED, USER, init_data, refused_header, tma

# Refused by the check itself; the others are no attempt at this scheme (see below).
FAILED = {
    case: code
    for case, code in REFUSED.items()
    if code not in {"missing_credentials", "unsupported_scheme"}
}


def drf_request(authorization: str | None) -> Request:
    headers = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}
    return Request(APIRequestFactory().get("/api/me/", **headers))


def test_a_valid_init_data_is_the_user_and_the_identity_is_request_auth() -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=tma(init_data()))
    response = client.get("/api/me/")
    assert response.status_code == 200
    assert response.json() == {"user": "tg5000000001", "telegram_id": USER["id"]}


def test_authenticate_gives_the_user_and_the_identity() -> None:
    user, identity = TelegramAuthentication().authenticate(drf_request(tma(init_data())))
    assert isinstance(identity, TelegramIdentity)
    assert (user.get_username(), identity.telegram_id) == ("tg5000000001", USER["id"])


@pytest.mark.parametrize(("case", "code"), FAILED.items(), ids=list(FAILED))
def test_a_failed_check_is_a_401_with_tgpass_error_and_challenge(case: str, code: str) -> None:
    header = refused_header(case)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/me/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'tma realm="telegram"'
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == code
    if header and "hash=" in header:
        assert header.rsplit("hash=", 1)[1] not in response.content.decode()
    assert get_user_model().objects.count() == 0


@pytest.mark.parametrize(("case", "code"), FAILED.items(), ids=list(FAILED))
def test_authentication_failed_carries_the_stable_code(case: str, code: str) -> None:
    with pytest.raises(AuthenticationFailed) as raised:
        TelegramAuthentication().authenticate(drf_request(refused_header(case)))
    assert raised.value.get_codes() == {"error": {"code": code, "message": code}}
    assert raised.value.detail["error"]["code"] == code


@pytest.mark.parametrize("header", [None, "", "Basic dXNlcjpwYXNz", "Token abc"])
def test_no_header_or_another_scheme_leaves_the_request_to_other_classes(
    header: str | None,
) -> None:
    assert TelegramAuthentication().authenticate(drf_request(header)) is None


def test_a_view_needing_a_user_answers_drfs_401_with_this_challenge() -> None:
    response = APIClient().get("/api/me/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'tma realm="telegram"'
    assert response.data["detail"].code == "not_authenticated"


def test_an_open_view_serves_anonymous_requests() -> None:
    assert APIClient().get("/api/open/").json() == {"user": None}
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=tma(init_data()))
    assert client.get("/api/open/").json() == {"user": "tg5000000001"}


def test_an_inactive_user_is_refused() -> None:
    TelegramAuthentication().authenticate(drf_request(tma(init_data())))
    get_user_model().objects.update(is_active=False)
    with pytest.raises(AuthenticationFailed) as raised:
        TelegramAuthentication().authenticate(drf_request(tma(init_data())))
    assert raised.value.detail["error"]["code"] == "forbidden"
