"""The provider's rules, request by request: PKCE, single-use codes, exact redirect URIs,
refresh token rotation, remembered consent, scopes that gate claims, sign-in first, prompt,
revocation, logout, and bad input answered with typed errors (never a 500)."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from .conftest import (
    CALLBACK,
    Browser,
    Site,
    auth_url,
    exchange,
    make_site,
    refresh,
    userinfo,
)


def query_of(answer: httpx.Response) -> dict[str, str]:
    location = answer.headers["location"]
    assert location.startswith(CALLBACK), location
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


async def signed_in_tokens(
    site: Site, browser: Browser, *, scope: str = "openid", public: bool = False
) -> tuple[str, str | None, dict[str, Any]]:
    client_id, secret = await site.add_client(public=public)
    verifier = secrets.token_urlsafe(48)
    back = await browser.code_for(auth_url(client_id, scope=scope, verifier=verifier))
    async with site.client() as http:
        answer = await exchange(http, client_id, secret, back["code"], verifier=verifier)
    assert answer.status_code == 200, answer.text
    return client_id, secret, answer.json()


# -- PKCE ---------------------------------------------------------------------------------------


async def test_a_public_client_must_use_pkce_s256(site: Site) -> None:
    client_id, secret = await site.add_client(public=True)
    assert secret is None
    async with site.browser() as browser:
        await browser.sign_in_with_telegram()
        refused = query_of(await browser.authorize(auth_url(client_id)))
        assert refused["error"] == "invalid_request"
        assert "PKCE" in refused["error_description"]
        assert refused["state"] == "st-1"
        plain = auth_url(client_id, code_challenge="p" * 43, code_challenge_method="plain")
        assert query_of(await browser.authorize(plain))["error"] == "invalid_request"
        verifier = secrets.token_urlsafe(48)
        granted = await browser.code_for(auth_url(client_id, verifier=verifier))
    async with site.client() as http:
        missing = await exchange(http, client_id, None, granted["code"])
        assert missing.status_code == 400
        assert missing.json()["error"] == "invalid_request"
        wrong = await exchange(http, client_id, None, granted["code"], verifier="w" * 43)
        assert wrong.json()["error"] == "invalid_grant"
        ok = await exchange(http, client_id, None, granted["code"], verifier=verifier)
        assert ok.status_code == 200, ok.text
        assert ok.headers["cache-control"] == "no-store"
        assert "refresh_token" in ok.json()
        assert (await userinfo(http, ok.json()["access_token"])).status_code == 200


async def test_a_confidential_client_must_authenticate(site: Site) -> None:
    async with site.browser() as browser:
        await browser.sign_in_with_telegram()
        client_id, secret = await site.add_client()
        back = await browser.code_for(auth_url(client_id))
    async with site.client() as http:
        as_public = await exchange(http, client_id, None, back["code"])
        assert as_public.status_code == 401
        assert as_public.json()["error"] == "invalid_client"
        bad_secret = await exchange(http, client_id, "wrong", back["code"])
        assert bad_secret.status_code == 401
        assert bad_secret.headers["www-authenticate"].startswith("Basic")
        by_post = await http.post(
            "/oidc/token",
            data={
                "grant_type": "authorization_code",
                "code": back["code"],
                "redirect_uri": CALLBACK,
                "client_id": client_id,
                "client_secret": secret,
            },
        )
        assert by_post.status_code == 200, by_post.text


# -- codes ------------------------------------------------------------------------------------


async def test_a_code_used_twice_is_refused_and_its_tokens_revoked(site: Site) -> None:
    async with site.browser() as browser:
        await browser.sign_in_with_telegram()
        client_id, secret = await site.add_client()
        back = await browser.code_for(auth_url(client_id, scope="openid profile"))
    async with site.client() as http:
        first = await exchange(http, client_id, secret, back["code"])
        assert first.status_code == 200
        tokens = first.json()
        assert (await userinfo(http, tokens["access_token"])).status_code == 200
        again = await exchange(http, client_id, secret, back["code"])
        assert again.status_code == 400
        assert again.json()["error"] == "invalid_grant"
        revoked = await userinfo(http, tokens["access_token"])
        assert revoked.status_code == 401
        assert 'error="invalid_token"' in revoked.headers["www-authenticate"]
        assert (await refresh(http, client_id, secret, tokens["refresh_token"])).status_code == 400


async def test_a_code_is_bound_to_its_client_and_redirect_uri(site: Site) -> None:
    async with site.browser() as browser:
        await browser.sign_in_with_telegram()
        client_id, secret = await site.add_client(redirect_uris=[CALLBACK, f"{CALLBACK}2"])
        other_id, other_secret = await site.add_client(name="Other")
        back = await browser.code_for(auth_url(client_id))
    async with site.client() as http:
        stolen = await exchange(http, other_id, other_secret, back["code"])
        assert stolen.json()["error"] == "invalid_grant"
        elsewhere = await exchange(
            http, client_id, secret, back["code"], redirect_uri=f"{CALLBACK}2"
        )
        assert elsewhere.json()["error"] == "invalid_grant"
        # neither burned it: the code still works for its client, once
        assert (await exchange(http, client_id, secret, back["code"])).status_code == 200


async def test_an_expired_code_is_refused(site: Site) -> None:
    async with site.browser() as browser:
        await browser.sign_in_with_telegram()
        client_id, secret = await site.add_client()
        back = await browser.code_for(auth_url(client_id))
    site.clock.offset = site.provider.lifetimes.code + 1
    async with site.client() as http:
        late = await exchange(http, client_id, secret, back["code"])
    assert late.json()["error"] == "invalid_grant"


# -- redirect URIs ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"redirect_uri": f"{CALLBACK}/other"},
        {"redirect_uri": "http://127.0.0.1:9/CALLBACK"},
        {"redirect_uri": f"{CALLBACK}?x=1"},
        {"redirect_uri": "https://evil.example/callback"},
        {"client_id": "no-such-client"},
        {"redirect_uri": ""},
    ],
)
async def test_an_untrusted_redirect_gets_an_error_page_not_a_redirect(
    site: Site, params: dict[str, str]
) -> None:
    client_id, _ = await site.add_client()
    async with site.browser() as browser:
        await browser.sign_in_with_telegram()
        url = auth_url(params.pop("client_id", client_id), **params)
        answer = await browser.authorize(url)
    assert answer.status_code == 400
    assert "location" not in answer.headers
    assert answer.headers["content-type"].startswith("text/html")
    assert 'data-testid="oidc-error"' in answer.text


async def test_errors_go_back_to_a_trusted_redirect_uri_with_the_state(site: Site) -> None:
    client_id, _ = await site.add_client()
    async with site.browser() as browser:
        await browser.sign_in_with_telegram()
        unsupported = query_of(await browser.authorize(auth_url(client_id, response_type="token")))
        assert unsupported == {
            "error": "unsupported_response_type",
            "error_description": unsupported["error_description"],
            "state": "st-1",
            "iss": site.issuer,  # RFC 9207: errors name the issuer too
        }
        long_nonce = query_of(await browser.authorize(auth_url(client_id, nonce="n" * 256)))
        assert long_nonce["error"] == "invalid_request"
        bad_max_age = query_of(await browser.authorize(auth_url(client_id, max_age="soon")))
        assert bad_max_age["error"] == "invalid_request"
        twice = await browser.authorize(f"{auth_url(client_id)}&scope=openid+site")
        assert twice.status_code == 400  # a repeated parameter: no redirect URI is trusted
        assert "location" not in twice.headers


# -- refresh tokens ---------------------------------------------------------------------------


async def test_refresh_tokens_rotate_and_a_reused_one_revokes_the_grant(site: Site) -> None:
    async with site.browser() as browser:
        await browser.sign_in_with_telegram()
        client_id, secret, tokens = await signed_in_tokens(site, browser, scope="openid site")
    async with site.client() as http:
        first = await refresh(http, client_id, secret, tokens["refresh_token"])
        assert first.status_code == 200, first.text
        rotated = first.json()
        assert rotated["refresh_token"] != tokens["refresh_token"]
        assert rotated["scope"] == "openid site"
        assert (await userinfo(http, rotated["access_token"])).json()["roles"] == ["member"]
        reused = await refresh(http, client_id, secret, tokens["refresh_token"])
        assert reused.status_code == 400
        assert reused.json()["error"] == "invalid_grant"
        # the reuse reveals a leak: everything of that grant is revoked
        assert (await userinfo(http, rotated["access_token"])).status_code == 401
        assert (await refresh(http, client_id, secret, rotated["refresh_token"])).status_code == 400


async def test_a_refresh_may_narrow_the_scope_but_not_widen_it(site: Site) -> None:
    async with site.browser() as browser:
        await browser.sign_in_with_telegram()
        client_id, secret, tokens = await signed_in_tokens(site, browser, scope="openid site")
    async with site.client() as http:
        wider = await http.post(
            "/oidc/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": tokens["refresh_token"],
                "scope": "openid site telegram",
            },
            auth=(client_id, secret or ""),
        )
        assert wider.json()["error"] == "invalid_scope"
        narrower = await http.post(
            "/oidc/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": tokens["refresh_token"],
                "scope": "openid",
            },
            auth=(client_id, secret or ""),
        )
        assert narrower.status_code == 200, narrower.text
        assert set((await userinfo(http, narrower.json()["access_token"])).json()) == {"sub"}


# -- consent ----------------------------------------------------------------------------------


async def test_consent_is_asked_once_per_client_and_again_for_more(site: Site) -> None:
    client_id, _ = await site.add_client()
    other_id, _ = await site.add_client(name="Grafana")
    async with site.browser() as browser:
        await browser.sign_in_with_telegram()
        page = await browser.authorize(auth_url(client_id, scope="openid site"), decision=None)
        assert page.status_code == 200
        assert 'data-scope="site"' in page.text
        assert "your roles and karma" in page.text
        await browser.code_for(auth_url(client_id, scope="openid site"))
        remembered = await browser.authorize(auth_url(client_id, scope="openid"), decision=None)
        assert remembered.status_code == 302
        assert "code" in query_of(remembered)
        more = await browser.authorize(auth_url(client_id, scope="openid chats"), decision=None)
        assert more.status_code == 200
        asked = await browser.authorize(
            auth_url(client_id, scope="openid", prompt="consent"), decision=None
        )
        assert asked.status_code == 200
        other = await browser.authorize(auth_url(other_id, scope="openid"), decision=None)
        assert other.status_code == 200
        denied = query_of(await browser.authorize(auth_url(other_id), decision="deny"))
        assert denied["error"] == "access_denied"
        assert denied["state"] == "st-1"
        still = await browser.authorize(auth_url(other_id, scope="openid"), decision=None)
        assert still.status_code == 200  # a no is not remembered as a yes


async def test_the_consent_form_needs_the_sessions_token(site: Site) -> None:
    client_id, _ = await site.add_client()
    async with site.browser() as browser:
        await browser.sign_in_with_telegram()
        url = auth_url(client_id)
        forged = await browser.http.post(
            url.replace("/oidc/authorize", "/oidc/authorize/consent"),
            data={"csrf_token": "guess", "decision": "allow"},
        )
    assert forged.status_code == 403
    assert "location" not in forged.headers
    assert "csrf_failed" in forged.text


# -- claims by scope --------------------------------------------------------------------------


CHATS = [{"chat_id": -1001234, "title": "Web masters"}]


async def _chats_of(user_id: int) -> list[dict[str, Any]]:
    return CHATS


@pytest.mark.parametrize(
    ("scope", "claims"),
    [
        ("openid", {"sub"}),
        ("openid profile", {"sub", "name", "preferred_username", "picture"}),
        ("openid telegram", {"sub", "telegram_id", "telegram_username"}),
        ("openid site", {"sub", "roles", "karma"}),
        ("openid chats", {"sub", "chats"}),
        ("openid email phone", {"sub"}),  # unknown scopes ignored; no phone shared
    ],
)
async def test_scopes_gate_the_claims(tmp_path: Path, scope: str, claims: set[str]) -> None:
    site = await make_site(tmp_path, chats_of=_chats_of)
    try:
        async with site.browser() as browser:
            await browser.sign_in_with_telegram()
            _, _, tokens = await signed_in_tokens(site, browser, scope=scope)
        async with site.client() as http:
            info = (await userinfo(http, tokens["access_token"])).json()
    finally:
        await site.services.close()
    assert set(info) == claims
    if "chats" in claims:
        assert info["chats"] == CHATS


async def test_a_client_gets_only_the_scopes_it_was_registered_for(site: Site) -> None:
    client_id, secret = await site.add_client(scopes=["openid", "profile"])
    async with site.browser() as browser:
        await browser.sign_in_with_telegram()
        back = await browser.code_for(auth_url(client_id, scope="openid site profile"))
    async with site.client() as http:
        tokens = (await exchange(http, client_id, secret, back["code"])).json()
        assert tokens["scope"] == "openid profile"
        info = (await userinfo(http, tokens["access_token"])).json()
    assert "roles" not in info
    assert info["name"] == "Зоя Ivanova"


# -- signing in first -------------------------------------------------------------------------


async def test_a_visitor_signs_in_first_and_comes_back(site: Site) -> None:
    client_id, _ = await site.add_client()
    url = auth_url(client_id, scope="openid site", prompt="login consent")
    async with site.browser() as browser:
        answer = await browser.http.get(url)
        assert answer.status_code == 303
        login = urlsplit(answer.headers["location"])
        assert login.path == "/login"
        back = parse_qs(login.query)["next"][0]
        assert back.startswith("/oidc/authorize?")
        assert parse_qs(urlsplit(back).query)["prompt"] == ["consent"]  # login is answered
        assert parse_qs(urlsplit(back).query)["scope"] == ["openid site"]
        await browser.register()  # what the login page does, then it returns to ``next``
        consent = await browser.authorize(back, decision=None)
        assert consent.status_code == 200
        assert "consent-allow" in consent.text


async def test_prompt_none_never_shows_a_page(site: Site) -> None:
    client_id, _ = await site.add_client()
    async with site.browser() as browser:
        visitor = query_of(await browser.http.get(auth_url(client_id, prompt="none")))
        assert visitor["error"] == "login_required"
        assert visitor["iss"] == site.issuer
        await browser.sign_in_with_telegram()
        unasked = query_of(await browser.http.get(auth_url(client_id, prompt="none")))
        assert unasked["error"] == "consent_required"
        assert unasked["iss"] == site.issuer
        await browser.code_for(auth_url(client_id))
        silent = await browser.http.get(auth_url(client_id, prompt="none"))
        assert "code" in query_of(silent)
        site.clock.offset = 120
        stale = query_of(await browser.http.get(auth_url(client_id, prompt="none", max_age="60")))
        assert stale["error"] == "login_required"
        again = await browser.http.get(auth_url(client_id, max_age="60"))
        assert again.status_code == 303
        assert urlsplit(again.headers["location"]).path == "/login"


async def test_the_id_token_says_when_and_for_whom(site: Site) -> None:
    from joserfc import jwt
    from joserfc.jwk import KeySet

    async with site.browser() as browser:
        await browser.sign_in_with_telegram()
        client_id, secret = await site.add_client()
        back = await browser.code_for(auth_url(client_id, nonce="nonce-1"))
    async with site.client() as http:
        tokens = (await exchange(http, client_id, secret, back["code"])).json()
        keys = KeySet.import_key_set((await http.get("/oidc/jwks")).json())
    claims = jwt.decode(tokens["id_token"], keys).claims
    assert claims["nonce"] == "nonce-1"
    assert claims["exp"] - claims["iat"] == site.provider.lifetimes.id_token
    assert claims["auth_time"] <= claims["iat"]
    assert set(claims) == {"iss", "aud", "iat", "exp", "nonce", "auth_time", "at_hash", "sub"}


# -- revocation -------------------------------------------------------------------------------


async def test_revoking_a_refresh_token_revokes_the_whole_grant(site: Site) -> None:
    async with site.browser() as browser:
        await browser.sign_in_with_telegram()
        client_id, secret, tokens = await signed_in_tokens(site, browser)
    async with site.client() as http:
        unknown = await http.post(
            "/oidc/revoke", data={"token": "nope"}, auth=(client_id, secret or "")
        )
        assert unknown.status_code == 200  # RFC 7009 §2.2
        anonymous = await http.post("/oidc/revoke", data={"token": tokens["refresh_token"]})
        assert anonymous.status_code == 401
        done = await http.post(
            "/oidc/revoke",
            data={"token": tokens["refresh_token"], "token_type_hint": "refresh_token"},
            auth=(client_id, secret or ""),
        )
        assert done.status_code == 200
        assert (await userinfo(http, tokens["access_token"])).status_code == 401
        assert (await refresh(http, client_id, secret, tokens["refresh_token"])).status_code == 400


async def test_a_public_client_revokes_an_access_token(site: Site) -> None:
    async with site.browser() as browser:
        await browser.sign_in_with_telegram()
        client_id, _, tokens = await signed_in_tokens(site, browser, public=True)
    async with site.client() as http:
        done = await http.post(
            "/oidc/revoke", data={"token": tokens["access_token"], "client_id": client_id}
        )
        assert done.status_code == 200
        assert (await userinfo(http, tokens["access_token"])).status_code == 401
        assert (await refresh(http, client_id, None, tokens["refresh_token"])).status_code == 200


# -- logout -----------------------------------------------------------------------------------


async def test_logout_with_an_id_token_signs_out_and_goes_back(site: Site) -> None:
    bye = "http://127.0.0.1:9/bye"
    client_id, secret = await site.add_client(post_logout_redirect_uris=[bye])
    async with site.browser() as browser:
        await browser.sign_in_with_telegram()
        back = await browser.code_for(auth_url(client_id))
        async with site.client() as http:
            id_token = (await exchange(http, client_id, secret, back["code"])).json()["id_token"]
        assert (await browser.http.get("/api/me")).status_code == 200
        answer = await browser.http.get(
            "/oidc/logout",
            params={"id_token_hint": id_token, "post_logout_redirect_uri": bye, "state": "s9"},
        )
        assert answer.status_code == 303
        assert answer.headers["location"] == f"{bye}?state=s9"
        assert (await browser.http.get("/api/me")).status_code == 401
        elsewhere = await browser.http.get(
            "/oidc/logout",
            params={"id_token_hint": id_token, "post_logout_redirect_uri": f"{bye}/x"},
        )
        assert elsewhere.status_code == 200
        assert 'data-testid="signed-out"' in elsewhere.text


async def test_logout_without_an_id_token_asks_first(site: Site) -> None:
    bye = "http://127.0.0.1:9/bye"
    client_id, _ = await site.add_client(post_logout_redirect_uris=[bye])
    params = {"client_id": client_id, "post_logout_redirect_uri": bye}
    async with site.browser() as browser:
        await browser.sign_in_with_telegram()
        asked = await browser.http.get("/oidc/logout", params=params)
        assert asked.status_code == 200
        assert 'data-testid="logout-confirm"' in asked.text
        assert (await browser.http.get("/api/me")).status_code == 200
        forged = await browser.http.post("/oidc/logout", data={**params, "confirm": "yes"})
        assert forged.status_code == 403
        csrf = asked.text.split('name="csrf_token" value="')[1].split('"')[0]
        confirmed = await browser.http.post(
            "/oidc/logout", data={**params, "confirm": "yes", "csrf_token": csrf}
        )
        assert confirmed.status_code == 303
        assert confirmed.headers["location"] == bye
        assert (await browser.http.get("/api/me")).status_code == 401


async def test_a_forged_id_token_hint_is_refused(site: Site) -> None:
    async with site.browser() as browser:
        await browser.sign_in_with_telegram()
        answer = await browser.http.get("/oidc/logout", params={"id_token_hint": "e30.e30.c2ln"})
        assert answer.status_code == 400
        assert (await browser.http.get("/api/me")).status_code == 200


# -- bad input --------------------------------------------------------------------------------


async def test_bad_requests_get_typed_errors_never_a_500(site: Site) -> None:
    client_id, secret = await site.add_client()
    async with site.client() as http:
        as_json = await http.post("/oidc/token", json={"grant_type": "authorization_code"})
        assert as_json.status_code == 400
        assert as_json.json()["error"] == "invalid_request"
        not_utf8 = await http.post(
            "/oidc/token",
            content=b"grant_type=%FF%FE",
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert not_utf8.json()["error"] == "invalid_request"
        unknown_grant = await http.post(
            "/oidc/token", data={"grant_type": "password"}, auth=(client_id, secret or "")
        )
        assert unknown_grant.json()["error"] == "unsupported_grant_type"
        no_code = await http.post(
            "/oidc/token", data={"grant_type": "authorization_code"}, auth=(client_id, secret or "")
        )
        assert no_code.json()["error"] == "invalid_request"
        nobody = await http.post(
            "/oidc/token",
            data={"grant_type": "authorization_code", "code": "x"},
            auth=("nobody", "x"),
        )
        assert nobody.status_code == 401
        anonymous = await http.get("/oidc/userinfo")
        assert anonymous.status_code == 401
        assert anonymous.headers["www-authenticate"] == "Bearer"
        garbage = await userinfo(http, "garbage")
        assert garbage.json()["error"] == "invalid_token"
        posted = await http.post("/oidc/userinfo", data={"access_token": "garbage"})
        assert posted.status_code == 401
        bad_query = await http.get("/oidc/authorize?client_id=%FF")
        assert bad_query.status_code == 400
        assert "invalid_request" in bad_query.text
        nothing = await http.get("/oidc/authorize")
        assert nothing.status_code == 400
        # values Authlib would quote in its error description, which must be plain ASCII
        odd = await http.get(auth_url(client_id, response_type="c\u00f6de"))
        assert odd.status_code == 400
        assert "response_type holds characters" in odd.text
        quoted = await http.post(
            "/oidc/token", data={"grant_type": 'a"b'}, auth=(client_id, secret or "")
        )
        assert quoted.json()["error"] == "invalid_request"


async def test_an_access_token_without_openid_gets_no_userinfo(site: Site) -> None:
    async with site.browser() as browser:
        await browser.sign_in_with_telegram()
        client_id, secret = await site.add_client()
        back = await browser.code_for(auth_url(client_id, scope="profile"))
    async with site.client() as http:
        tokens = (await exchange(http, client_id, secret, back["code"])).json()
        assert "id_token" not in tokens
        answer = await userinfo(http, tokens["access_token"])
    assert answer.status_code == 403
    assert 'error="insufficient_scope"' in answer.headers["www-authenticate"]


async def test_a_site_not_served_over_https_says_so(tmp_path: Path) -> None:
    site = await make_site(tmp_path, issuer="http://forum.example")
    try:
        client_id, secret = await site.add_client()
        async with site.browser() as browser:
            await browser.sign_in_with_telegram()
            page = await browser.authorize(auth_url(client_id))
            assert page.status_code == 400
            assert "insecure_transport" in page.text
        async with site.client() as http:
            token = await exchange(http, client_id, secret, "code")
            assert token.status_code == 400
            assert token.json()["error"] == "insecure_transport"
            revoke = await http.post("/oidc/revoke", data={"token": "x"})
            assert revoke.json()["error"] == "insecure_transport"
            logout = await http.get("/oidc/logout")
            assert logout.status_code == 400
            assert (await http.get("/.well-known/openid-configuration")).status_code == 200
    finally:
        await site.services.close()


async def test_a_deleted_account_takes_its_grants_with_it(site: Site) -> None:
    async with site.browser() as browser:
        await browser.sign_in_with_telegram()
        client_id, secret, tokens = await signed_in_tokens(site, browser, scope="openid site")
    assert await site.services.accounts.delete_user(browser.user["id"])
    async with site.client() as http:
        assert (await userinfo(http, tokens["access_token"])).status_code == 401
        assert (await refresh(http, client_id, secret, tokens["refresh_token"])).status_code == 400
    store = site.provider.store
    assert await store.consented(browser.user["id"], client_id) is None  # gone by cascade
