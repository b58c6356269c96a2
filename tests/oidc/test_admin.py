"""Registering clients (the site API and ``tgpass oidc add-client``) and rotating keys from
the command line; redirect URIs are checked once, at registration."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import pytest

from tgpass.errors import InvalidInput, TgpassError
from tgpass.oidc_cli import add_commands
from tgpass.service.oidc.provider.clients import checked_redirect_uri

from .conftest import CALLBACK, SITE_AUTH, Site


def _add(commands: Any, name: str, help: str) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(name, help=help)
    return parser


def cli(*argv: str) -> tuple[int, Any]:
    """Run ``tgpass oidc ...`` as ``tgpass.cli.main`` does: JSON out, or an error and 1."""
    parser = argparse.ArgumentParser(prog="tgpass")
    add_commands(parser.add_subparsers(dest="command", required=True), _add)
    args = parser.parse_args(list(argv))
    try:
        result = args.handler(args)
    except TgpassError as error:
        return 1, error.to_dict()
    return 0, json.loads(json.dumps(result))


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}"
    monkeypatch.setenv("TGPASS_DATABASE_URL", url)
    monkeypatch.setenv("TGPASS_PUBLIC_URL", "https://site.example")
    return url


def test_the_cli_registers_clients_and_rotates_keys(database: str) -> None:
    code, made = cli(
        "oidc", "add-client", "--name", "Grafana",
        "--redirect-uri", "https://grafana.example/login/generic_oauth",
        "--redirect-uri", "http://127.0.0.1:3000/login/generic_oauth",
    )  # fmt: skip
    assert code == 0
    assert set(made) == {"client_id", "client_secret"}
    assert len(made["client_secret"]) >= 43
    code, app = cli(
        "oidc", "add-client", "--name", "Mobile", "--public",
        "--redirect-uri", "com.example.app:/oauth", "--scope", "openid", "--scope", "chats",
    )  # fmt: skip
    assert code == 0
    assert set(app) == {"client_id"}
    code, listed = cli("oidc", "clients")
    assert [(c["name"], c["public"]) for c in listed] == [("Grafana", False), ("Mobile", True)]
    assert listed[1]["scopes"] == ["chats", "openid"]
    assert "client_secret" not in json.dumps(listed)

    code, first = cli("oidc", "rotate-keys")
    assert code == 0
    assert len(first["signers"]) == 2
    assert first["dropped"] == []
    code, second = cli("oidc", "rotate-keys")
    assert set(second["retired"]) == set(first["signers"])
    assert cli("oidc", "purge") == (0, {"deleted": 0})


def test_the_cli_refuses_a_bad_redirect_uri(database: str) -> None:
    code, refused = cli(
        "oidc", "add-client", "--name", "X", "--redirect-uri", "http://x.example/cb"
    )
    assert code == 1
    assert refused["error"]["code"] == "invalid_input"
    assert "loopback" in refused["error"]["message"]


async def test_the_site_api_registers_clients(site: Site) -> None:
    async with site.client() as http:
        body = {"name": "Wiki", "redirect_uris": [CALLBACK]}
        assert (await http.post("/api/site/oidc/clients", json=body)).status_code == 401
        made = await http.post("/api/site/oidc/clients", json=body, headers=SITE_AUTH)
        assert made.status_code == 201
        assert made.json()["token_endpoint_auth_method"] == "client_secret_basic"
        assert made.json()["client_secret"]
        public = await http.post(
            "/api/site/oidc/clients", json={**body, "public": True}, headers=SITE_AUTH
        )
        assert public.status_code == 201
        assert "client_secret" not in public.json()
        assert public.json()["token_endpoint_auth_method"] == "none"
        bad = await http.post(
            "/api/site/oidc/clients",
            json={**body, "redirect_uris": ["https://wiki.example/cb#frag"]},
            headers=SITE_AUTH,
        )
        assert bad.status_code == 422
        assert bad.json()["error"]["field"] == "redirect_uris"
        unknown = await http.post(
            "/api/site/oidc/clients", json={**body, "scopes": ["email"]}, headers=SITE_AUTH
        )
        assert unknown.status_code == 422
        listed = await http.get("/api/site/oidc/clients", headers=SITE_AUTH)
        assert [c["name"] for c in listed.json()] == ["Wiki", "Wiki"]
        assert all("client_secret" not in c for c in listed.json())


@pytest.mark.parametrize(
    ("uri", "public"),
    [
        ("https://forum.example/cb", False),
        ("https://forum.example:8443/cb?tenant=1", False),
        ("http://127.0.0.1:8080/cb", False),
        ("http://[::1]/cb", False),
        ("http://localhost/cb", False),
        ("com.example.app:/oauth", True),
    ],
)
def test_redirect_uris_accepted(uri: str, public: bool) -> None:
    assert checked_redirect_uri(uri, public=public) == uri


@pytest.mark.parametrize(
    ("uri", "public"),
    [
        ("http://forum.example/cb", False),
        ("https://forum.example/cb#x", False),
        ("https://user:pw@forum.example/cb", False),
        ("https:///cb", False),
        ("javascript:alert(1)", True),
        ("data:text/html,hi", True),
        ("com.example.app:/oauth", False),
        ("/relative", False),
        ("https://forum.example/a b", False),
        ("https://forum.example:99999/cb", False),
        ("", False),
        ("https://forum.example/" + "a" * 1000, False),
    ],
)
def test_redirect_uris_refused(uri: str, public: bool) -> None:
    with pytest.raises(InvalidInput):
        checked_redirect_uri(uri, public=public)


def test_rotating_keys_keeps_the_old_ones_for_the_id_tokens_lifetime(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The CLI's provider has the service's lifetimes: a day-long ID token's key stays
    # published a day (and the margin), not the default hour.
    monkeypatch.setenv("TGPASS_OIDC_PROVIDER_ID_TOKEN_TTL", str(24 * 3600))
    started = time.time()
    cli("oidc", "rotate-keys")
    code, rotated = cli("oidc", "rotate-keys")
    assert code == 0
    published = rotated["retired_published_until"] - started
    assert 24 * 3600 <= published <= 24 * 3600 + 600 + 60
