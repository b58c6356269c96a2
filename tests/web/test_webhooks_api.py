"""The site API for event webhooks, as a site calls it (httpx over the app): every route,
the secret shown when made or rotated and nowhere else, and bad input answered with a typed
4xx, never a 500."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook

from tests.harness.fakes import RecordingTelegram
from tests.harness.site import API_KEY, SITE, SITE_AUTH, site_settings
from tgpass.bootstrap import Services, build, memory_stores
from tgpass.domain.webhooks import EVENT_TYPES, DeliveryResult
from tgpass.web.app import create_app

HOOK = "https://hooks.example.org/tgpass"
ALL_TYPES = [t for t in EVENT_TYPES if t != "webhook.test"]


@dataclass
class Api:
    services: Services
    web: httpx.AsyncClient


@asynccontextmanager
async def api_site(**overrides: Any) -> AsyncIterator[Api]:
    """The app over in-memory stores, called with the site's API key."""
    services = await build(
        site_settings({"kv_url": "memory://"}, **overrides),
        stores=memory_stores(),
        telegram=RecordingTelegram(),
    )
    try:
        transport = httpx.ASGITransport(app=create_app(services))
        async with httpx.AsyncClient(transport=transport, base_url=SITE, headers=SITE_AUTH) as web:
            yield Api(services, web)
    finally:
        await services.close()


@pytest.fixture
async def api() -> AsyncIterator[Api]:
    async with api_site() as found:
        yield found


async def add(api: Api, **body: Any) -> dict[str, Any]:
    made = await api.web.post("/api/site/webhooks", json={"url": HOOK, **body})
    assert made.status_code == 201, made.text
    found: dict[str, Any] = made.json()
    return found


async def test_an_endpoint_is_made_with_its_secret_shown_once(api: Api) -> None:
    made = await add(api, description="orders service")
    assert made["url"] == HOOK
    assert made["events"] == ALL_TYPES  # none named: every type but the test
    assert made["description"] == "orders service"
    assert made["enabled"] is True
    assert made["disabled_reason"] is None and made["failing_since"] is None
    assert made["created_at"] > 0
    secret = made["secret"]
    assert secret.startswith("whsec_")
    Webhook(secret)  # a secret the Standard Webhooks libraries read
    one = await api.web.get(f"/api/site/webhooks/{made['id']}")
    listed = await api.web.get("/api/site/webhooks")
    assert one.status_code == listed.status_code == 200
    assert [e["id"] for e in listed.json()] == [made["id"]]
    for answer in (one, listed):
        assert secret not in answer.text and 'secret"' not in answer.text
    assert one.json() == {k: v for k, v in made.items() if k != "secret"}


async def test_an_endpoint_hears_only_the_types_it_names(api: Api) -> None:
    made = await add(api, events=["chat.member_joined", "account.linked", "account.linked"])
    assert made["events"] == ["account.linked", "chat.member_joined"]  # the README's order


async def test_patch_changes_only_what_is_given(api: Api) -> None:
    made = await add(api, events=["account.linked"], description="first")
    path = f"/api/site/webhooks/{made['id']}"
    changed = await api.web.patch(path, json={"url": "https://other.example.org/in"})
    assert changed.status_code == 200
    assert changed.json()["url"] == "https://other.example.org/in"
    assert changed.json()["events"] == ["account.linked"]
    assert changed.json()["description"] == "first"
    disabled = await api.web.patch(path, json={"enabled": False})
    assert disabled.json()["enabled"] is False
    assert disabled.json()["disabled_reason"] == "disabled by the site"
    enabled = await api.web.patch(path, json={"enabled": True, "events": None})
    assert enabled.json()["enabled"] is True
    assert enabled.json()["disabled_reason"] is None
    assert enabled.json()["events"] == ALL_TYPES  # null: every type
    assert "secret" not in enabled.json()
    assert (await api.web.get(path)).json() == enabled.json()


