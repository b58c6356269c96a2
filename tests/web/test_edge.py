"""Bad input gets a 4xx JSON error, never a 500, and nothing is half-written: text a backend
cannot store, ids out of range, invalid UTF-8 in paths, duplicated signed fields, huge bodies.
Whatever else goes wrong answers JSON 500 and logs no secret."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.exc import DBAPIError

from tests.harness.served import SITE_AUTH, WEBHOOK_SECRET, Served, init_data, served, widget_login
from tests.harness.site import BACKENDS, postgres_schema
from tgpass.store.sql import SqlAccountStore, make_engine, migrate

HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNo"


@pytest.fixture(params=BACKENDS)
async def web(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Served]:
    async with served(request.param, tmp_path) as found:
        yield found


@pytest.fixture
async def lite(tmp_path: Path) -> AsyncIterator[Served]:
    async with served("sqlite+memory", tmp_path) as found:
        yield found


UNSTORABLE = ["nul\x00here", "lone \ud800 surrogate"]


def _json(body: dict[str, object]) -> bytes:
    # json.dumps escapes a lone surrogate as \ud800, as a client would send it
    return json.dumps(body).encode()


async def _post(web: httpx.AsyncClient, path: str, body: dict[str, object]) -> httpx.Response:
    return await web.post(path, content=_json(body), headers={"Content-Type": "application/json"})


@pytest.mark.parametrize("text", UNSTORABLE)
async def test_unstorable_text_is_refused_at_the_edge(web: Served, text: str) -> None:
    for body in (
        {"username": "ann", "password": "correct horse", "display_name": f"Ann {text}"},
        {"username": "ann", "password": f"correct {text}"},
        {"username": f"ann{text}", "password": "correct horse"},
    ):
        answer = await _post(web.web, "/api/auth/register", body)
        assert answer.status_code == 422, answer.text
        assert answer.json()["error"]["code"] == "invalid_input"
    assert await web.services.accounts.find_user(username="ann") is None  # nothing written
    for body in (
        {"username": f"ann{text}", "password": "correct horse"},
        {"username": "ann", "password": f"correct {text}"},
    ):
        answer = await _post(web.web, "/api/auth/login", body)
        assert answer.status_code in (401, 422), answer.text
        assert answer.json()["error"]["code"] in ("invalid_input", "bad_credentials")
    site = await web.web.put(
        "/api/site/users/s1", content=_json({"display_name": f"S {text}"}), headers=SITE_AUTH
    )
    assert site.status_code == 422, site.text


async def test_a_signed_nul_is_refused(web: Served) -> None:
    fields = widget_login({"id": 5_000_000_001, "first_name": "nul\x00here"})
    widget = await web.web.post("/api/auth/telegram/widget", json=fields)
    assert widget.status_code == 422, widget.text
    assert widget.json()["error"]["field"] == "first_name"
    redirect = await web.web.get(f"/auth/telegram/callback?{urlencode(fields)}")
    assert redirect.status_code == 422
    assert await web.services.accounts.find_user(telegram_id=5_000_000_001) is None


@pytest.mark.parametrize("text", UNSTORABLE)
async def test_signed_but_unstorable_names_are_refused(web: Served, text: str) -> None:
    # (A lone surrogate cannot be signed as UTF-8; in init data it arrives as a JSON escape.)
    user = {"id": 5_000_000_002, "first_name": "Zoe", "last_name": text}
    raw = init_data(json.dumps(user))
    mini_app = await web.web.post("/api/auth/telegram/miniapp", json={"init_data": raw})
    assert 400 <= mini_app.status_code < 500, mini_app.text
    assert mini_app.json()["error"]["field"]
    me = await web.web.get("/api/me", headers={"Authorization": f"tma {raw}"})
    assert 400 <= me.status_code < 500, me.text
    assert await web.services.accounts.find_user(telegram_id=5_000_000_002) is None


@pytest.mark.parametrize("user_id", [2**63, 2**64 - 1, -(2**63) - 1])
async def test_telegram_ids_beyond_64_bits_are_refused(web: Served, user_id: int) -> None:
    raw = init_data({"id": user_id, "first_name": "Big"})
    answer = await web.web.post("/api/auth/telegram/miniapp", json={"init_data": raw})
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["field"] == "telegram_id"
    me = await web.web.get("/api/me", headers={"Authorization": f"tma {raw}"})
    assert me.status_code == 422, me.text
    widget = await web.web.post(
        "/api/auth/telegram/widget", json=widget_login({"id": user_id, "first_name": "Big"})
    )
    assert widget.status_code == 422, widget.text


async def test_the_largest_telegram_id_signs_in(web: Served) -> None:
    raw = init_data({"id": 2**63 - 1, "first_name": "Max"})
    answer = await web.web.post("/api/auth/telegram/miniapp", json={"init_data": raw})
    assert answer.status_code == 200, answer.text


async def test_the_longest_telegram_names_sign_in(web: Served) -> None:
    first, last = "F" * 63 + "é", "L" * 63 + "😀"
    raw = init_data({"id": 5_000_000_003, "first_name": first, "last_name": last})
    mini_app = await web.web.post("/api/auth/telegram/miniapp", json={"init_data": raw})
    assert mini_app.status_code == 200, mini_app.text
    shown = mini_app.json()["user"]["display_name"]
    assert shown.startswith(first) and 1 <= len(shown) <= 128
    me = (await web.web.get("/api/me")).json()
    assert (me["telegram"]["first_name"], me["telegram"]["last_name"]) == (first, last)
    fields = widget_login({"id": 5_000_000_004, "first_name": first, "last_name": last})
    widget = await web.web.post("/api/auth/telegram/widget", json=fields)
    assert widget.status_code == 200, widget.text


async def test_a_whitespace_only_telegram_name_still_signs_in(lite: Served) -> None:
    raw = init_data({"id": 5_000_000_005, "first_name": "   "})
    answer = await lite.web.post("/api/auth/telegram/miniapp", json={"init_data": raw})
    assert answer.status_code == 200, answer.text
    assert answer.json()["user"]["display_name"].strip()


@pytest.mark.parametrize("raw_id", ["%FF%FE", "%FE%FF", "%C0%80", "%ED%A0%80", "ok%FF"])
async def test_invalid_utf8_in_a_path_is_refused(lite: Served, raw_id: str) -> None:
    answer = await lite.web.put(
        f"/api/site/users/{raw_id}", json={"display_name": "X"}, headers=SITE_AUTH
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == "invalid_input"
    read = await lite.web.get(f"/api/site/users/{raw_id}", headers=SITE_AUTH)
    assert read.status_code == 422


async def test_invalid_utf8_site_ids_do_not_collapse_into_one_user(lite: Served) -> None:
    first = await lite.web.put(
        "/api/site/users/%FF%FE", json={"display_name": "First"}, headers=SITE_AUTH
    )
    second = await lite.web.get("/api/site/users/%FE%FF", headers=SITE_AUTH)
    assert not (first.status_code == 201 and second.status_code == 200)
    good = await lite.web.put(
        "/api/site/users/caf%C3%A9", json={"display_name": "Café"}, headers=SITE_AUTH
    )
    assert good.status_code == 201
    assert good.json()["site_user_id"] == "café"


async def test_the_widget_redirect_refuses_a_duplicated_field(lite: Served) -> None:
    fields = widget_login({"id": 5_000_000_006, "first_name": "Dup"})
    duplicated = urlencode(fields) + "&id=5000000006"
    answer = await lite.web.get(f"/auth/telegram/callback?{duplicated}")
    assert answer.status_code == 401
    assert "session" not in "".join(answer.headers.get_list("set-cookie"))
    assert await lite.services.accounts.find_user(telegram_id=5_000_000_006) is None
    fine = await lite.web.get(f"/auth/telegram/callback?{urlencode(fields)}")
    assert fine.status_code == 303


async def test_a_large_body_is_refused_by_its_length(lite: Served) -> None:
    size = lite.services.settings.max_body_size + 1
    answer = await lite.web.post(
        "/api/auth/login",
        content=b"x" * size,
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "too_large"


async def test_a_large_streamed_body_is_refused(lite: Served) -> None:
    chunk = b"x" * 65536
    count = lite.services.settings.max_body_size // len(chunk) + 2
    sent = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        for _ in range(count):
            sent += 1
            yield chunk

    for path, headers in (
        ("/api/auth/login", {"Content-Type": "application/json"}),
        ("/telegram/webhook", {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}),
        ("/login", {"Content-Type": "application/x-www-form-urlencoded"}),
    ):
        sent = 0
        answer = await lite.web.post(path, content=body(), headers=headers)
        assert answer.status_code == 413, (path, answer.text)
        assert answer.json()["error"]["code"] == "too_large"
    small = await lite.web.post("/api/auth/login", json={"username": "ann", "password": "x" * 8})
    assert small.status_code == 401


async def test_any_other_error_is_a_json_500_that_logs_no_secret(
    lite: Served, caplog: pytest.LogCaptureFixture
) -> None:
    app: FastAPI = lite.app

    async def broken() -> None:
        raise RuntimeError(f"the store said: [parameters: ('ann', '{HASH}')]")

    app.add_api_route("/broken", broken)
    caplog.set_level(logging.DEBUG)
    answer = await lite.web.get("/broken")
    assert answer.status_code == 500
    assert answer.json()["error"]["code"] == "internal"
    assert "RuntimeError" not in answer.text and "Traceback" not in answer.text
    assert "RuntimeError" in caplog.text  # logged, ...
    assert "c2FsdHNhbHRzYWx0" not in caplog.text  # ... without the password hash


async def test_sql_parameters_never_reach_an_error_message(tmp_path: Path) -> None:
    """A failing statement's error (what a traceback prints) carries no parameters."""
    async with postgres_schema("edge") as (database, schema):
        scoped = make_engine(database, schema=schema)
        try:
            await migrate(scoped)
            store = SqlAccountStore(scoped)
            with pytest.raises(DBAPIError) as failed:
                await store.create_user(display_name="nul\x00", username="ann", password_hash=HASH)
            assert "c2FsdHNhbHRzYWx0" not in str(failed.value)
        finally:
            await scoped.dispose()
