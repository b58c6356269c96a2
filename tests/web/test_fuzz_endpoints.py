"""Every JSON endpoint, fuzzed with hypothesis beyond what the OpenAPI schema allows: any
JSON (or none, or bytes that are not JSON), any path parameter, signed in by session, by an
API key or not at all. Never a 500, and every error is the JSON error shape."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi.routing import APIRoute
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.harness.served import SITE_AUTH, served
from tgpass.web import admin, webhook

JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=15,
)
BODIES = (
    JSONISH.map(lambda v: json.dumps(v).encode())
    | st.binary(max_size=64)
    | st.just(b"")
    | st.fixed_dictionaries(
        {},
        optional={
            "username": st.text(),
            "password": st.text(),
            "display_name": st.text(),
            "text": st.text(),
            "init_data": st.text(),
            "audience": JSONISH,
            "buttons": JSONISH,
            "parse_mode": st.text(),
            "karma": st.integers(),
            "role": st.text(),
        },
    ).map(lambda v: json.dumps(v).encode())
)
SEGMENT = st.text(min_size=1, max_size=20).filter(lambda t: "/" not in t and t not in {".", ".."})


async def test_no_endpoint_answers_500_to_anything(tmp_path: Path) -> None:
    async with served("sqlite+memory", tmp_path) as site:
        paths = site.app.openapi()["paths"]
        routes = [(method.upper(), path) for path in paths for method in paths[path]]
        routes += sorted(  # the staff pages' calls and Telegram's webhook: not in the schema
            (method, route.path)
            for router in (admin.router, webhook.router)
            for route in router.routes
            if isinstance(route, APIRoute) and route.path.startswith(("/api/", "/telegram/"))
            for method in route.methods
        )
        assert len(routes) > 20
        registered = await site.web.post(
            "/api/auth/register", json={"username": "fuzz", "password": "pass-word-1"}
        )
        csrf = registered.json()["csrf_token"]
        drawn: list[tuple[Any, ...]] = []

        @settings(
            max_examples=300,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(
            route=st.sampled_from(routes),
            body=BODIES,
            segment=SEGMENT,
            who=st.sampled_from(["session", "api", "none"]),
            key=st.none() | st.text(max_size=300),
        )
        def draw(route: Any, body: bytes, segment: str, who: str, key: str | None) -> None:
            drawn.append((route, body, segment, who, key))

        draw()
        anonymous = site.client()  # no session cookie
        for (method, path), body, segment, who, key in drawn:
            url = re.sub(r"\{[^}]+\}", _quote(segment), path)
            headers = {"Content-Type": "application/json"}
            if who == "api":
                headers.update(SITE_AUTH)
            elif who == "session":
                headers["X-CSRF-Token"] = csrf
            if key is not None and key.isprintable() and key.isascii():
                headers["Idempotency-Key"] = key
            client = site.web if who == "session" else anonymous
            answer = await client.request(method, url, content=body, headers=headers)
            assert answer.status_code < 500, (method, url, body, answer.text)
            if answer.status_code >= 400:
                assert "error" in answer.json(), (method, url, answer.text)


def _quote(segment: str) -> str:
    return quote(segment, safe="").replace("\\", "\\\\")  # (a re.sub replacement)
