"""The provider as the service wires it (``Services.oidc_provider``, the routes in ``create_app``,
``tgpass oidc`` in the CLI, ``next`` on the login page)."""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.harness.fakes import RecordingTelegram
from tests.harness.site import running_site, site_settings, sqlite_settings
from tgpass.settings import Settings

from .conftest import API_KEY, CALLBACK, SITE_AUTH, auth_url, exchange, userinfo

SITE = "http://127.0.0.1:8000"


def _settings(tmp_path: Path) -> Settings:
    return site_settings(
        sqlite_settings(tmp_path, "wired.sqlite3"), public_url=SITE, api_keys=API_KEY, worker=False
    )


def _field(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found is not None, f"no {name} field"
    return unescape(found.group(1))


async def test_the_app_serves_the_provider_and_the_login_page_brings_users_back(
    tmp_path: Path,
) -> None:
    async with running_site(_settings(tmp_path), telegram=RecordingTelegram()) as site:
        web = site.web
        meta = await web.get("/.well-known/openid-configuration")
        assert meta.status_code == 200
        assert meta.json()["issuer"] == SITE
        made = await web.post(
            "/api/site/oidc/clients",
            json={"name": "Forum", "redirect_uris": [CALLBACK]},
            headers=SITE_AUTH,
        )
        assert made.status_code == 201
        client_id, secret = made.json()["client_id"], made.json()["client_secret"]
        registered = await web.post(
            "/api/auth/register", json={"username": "ann", "password": "correct horse"}
        )
        assert registered.status_code == 201
        web.cookies.clear()

        url = auth_url(client_id, scope="openid site chats")
        to_login = await web.get(url)
        assert to_login.status_code == 303
        login = await web.get(to_login.headers["location"])
        back = _field(login.text, "next")
        assert back == parse_qs(urlsplit(to_login.headers["location"]).query)["next"][0]
        signed_in = await web.post(
            "/login",
            data={
                "username": "ann",
                "password": "correct horse",
                "csrf_token": _field(login.text, "csrf_token"),
                "next": back,
            },
        )
        assert signed_in.status_code == 303
        assert signed_in.headers["location"] == back
        consent = await web.get(back)
        assert consent.status_code == 200
        assert "consent-allow" in consent.text
        granted = await web.post(
            unescape(re.findall(r'<form method="post" action="([^"]+)">', consent.text)[-1]),
            data={"csrf_token": _field(consent.text, "csrf_token"), "decision": "allow"},
        )
        code = parse_qs(urlsplit(granted.headers["location"]).query)["code"][0]
        tokens = (await exchange(web, client_id, secret, code)).json()
        claims = (await userinfo(web, tokens["access_token"])).json()
        assert claims["roles"] == ["member"]
        assert claims["chats"] == []  # gated chats, through the wired chats_of
        evil = await web.get("/login", params={"next": "//evil.example/x"})
        assert _field(evil.text, "next") == "/account"


def test_the_cli_has_the_oidc_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tgpass.cli import main

    monkeypatch.setenv("TGPASS_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}")
    code = main(["oidc", "add-client", "--name", "Wiki", "--redirect-uri", CALLBACK])
    out: dict[str, Any] = json.loads(capsys.readouterr().out)
    assert code == 0
    assert set(out) == {"client_id", "client_secret"}
