"""Independent clients sign in end to end over real HTTP: Authlib's (PKCE, ES256 ID tokens,
refresh) and pyoidc's (discovery, client_secret_basic, RS256 ID tokens verified by pyoidc
itself). The user signs in to tgpass first (with Telegram, or a password) and carries the
session cookie to the authorization endpoint."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any
from urllib.parse import urlsplit

from authlib.integrations.httpx_client import AsyncOAuth2Client
from authlib.oidc.core.util import create_half_hash
from joserfc import jwt
from joserfc.jwk import KeySet
from oic.oauth2.message import ErrorResponse
from oic.oic import Client
from oic.oic.message import AuthorizationResponse, OpenIDSchema, RegistrationResponse
from oic.utils.authn.client import CLIENT_AUTHN_METHOD

from .conftest import CALLBACK, SITE_AUTH, Site


async def verified_id_token(site: Site, id_token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The ID token's header and claims, its signature checked against the served JWKS."""
    async with site.client() as http:
        keys = KeySet.import_key_set((await http.get("/oidc/jwks")).json())
    found = jwt.decode(id_token, keys, algorithms=["RS256", "ES256"])
    return dict(found.header), dict(found.claims)


async def test_authlibs_client_signs_in_with_pkce_and_refreshes(served: Site) -> None:
    async with served.client() as http:
        registered = await http.post(
            "/api/site/oidc/clients",
            headers=SITE_AUTH,
            json={
                "name": "Forum",
                "redirect_uris": [CALLBACK],
                "id_token_signed_response_alg": "ES256",
            },
        )
        assert registered.status_code == 201, registered.text
        meta = (await http.get("/.well-known/openid-configuration")).json()
    client_id, secret = registered.json()["client_id"], registered.json()["client_secret"]
    async with (
        served.browser() as browser,
        AsyncOAuth2Client(
            client_id,
            secret,
            scope="openid profile telegram site",
            redirect_uri=CALLBACK,
            code_challenge_method="S256",
        ) as rp,
    ):
        await browser.sign_in_with_telegram(telegram_id=5_000_000_042)
        verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(12)
        url, state = rp.create_authorization_url(
            meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce
        )
        consent = await browser.authorize(url, decision=None)
        assert consent.status_code == 200
        assert "Forum" in consent.text
        assert consent.headers["x-frame-options"] == "DENY"
        back = await browser.authorize(url)
        assert back.status_code == 303
        assert f"state={state}" in urlsplit(back.headers["location"]).query
        tokens = await rp.fetch_token(
            meta["token_endpoint"],
            authorization_response=back.headers["location"],
            code_verifier=verifier,
        )
        assert tokens["token_type"] == "Bearer"
        assert tokens["scope"] == "openid profile telegram site"

        header, claims = await verified_id_token(served, tokens["id_token"])
        assert header["alg"] == "ES256"
        assert claims["iss"] == served.issuer == meta["issuer"]
        assert claims["aud"] == client_id
        assert claims["nonce"] == nonce
        assert claims["at_hash"] == create_half_hash(tokens["access_token"], "ES256").decode()
        assert claims["telegram_id"] == 5_000_000_042

        info = (await rp.get(meta["userinfo_endpoint"])).json()
        assert info["sub"] == claims["sub"]
        assert info["sub"] != str(browser.user["id"])
        assert "5000000042" not in info["sub"]
        assert info["name"] == "Зоя Ivanova"
        assert info["picture"] == "https://t.me/i/userpic/320/zoya.jpg"
        assert info["telegram_id"] == 5_000_000_042
        assert info["roles"] == ["member"]
        assert info["karma"] == 0

        refreshed = await rp.refresh_token(meta["token_endpoint"])
        assert refreshed["refresh_token"] != tokens["refresh_token"]
        again = (await rp.get(meta["userinfo_endpoint"])).json()
        assert again["sub"] == info["sub"]
        async with served.client() as http:
            stale = await http.post(
                meta["token_endpoint"],
                data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
                auth=(client_id, secret),
            )
        assert stale.status_code == 400
        assert stale.json()["error"] == "invalid_grant"


def _pyoidc_sign_in_start(issuer: str, client_id: str, secret: str) -> tuple[Client, str, str]:
    rp = Client(client_authn_method=CLIENT_AUTHN_METHOD)
    rp.provider_config(issuer)  # discovery, and the JWKS into pyoidc's key jar
    rp.store_registration_info(
        RegistrationResponse(client_id=client_id, client_secret=secret, redirect_uris=[CALLBACK])
    )
    state, nonce = secrets.token_urlsafe(12), secrets.token_urlsafe(12)
    request = rp.construct_AuthorizationRequest(
        request_args={
            "client_id": client_id,
            "response_type": "code",
            "scope": ["openid", "profile", "site"],
            "nonce": nonce,
            "redirect_uri": CALLBACK,
            "state": state,
        }
    )
    return rp, request.request(rp.authorization_endpoint), nonce


def _pyoidc_sign_in_finish(rp: Client, callback: str) -> tuple[Any, Any]:
    answer = rp.parse_response(
        AuthorizationResponse, info=urlsplit(callback).query, sformat="urlencoded"
    )
    assert not isinstance(answer, ErrorResponse), answer
    tokens = rp.do_access_token_request(
        state=answer["state"],
        request_args={"code": answer["code"]},
        authn_method="client_secret_basic",
    )  # verifies the ID token: signature by the served keys, iss, aud, nonce, at_hash
    info = rp.do_user_info_request(state=answer["state"])
    return tokens, info


async def test_pyoidc_signs_in_by_discovery_with_a_client_secret(served: Site) -> None:
    client_id, secret = await served.add_client(name="Wiki")
    assert secret is not None
    async with served.browser() as browser:
        await browser.register("bob")
        rp, url, nonce = await asyncio.to_thread(
            _pyoidc_sign_in_start, served.issuer, client_id, secret
        )
        assert rp.token_endpoint == f"{served.issuer}/oidc/token"
        back = await browser.authorize(url)
        assert back.status_code == 303
        tokens, info = await asyncio.to_thread(_pyoidc_sign_in_finish, rp, back.headers["location"])
    id_token = tokens["id_token"]
    assert id_token["iss"] == served.issuer
    assert id_token["aud"] == [client_id]
    assert id_token["nonce"] == nonce
    assert id_token.jws_header["alg"] == "RS256"
    assert isinstance(info, OpenIDSchema)
    assert info["sub"] == id_token["sub"]
    assert info["preferred_username"] == "bob"
    assert info["roles"] == ["member"]
    assert "telegram_id" not in info