async def test_rotation_shows_the_new_secret_and_how_long_the_old_signs(api: Api) -> None:
    made = await add(api)
    path = f"/api/site/webhooks/{made['id']}"
    rotated = await api.web.post(f"{path}/rotate-secret")
    assert rotated.status_code == 200
    body = rotated.json()
    assert body["id"] == made["id"]
    assert body["secret"].startswith("whsec_") and body["secret"] != made["secret"]
    grace = body["previous_secret_until"] - made["created_at"]
    assert 86000 < grace < 86500  # TGPASS_EVENTS_SECRET_GRACE: a day by default
    shown = await api.web.get(path)
    assert shown.json()["previous_secret_until"] == body["previous_secret_until"]
    assert body["secret"] not in shown.text and made["secret"] not in shown.text
    endpoint = await api.services.webhooks.get(made["id"])
    assert endpoint.signing_secrets(made["created_at"]) == (body["secret"], made["secret"])


async def test_a_test_event_is_queued_and_listed_with_its_delivery(api: Api) -> None:
    made = await add(api, events=["account.linked"])  # a test reaches it all the same
    sent = await api.web.post(f"/api/site/webhooks/{made['id']}/test")
    assert sent.status_code == 202
    event_id = sent.json()["event_id"]
    assert event_id.startswith("msg_") and sent.json()["type"] == "webhook.test"
    listed = await api.web.get(f"/api/site/webhooks/{made['id']}/deliveries")
    assert listed.status_code == 200
    [delivery] = listed.json()
    assert delivery["event_id"] == event_id
    assert delivery["type"] == "webhook.test"
    assert delivery["status"] == "pending"
    assert delivery["attempts"] == 0
    assert delivery["next_attempt_at"] == pytest.approx(delivery["created_at"])
    assert delivery["delivered_at"] is None


async def test_deliveries_show_failures_and_a_retry_sends_again(api: Api) -> None:
    made = await add(api)
    path = f"/api/site/webhooks/{made['id']}"
    first = (await api.web.post(f"{path}/test")).json()["event_id"]
    second = (await api.web.post(f"{path}/test")).json()["event_id"]
    async with api.services.uow() as tx:  # as a worker records two attempts
        claimed = await tx.webhooks.claim(
            made["id"], owner="w", now=1e10, lease=60, limit=10, order_hold=3600
        )
        assert {d.event.id for d in claimed} == {first, second}
        await tx.webhooks.settle(
            [
                DeliveryResult(made["id"], second, "delivered", 1e10, status=204),
                DeliveryResult(made["id"], first, "failed", 1e10, status=503, available_at=0),
            ],
            owner="w",
            now=1e10,
        )
    listed = (await api.web.get(f"{path}/deliveries")).json()
    assert [d["event_id"] for d in listed] == [second, first]  # newest first
    done, failed = listed
    assert (done["status"], done["last_status"], done["delivered_at"]) == ("delivered", 204, 1e10)
    assert done["next_attempt_at"] is None
    assert (failed["status"], failed["attempts"], failed["last_status"]) == ("failed", 1, 503)
    assert (await api.web.get(path)).json()["failing_since"] == 1e10  # the last one failed
    one = await api.web.get(f"{path}/deliveries", params={"limit": 1})
    assert [d["event_id"] for d in one.json()] == [second]

    retried = await api.web.post(f"{path}/deliveries/{first}/retry")
    assert retried.status_code == 202
    assert retried.json() == {"event_id": first, "status": "pending"}
    again = {d["event_id"]: d for d in (await api.web.get(f"{path}/deliveries")).json()}
    assert again[first]["status"] == "pending"
    assert again[first]["next_attempt_at"] is not None
    missing = await api.web.post(f"{path}/deliveries/msg_nothing/retry")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


