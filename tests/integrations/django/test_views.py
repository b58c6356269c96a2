"""Django views behind TelegramMiddleware and @telegram_required, driven by Django's client."""

from __future__ import annotations

import json
import logging

import pytest
from django.contrib.auth import get_user_model
from django.test import AsyncClient, Client

from tgpass.testing import TEST_BOT_TOKEN

from .signed import REFUSED, USER, forged, init_data, refused_header, tma


def get(path: str, authorization: str | None, client: Client | None = None):  # type: ignore[no-untyped-def]
    headers = {} if authorization is None else {"Authorization": authorization}
    return (client or Client()).get(path, headers=headers)


def test_a_valid_init_data_is_the_users_django_user() -> None:
    response = get("/me/", tma(init_data()))
    assert response.status_code == 200
    assert response.json() == {"user": "tg5000000001", "telegram_id": USER["id"], "scheme": "tma"}


@pytest.mark.parametrize(("case", "code"), REFUSED.items(), ids=list(REFUSED))
def test_a_refused_header_is_a_401_with_its_code_and_nothing_else(case: str, code: str) -> None:
    header = refused_header(case)
    response = get("/me/", header)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response["WWW-Authenticate"] == 'tma realm="telegram"'
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == code
    if header and "hash=" in header:  # the signed data is never echoed
        signed_hash = header.rsplit("hash=", 1)[1]
        assert signed_hash not in response.content.decode()
    assert get_user_model().objects.count() == 0


@pytest.mark.parametrize(("case", "code"), REFUSED.items(), ids=list(REFUSED))
def test_the_middleware_says_why_and_lets_the_view_decide(case: str, code: str) -> None:
    response = get("/whoami/", refused_header(case))
    assert response.status_code == 200
    assert response.json() == {"telegram_id": None, "error": code}


def test_the_middleware_names_a_valid_user() -> None:
    response = get("/whoami/", tma(init_data()))
    assert response.json() == {"telegram_id": USER["id"], "error": None}


def test_the_scheme_is_case_insensitive() -> None:
    assert get("/me/", f"TMA {init_data()}").status_code == 200


def test_no_session_is_started_unless_asked() -> None:
    client = Client()
    assert get("/me/", tma(init_data()), client).status_code == 200
    assert "sessionid" not in client.cookies
    assert client.get("/home/").json() == {"user": None}


def test_login_true_starts_a_session_later_pages_see() -> None:
    client = Client()
    response = get("/me/session/", tma(init_data()), client)
    assert response.status_code == 200
    assert response.json()["user"] == "tg5000000001"
    assert "sessionid" in client.cookies
    assert client.get("/home/").json() == {"user": "tg5000000001"}


def test_a_post_needs_no_csrf_token_since_only_the_header_is_trusted() -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/me/", headers={"Authorization": tma(init_data())})
    assert response.status_code == 200
    # and without the header it is the 401, not a CSRF page
    assert client.post("/me/").status_code == 401


def test_an_inactive_user_is_refused_with_403() -> None:
    assert get("/me/", tma(init_data())).status_code == 200
    get_user_model().objects.filter(username="tg5000000001").update(is_active=False)
    response = get("/me/", tma(init_data()))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


async def test_an_async_view_gets_the_user_too() -> None:
    client = AsyncClient()
    response = await client.get("/me/async/", headers={"Authorization": tma(init_data())})
    assert response.status_code == 200
    body = json.loads(response.content)
    assert body["user"] == body["auser"] == "tg5000000001"
    refused = await client.get("/me/async/", headers={"Authorization": "tma garbage"})
    assert refused.status_code == 401
    assert json.loads(refused.content)["error"]["code"] == "malformed"


def test_no_init_data_or_token_reaches_the_logs(caplog: pytest.LogCaptureFixture) -> None:
    raw = init_data()
    signed_hash = raw.rsplit("hash=", 1)[1]
    caplog.set_level(logging.DEBUG)
    get("/me/", tma(raw))
    get("/me/", tma(forged(raw)))
    get("/me/", "tma garbage")
    assert "Unauthorized: /me/" in caplog.text  # Django did log the refusals
    for secret in (signed_hash, TEST_BOT_TOKEN, TEST_BOT_TOKEN.split(":")[1]):
        assert secret not in caplog.text
