"""A deleted account takes its sessions with it: the browser it was signed in on never becomes
the next account's, on SQLite (which, without AUTOINCREMENT, hands a deleted highest id to the
next row) and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.harness.served import SITE_AUTH, served, widget_login
from tests.harness.site import BACKENDS
from tests.oidc.conftest import CALLBACK
from tgpass.domain.accounts import TelegramProfile

ISSUER = "http://127.0.0.1:8000"
HER_TELEGRAM = 5_000_000_042


@pytest.mark.parametrize("kind", BACKENDS)
async def test_a_deleted_accounts_browser_never_becomes_the_next_accounts(
    kind: str, tmp_path: Path
) -> None:
    async with served(kind, tmp_path, public_url=ISSUER) as site:
        made = await site.web.post(
            "/api/site/oidc/clients",
            json={"name": "Forum", "redirect_uris": [CALLBACK]},
            headers=SITE_AUTH,
        )
        client_id = made.json()["client_id"]
        # she is the site's user "ann", linked to her Telegram account, signed in with it
        upserted = await site.web.put(
            "/api/site/users/ann", json={"display_name": "Ann"}, headers=SITE_AUTH
        )
        her_id = upserted.json()["user"]["id"]
        profile = TelegramProfile(telegram_id=HER_TELEGRAM, first_name="Ann")
        await site.services.accounts.link_telegram(her_id, profile)
        async with site.client() as her_browser:
            signed_in = await her_browser.post(
                "/api/auth/telegram/widget",
                json=widget_login({"id": HER_TELEGRAM, "first_name": "Ann"}),
            )
            assert signed_in.json()["user"]["id"] == her_id
            assert (await her_browser.get("/api/me")).status_code == 200

            deleted = await site.web.delete("/api/site/users/ann", headers=SITE_AUTH)
            assert deleted.status_code == 200
            async with site.client("127.0.0.2") as newcomers_browser:
                registered = await newcomers_browser.post(
                    "/api/auth/register",
                    json={"username": "newcomer", "password": "correct horse"},
                )
                assert registered.status_code == 201
                assert registered.json()["user"]["id"] != her_id  # ids are never given again

            assert (await her_browser.get("/api/me")).status_code == 401
            query = urlencode(
                {
                    "response_type": "code",
                    "client_id": client_id,
                    "redirect_uri": CALLBACK,
                    "scope": "openid",
                    "state": "st-1",
                    "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
                    "code_challenge_method": "S256",
                }
            )
            consent = await her_browser.get(f"/oidc/authorize?{query}")
            # no consent page "signed in as" anyone: she is sent to sign in
            assert consent.status_code == 303, consent.text
            assert consent.headers["location"].startswith("/login")


async def test_a_session_names_its_account_not_only_its_row_id(tmp_path: Path) -> None:
    # Even were an id given again, the session would not follow it: it also names when its
    # account was made.
    from dataclasses import replace

    async with served("sqlite+memory", tmp_path) as site:
        sessions = site.services.sessions
        user = await site.services.accounts.create_user(display_name="Ann")
        token, _ = await sessions.start(user, "password")
        assert await sessions.resolve(token) is not None
        other = replace(user, created_at=user.created_at.replace(year=2001))
        impostor, _ = await sessions.start(other, "password")
        assert await sessions.resolve(impostor) is None  # and it is deleted, not kept
        assert await sessions.resolve(impostor) is None