async def test_delete_takes_the_endpoint_and_its_deliveries(api: Api) -> None:
    made = await add(api)
    path = f"/api/site/webhooks/{made['id']}"
    await api.web.post(f"{path}/test")
    gone = await api.web.delete(path)
    assert (gone.status_code, gone.json()) == (200, {"ok": True})
    assert (await api.web.get(path)).status_code == 404
    assert (await api.web.delete(path)).status_code == 404
    assert (await api.web.get("/api/site/webhooks")).json() == []
    assert await api.services.webhooks.pending_counts() == {}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": HOOK, "events": ["account.linkd"]}, "events"),
        ({"url": HOOK, "events": []}, "events"),
        ({"url": "http://hooks.example.org/in"}, "url"),  # not https
        ({"url": "https://127.0.0.1/in"}, "url"),
        ({"url": "https://10.0.0.7/in"}, "url"),
        ({"url": "https://169.254.169.254/latest"}, "url"),  # cloud metadata
        ({"url": "https://localhost/in"}, "url"),
        ({"url": "https://user:pw@hooks.example.org/in"}, "url"),
        ({"url": "/relative"}, "url"),
    ],
)
async def test_a_refused_type_or_url_is_a_422_naming_the_field(
    api: Api, body: dict[str, Any], field: str
) -> None:
    refused = await api.web.post("/api/site/webhooks", json=body)
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert (error["code"], error["field"]) == ("invalid_input", field)
    assert (await api.web.get("/api/site/webhooks")).json() == []


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"url": HOOK, "event": ["account.linked"]},  # misspelt: not every type by mistake
        {"url": HOOK, "events": "account.linked"},
        {"url": HOOK, "description": "x" * 201},
        {"url": "https://example.org/" + "a" * 2000},
        {"url": 5},
    ],
)
async def test_a_malformed_body_is_a_422(api: Api, body: dict[str, Any]) -> None:
    refused = await api.web.post("/api/site/webhooks", json=body)
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["code"] == "invalid_input"


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"url": None}, "url"),
        ({"description": None}, "description"),
        ({"enabled": None}, "enabled"),
        ({"events": ["nope"]}, "events"),
        ({"url": "ftp://example.org"}, "url"),
    ],
)
async def test_a_patch_that_means_nothing_is_a_422(
    api: Api, patch: dict[str, Any], field: str
) -> None:
    made = await add(api)
    refused = await api.web.patch(f"/api/site/webhooks/{made['id']}", json=patch)
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["field"] == field
    after = (await api.web.get(f"/api/site/webhooks/{made['id']}")).json()
    assert after == {k: v for k, v in made.items() if k != "secret"}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/site/webhooks/999"),
        ("PATCH", "/api/site/webhooks/999"),
        ("DELETE", "/api/site/webhooks/999"),
        ("POST", "/api/site/webhooks/999/rotate-secret"),
        ("POST", "/api/site/webhooks/999/test"),
        ("GET", "/api/site/webhooks/999/deliveries"),
        ("POST", "/api/site/webhooks/999/deliveries/msg_x/retry"),
    ],
)
async def test_an_unknown_endpoint_is_a_404(api: Api, method: str, path: str) -> None:
    answer = await api.web.request(method, path, json={} if method == "PATCH" else None)
    assert answer.status_code == 404, answer.text
    assert answer.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    "path",
    [
        "/api/site/webhooks/0",
        "/api/site/webhooks/-1",
        "/api/site/webhooks/99999999999999999999999",
        "/api/site/webhooks/abc",
        "/api/site/webhooks/1/deliveries?limit=0",
        "/api/site/webhooks/1/deliveries?limit=100000",
    ],
)
async def test_an_id_or_limit_out_of_range_is_a_422(api: Api, path: str) -> None:
    await add(api)
    answer = await api.web.get(path)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == "invalid_input"


async def test_a_long_event_id_is_a_422(api: Api) -> None:
    made = await add(api)
    answer = await api.web.post(f"/api/site/webhooks/{made['id']}/deliveries/{'m' * 65}/retry")
    assert answer.status_code == 422


async def test_every_route_wants_the_api_key(api: Api) -> None:
    made = await add(api)
    routes = [
        ("POST", "/api/site/webhooks"),
        ("GET", "/api/site/webhooks"),
        ("GET", f"/api/site/webhooks/{made['id']}"),
        ("PATCH", f"/api/site/webhooks/{made['id']}"),
        ("DELETE", f"/api/site/webhooks/{made['id']}"),
        ("POST", f"/api/site/webhooks/{made['id']}/rotate-secret"),
        ("POST", f"/api/site/webhooks/{made['id']}/test"),
        ("GET", f"/api/site/webhooks/{made['id']}/deliveries"),
        ("POST", f"/api/site/webhooks/{made['id']}/deliveries/msg_x/retry"),
    ]
    for method, path in routes:
        for headers in ({"Authorization": ""}, {"Authorization": f"Bearer {API_KEY}x"}):
            answer = await api.web.request(method, path, headers=headers, json={"url": HOOK})
            assert answer.status_code == 401, (method, path)
            assert made["secret"] not in answer.text
    assert len((await api.web.get("/api/site/webhooks")).json()) == 1


