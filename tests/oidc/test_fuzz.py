"""Whatever reaches the provider's endpoints (known parameters with odd values, repeated ones,
bodies that are not forms, not UTF-8, any credentials), the answer is never a 500, and a
JSON error is in the protocol's shape."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import urlencode

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from .conftest import CALLBACK, Site

PARAMS = [
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "prompt",
    "max_age",
    "grant_type",
    "code",
    "code_verifier",
    "refresh_token",
    "client_secret",
    "token",
    "token_type_hint",
    "id_token_hint",
    "post_logout_redirect_uri",
    "access_token",
    "confirm",
    "csrf_token",
    "decision",
]
ROUTES = [
    ("GET", "/oidc/authorize"),
    ("POST", "/oidc/authorize"),
    ("POST", "/oidc/authorize/consent"),
    ("POST", "/oidc/token"),
    ("POST", "/oidc/revoke"),
    ("GET", "/oidc/userinfo"),
    ("POST", "/oidc/userinfo"),
    ("GET", "/oidc/logout"),
    ("POST", "/oidc/logout"),
]
FORM = "application/x-www-form-urlencoded"


def values(client_id: str) -> st.SearchStrategy[str]:
    known = st.sampled_from(
        [
            client_id,
            CALLBACK,
            "code",
            "token",
            "openid",
            "openid site chats",
            "S256",
            "plain",
            "none",
            "login",
            "consent",
            "authorization_code",
            "refresh_token",
            "-1",
            "9" * 30,
            "e30.e30.e30",
            "yes",
            "allow",
            "",
        ]
    )
    return known | st.text(max_size=80)


async def test_no_protocol_endpoint_answers_500(site: Site) -> None:
    client_id, secret = await site.add_client(public=False)
    drawn: list[tuple[Any, ...]] = []

    @settings(
        max_examples=200,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(
        route=st.sampled_from(ROUTES),
        pairs=st.lists(st.tuples(st.sampled_from(PARAMS), values(client_id)), max_size=8),
        raw=st.none() | st.binary(max_size=40),
        kind=st.sampled_from([FORM, "application/json", "text/plain", ""]),
        auth=st.sampled_from(["none", "basic", "bad-basic", "bearer", "garbage"]),
    )
    def draw(
        route: tuple[str, str],
        pairs: list[tuple[str, str]],
        raw: bytes | None,
        kind: str,
        auth: str,
    ) -> None:
        drawn.append((route, pairs, raw, kind, auth))

    draw()
    async with site.browser() as browser:
        await browser.sign_in_with_telegram()
        for (method, path), pairs, raw, kind, auth in drawn:
            headers = {"Content-Type": kind} if kind else {}
            if auth == "basic":
                headers["Authorization"] = (
                    "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()
                )
            elif auth == "bad-basic":
                headers["Authorization"] = "Basic !!!"
            elif auth == "bearer":
                headers["Authorization"] = "Bearer x"
            elif auth == "garbage":
                headers["Authorization"] = "\x7f"
            encoded = urlencode(pairs)
            url = f"{path}?{encoded}" if method == "GET" else path
            body = raw if raw is not None else encoded.encode()
            answer = await browser.http.request(
                method, url, content=None if method == "GET" else body, headers=headers
            )
            assert answer.status_code < 500, (method, path, pairs, raw, answer.text)
            if (
                answer.headers.get("content-type") == "application/json"
                and answer.status_code >= 400
            ):
                assert isinstance(answer.json()["error"], str | dict), answer.text
