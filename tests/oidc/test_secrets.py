"""Secrets stay secret: client secrets, codes, access and refresh tokens are kept only as
their SHA-256, and none of them (nor an ID token, nor a password) reaches any log record, at
DEBUG, over a whole sign-in, refresh, reuse, revocation and logout."""

from __future__ import annotations

import logging
import secrets

import pytest
from sqlalchemy import select

from tgpass.service.oidc.provider.store import secret_hash
from tgpass.store.sql.tables import oidc_clients, oidc_codes, oidc_keys, oidc_tokens

from .conftest import CALLBACK, SITE_AUTH, Site, auth_url, exchange, refresh, userinfo


async def test_no_secret_reaches_the_logs_or_rests_in_the_clear(
    served: Site, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    password = "correct horse battery"
    async with served.client() as http:
        registered = await http.post(
            "/api/site/oidc/clients",
            headers=SITE_AUTH,
            json={
                "name": "Forum",
                "redirect_uris": [CALLBACK],
                "post_logout_redirect_uris": ["http://127.0.0.1:9/bye"],
            },
        )
    client_id, secret = registered.json()["client_id"], registered.json()["client_secret"]
    verifier = secrets.token_urlsafe(48)
    async with served.browser() as browser:
        await browser.register("carol", password)
        back = await browser.code_for(auth_url(client_id, scope="openid site", verifier=verifier))
        async with served.client() as http:
            first = (
                await exchange(http, client_id, secret, back["code"], verifier=verifier)
            ).json()
            assert (await userinfo(http, first["access_token"])).status_code == 200
            second = (await refresh(http, client_id, secret, first["refresh_token"])).json()
            assert (
                await refresh(http, client_id, secret, first["refresh_token"])
            ).status_code == 400
            replay = await exchange(http, client_id, secret, back["code"], verifier=verifier)
            assert replay.status_code == 400
            await http.post(
                "/oidc/revoke", data={"token": second["refresh_token"]}, auth=(client_id, secret)
            )
        logout = await browser.http.get(
            "/oidc/logout",
            params={
                "id_token_hint": first["id_token"],
                "post_logout_redirect_uri": "http://127.0.0.1:9/bye",
            },
        )
        assert logout.status_code == 303
    kept = {
        "client secret": secret,
        "code": back["code"],
        "access token": first["access_token"],
        "refresh token": first["refresh_token"],
        "rotated access token": second["access_token"],
        "rotated refresh token": second["refresh_token"],
        "id token": first["id_token"],
        "code verifier": verifier,
    }
    # (the test's own user agents too: httpcore would log the redirects they get at DEBUG)
    logged = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert "POST /oidc/token" in logged  # the access log was on
    assert "grant revoked" in logged  # and the provider said what happened
    for name, value in {**kept, "password": password}.items():
        assert value not in logged, f"the {name} was logged"

    async with served.services.engine.connect() as db:
        rows = [
            str(tuple(row))
            for table in (oidc_clients, oidc_codes, oidc_tokens)
            for row in await db.execute(select(table))
        ]
        keys = (await db.execute(select(oidc_keys))).all()
    at_rest = "\n".join(rows)
    for name, value in kept.items():
        if name != "id token":  # an ID token is not kept at all
            assert value not in at_rest, f"the {name} is stored in the clear"
    for name in ("client secret", "code", "access token", "refresh token"):
        assert secret_hash(kept[name]) in at_rest
    assert keys  # the signing keys are the one secret kept whole (private JWKs)
