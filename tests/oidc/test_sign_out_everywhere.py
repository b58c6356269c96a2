"""Signing out everywhere signs the account out of the other applications too: every grant
it gave them is revoked (access tokens answer 401 at userinfo, refresh tokens are refused,
a code not yet traded buys nothing), by the JSON API and by the account page's form alike.
Other accounts' grants are left alone, and a new sign-in gives working tokens again."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from .conftest import Browser, Site, auth_url, exchange, refresh, userinfo


async def tokens_for(
    site: Site, browser: Browser, client: tuple[str, str | None]
) -> dict[str, Any]:
    client_id, secret = client
    verifier = secrets.token_urlsafe(48)
    back = await browser.code_for(auth_url(client_id, scope="openid site", verifier=verifier))
    async with site.client() as http:
        answer = await exchange(http, client_id, secret, back["code"], verifier=verifier)
    assert answer.status_code == 200, answer.text
    tokens: dict[str, Any] = answer.json()
    return tokens


async def works(site: Site, client: tuple[str, str | None], tokens: dict[str, Any]) -> bool:
    """Whether the access token reads userinfo (the refresh token is not spent to find out)."""
    async with site.client() as http:
        return (await userinfo(http, tokens["access_token"])).status_code == 200


async def refused(site: Site, client: tuple[str, str | None], tokens: dict[str, Any]) -> None:
    async with site.client() as http:
        info = await userinfo(http, tokens["access_token"])
        assert info.status_code == 401
        assert 'error="invalid_token"' in info.headers["www-authenticate"]
        refreshed = await refresh(http, client[0], client[1], tokens["refresh_token"])
        assert refreshed.status_code == 400
        assert refreshed.json()["error"] == "invalid_grant"


@pytest.mark.parametrize("by", ["api", "form"])
async def test_signing_out_everywhere_revokes_the_accounts_grants(site: Site, by: str) -> None:
    forum, wiki = await site.add_client(name="Forum"), await site.add_client(name="Wiki")
    async with site.browser() as ann, site.browser() as bob:
        await ann.register("ann")
        await bob.sign_in_with_telegram()
        ann_forum = await tokens_for(site, ann, forum)
        ann_wiki = await tokens_for(site, ann, wiki)
        bob_forum = await tokens_for(site, bob, forum)
        pending = await ann.code_for(auth_url(forum[0]))  # a code not yet traded
        assert await works(site, forum, ann_forum)

        if by == "api":
            done = await ann.http.post(
                "/api/auth/logout-everywhere", headers={"X-CSRF-Token": ann.csrf}
            )
            assert done.status_code == 200, done.text
        else:
            done = await ann.http.post("/logout", data={"csrf_token": ann.csrf, "everywhere": "1"})
            assert done.status_code == 303
        assert (await ann.http.get("/api/me")).status_code == 401

        await refused(site, forum, ann_forum)
        await refused(site, wiki, ann_wiki)
        async with site.client() as http:
            late = await exchange(http, forum[0], forum[1], pending["code"])
        assert late.status_code == 400
        assert late.json()["error"] == "invalid_grant"
        assert await works(site, forum, bob_forum)  # another account's grant stands

        back = await ann.http.post(
            "/api/auth/login", json={"username": "ann", "password": "correct horse"}
        )
        assert back.status_code == 200
        again = await tokens_for(site, ann, forum)
        assert await works(site, forum, again)


async def test_signing_out_one_session_leaves_the_grants(site: Site) -> None:
    forum = await site.add_client()
    async with site.browser() as ann:
        await ann.sign_in_with_telegram()
        tokens = await tokens_for(site, ann, forum)
        done = await ann.http.post("/api/auth/logout", headers={"X-CSRF-Token": ann.csrf})
        assert done.status_code == 200
    assert await works(site, forum, tokens)