async def test_private_urls_pass_where_the_setting_allows_them() -> None:
    async with api_site(events_allow_private_urls=True) as api:
        made = await add(api, url="http://127.0.0.1:8123/events")
        assert made["url"] == "http://127.0.0.1:8123/events"


async def test_the_schema_documents_every_route_and_its_errors(api: Api) -> None:
    paths = (await api.web.get("/openapi.json")).json()["paths"]
    routes = {
        (method, path)
        for path, operations in paths.items()
        if path.startswith("/api/site/webhooks")
        for method in operations
    }
    assert routes == {
        ("post", "/api/site/webhooks"),
        ("get", "/api/site/webhooks"),
        ("get", "/api/site/webhooks/{endpoint_id}"),
        ("patch", "/api/site/webhooks/{endpoint_id}"),
        ("delete", "/api/site/webhooks/{endpoint_id}"),
        ("post", "/api/site/webhooks/{endpoint_id}/rotate-secret"),
        ("post", "/api/site/webhooks/{endpoint_id}/test"),
        ("get", "/api/site/webhooks/{endpoint_id}/deliveries"),
        ("post", "/api/site/webhooks/{endpoint_id}/deliveries/{event_id}/retry"),
    }
    for method, path in routes:
        answers = paths[path][method]["responses"]
        assert {"401", "404", "422"} <= set(answers), (method, path)
        assert paths[path][method]["tags"] == ["webhooks"]
    create = paths["/api/site/webhooks"]["post"]
    assert set(create["responses"]) >= {"201"}


async def test_the_staff_calls_want_staff_and_the_csrf_token(api: Api) -> None:
    made = await add(api, events=["account.linked"])  # not the sign-up below
    await api.web.post(f"/api/site/webhooks/{made['id']}/test")
    registered = await api.web.post(
        "/api/auth/register", json={"username": "boss", "password": "pass-word-1"}
    )
    csrf = {"X-CSRF-Token": registered.json()["csrf_token"], "Authorization": ""}
    base = f"/api/admin/webhooks/{made['id']}"
    calls = [
        ("GET", "/api/admin/webhooks"),
        ("GET", f"{base}/deliveries"),
        ("POST", f"{base}/test"),
        ("POST", f"{base}/enable"),
        ("POST", f"{base}/deliveries/msg_x/retry"),
    ]
    for method, path in calls:  # signed in, not staff
        answer = await api.web.request(method, path, headers=csrf)
        assert (answer.status_code, answer.json()["error"]["code"]) == (403, "not_staff")
    boss = await api.services.accounts.find_user(username="boss")
    assert boss is not None
    await api.services.accounts.update_user(boss.id, role="staff")
    listed = await api.web.get("/api/admin/webhooks", headers=csrf)
    assert [(e["id"], e["pending"]) for e in listed.json()] == [(made["id"], 1)]
    assert made["secret"] not in listed.text
    no_csrf = await api.web.post(f"{base}/test", headers={"Authorization": ""})
    assert (no_csrf.status_code, no_csrf.json()["error"]["code"]) == (403, "csrf_failed")
    sent = await api.web.post(f"{base}/test", headers=csrf)
    assert sent.status_code == 202
    deliveries = await api.web.get(f"{base}/deliveries", headers=csrf)
    assert sent.json()["event_id"] in {d["event_id"] for d in deliveries.json()}
    missing = await api.web.post(f"{base}/deliveries/msg_x/retry", headers=csrf)
    assert missing.status_code == 404
    for path in ("/api/admin/webhooks/0/deliveries", "/api/admin/webhooks/x/deliveries"):
        assert (await api.web.get(path, headers=csrf)).status_code == 422
    assert (await api.web.post("/api/admin/webhooks/9/enable", headers=csrf)).status_code == 404
