"""Signing keys rotate with overlap: a new key signs at once, the old one stays in the JWKS
until the last ID token it signed has expired, then leaves it, and the store."""

from __future__ import annotations

from typing import Any

import pytest
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from .conftest import Browser, Site, auth_url, exchange


async def _jwks(site: Site) -> dict[str, Any]:
    async with site.client() as http:
        found: dict[str, Any] = (await http.get("/oidc/jwks")).json()
        return found


async def _id_token(site: Site, browser: Browser, client_id: str, secret: str | None) -> str:
    back = await browser.code_for(auth_url(client_id))
    async with site.client() as http:
        answer = await exchange(http, client_id, secret, back["code"])
    token: str = answer.json()["id_token"]
    return token


async def test_a_token_signed_before_rotation_verifies_until_its_key_is_dropped(
    site: Site,
) -> None:
    client_id, secret = await site.add_client()
    async with site.browser() as browser:
        await browser.sign_in_with_telegram()
        before = await _id_token(site, browser, client_id, secret)
        rotation = await site.provider.rotate_keys()
        after = await _id_token(site, browser, client_id, secret)
    old_kid = jwt.decode(before, KeySet.import_key_set(await _jwks(site))).header["kid"]
    assert old_kid in rotation.retired
    published = await _jwks(site)
    assert len(published["keys"]) == 4  # new and retired, RS256 and ES256
    assert jwt.decode(before, KeySet.import_key_set(published)).claims["aud"] == client_id
    new_kid = jwt.decode(after, KeySet.import_key_set(published)).header["kid"]
    assert new_kid in rotation.signers
    assert new_kid != old_kid

    overlap = site.provider.lifetimes.key_overlap
    assert overlap > site.provider.lifetimes.id_token
    site.clock.offset = overlap - 5
    assert old_kid in {k["kid"] for k in (await _jwks(site))["keys"]}
    site.clock.offset = overlap + 1
    late = await _jwks(site)
    assert {k["kid"] for k in late["keys"]} == set(rotation.signers)
    with pytest.raises(JoseError):
        jwt.decode(before, KeySet.import_key_set(late))
    assert jwt.decode(after, KeySet.import_key_set(late)).header["kid"] == new_kid

    again = await site.provider.rotate_keys()
    assert old_kid in again.dropped
    assert old_kid not in {k.kid for k in await site.provider.store.signing_keys()}
