"""The demo's events page: its own endpoint hears every event the service announces while a
newcomer walks the demo, verified as a site would verify them; a forgery is refused; a
restart with kept data keeps the one endpoint and its secret."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from tgpass.demo import DEMO_BOT, DEMO_LOGIN, Demo, print_welcome, running_demo
from tgpass.demo_events import PAGE_PATH, RECEIVE_PATH, EventBoard
from tgpass.domain.webhooks import Endpoint
from tgpass.sandbox.server import free_port
from tgpass.service.webhooks import new_secret


def started(data_dir: Path) -> contextlib.AbstractAsyncContextManager[Demo]:
    """The demo on data kept in ``data_dir``, on free ports."""
    site = free_port()
    phone = free_port()
    while phone == site:
        phone = free_port()
    return running_demo(site_port=site, sandbox_port=phone, data_dir=data_dir)


@pytest.fixture
async def demo(tmp_path: Path) -> AsyncIterator[Demo]:
    async with started(tmp_path) as running:
        yield running


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = 15) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := await check()):
        assert time.monotonic() < deadline, f"not within {timeout} s"
        await asyncio.sleep(0.1)
    return found


async def shown(demo: Demo) -> list[dict[str, Any]]:
    """What the events page shows, newest first, as its JSON says."""
    async with httpx.AsyncClient(base_url=demo.site) as web:
        answer = await web.get(f"{PAGE_PATH}.json")
    assert answer.status_code == 200, answer.text
    events: list[dict[str, Any]] = answer.json()["events"]
    return events


async def the_endpoint(demo: Demo) -> Endpoint:
    endpoints = await demo.services.webhooks.endpoints()
    assert [e.url for e in endpoints] == [f"{demo.site}{RECEIVE_PATH}"]
    return endpoints[0]


def zoya(demo: Demo) -> int:
    return next(a.id for a in demo.world.accounts.values() if a.first_name == "Zoya")


async def link_telegram(demo: Demo) -> int:
    """Sign in as demo, link Telegram through the bot on the phone; the site's user id."""
    users = demo.sandbox.users
    assert users is not None
    async with httpx.AsyncClient(base_url=demo.site) as web:
        signed = await web.post(
            "/api/auth/login", json={"username": DEMO_LOGIN[0], "password": DEMO_LOGIN[1]}
        )
        assert signed.status_code == 200, signed.text
        offer = await web.post("/api/link", headers={"X-CSRF-Token": signed.json()["csrf_token"]})
        await users.open_link(zoya(demo), offer.json()["url"])
        await users.start(zoya(demo), DEMO_BOT)

        async def linked() -> bool:
            return bool((await web.get("/api/link")).json()["linked"])

        await eventually(linked)
        return int((await web.get("/api/me")).json()["user"]["id"])


def types(events: list[dict[str, Any]]) -> list[str]:
    return [e["type"] for e in events]


async def test_walking_the_demo_shows_its_events_on_the_page_verified(demo: Demo) -> None:
    endpoint = await the_endpoint(demo)
    assert endpoint.enabled and "account.linked" in endpoint.events
    assert "telegram.phone_shared" in endpoint.events  # every type a site can hear

    user_id = await link_telegram(demo)

    async def all_shown() -> list[dict[str, Any]] | None:
        events = await shown(demo)
        every = {"account.linked", "account.standing_changed"} <= set(types(events))
        return events if every and types(events).count("account.signed_up") == 2 else None

    # the seeded accounts' sign-ups, the staff made staff, the link: each once. Order is
    # promised per user only (a first attempt made while the site starts is retried later)
    events = await eventually(all_shown)
    made_staff = next(e for e in events if e["type"] == "account.standing_changed")
    assert (made_staff["data"]["previous_role"], made_staff["data"]["role"]) == ("member", "staff")
    staff_events = [
        e["type"] for e in events if e["data"].get("user_id") == made_staff["data"]["user_id"]
    ]
    assert staff_events == ["account.standing_changed", "account.signed_up"]  # newest first
    assert types(events).count("account.linked") == 1
    assert len({e["id"] for e in events}) == len(events)
    linked = next(e for e in events if e["type"] == "account.linked")
    assert (linked["data"]["user_id"], linked["data"]["telegram_id"]) == (user_id, zoya(demo))
    assert linked["timestamp"].endswith("Z")
    signed_up = [e["data"]["user_id"] for e in events if e["type"] == "account.signed_up"]
    assert user_id in signed_up

    # what the page shows is what the endpoint answered 2xx to: verified, taken
    deliveries = {
        d.event.id: d for d in await demo.services.webhooks.deliveries(endpoint.id, limit=100)
    }
    for event in events:
        assert deliveries[event["id"]].state == "delivered"
        assert deliveries[event["id"]].event.type == event["type"]

    async with httpx.AsyncClient(base_url=demo.site) as web:
        page = await web.get(PAGE_PATH)
    assert page.status_code == 200
    assert page.text.count('data-testid="event"') == len(events)
    assert "account.linked" in page.text
    assert f"&#34;telegram_id&#34;: {zoya(demo)}" in page.text  # the data, pretty JSON


async def test_a_forged_delivery_is_refused_and_not_shown(demo: Demo) -> None:
    endpoint = await the_endpoint(demo)
    body = b'{"type":"account.deleted","timestamp":"2026-01-01T12:00:00.000Z","data":{}}'
    now = time.time()
    forged = Webhook(new_secret()).sign("msg_forged", _at(now), body.decode())
    real = Webhook(endpoint.secret).sign("msg_real", _at(now), body.decode())

    def headers(event_id: str, signature: str, timestamp: float = now) -> dict[str, str]:
        return {
            "content-type": "application/json",
            "webhook-id": event_id,
            "webhook-timestamp": str(int(timestamp)),
            "webhook-signature": signature,
        }

    old = Webhook(endpoint.secret).sign("msg_old", _at(now - 600), body.decode())
    refused_headers = [
        headers("msg_forged", forged),  # another secret
        headers("msg_no_comma", "v1"),  # malformed
        headers("msg_real", real.replace("v1,", "v1,A")),  # altered
        headers("msg_old", old, now - 600),  # by the secret, but ten minutes ago
    ]
    async with httpx.AsyncClient(base_url=demo.site) as web:
        answers = [
            (await web.post(RECEIVE_PATH, content=body, headers=sent)).status_code
            for sent in refused_headers
        ]
        unsigned = await web.post(RECEIVE_PATH, content=body)
        assert [*answers, unsigned.status_code] == [400] * 5
        refused = {"msg_forged", "msg_no_comma", "msg_old", "msg_real"}
        assert not refused & {e["id"] for e in await shown(demo)}

        # the same body, signed by the endpoint's secret, is taken; twice, shown once
        for _ in range(2):
            answer = await web.post(RECEIVE_PATH, content=body, headers=headers("msg_real", real))
            assert answer.status_code == 204
    taken = [(e["id"], e["type"]) for e in await shown(demo)]
    assert taken.count(("msg_real", "account.deleted")) == 1
    assert not (refused - {"msg_real"}) & {event_id for event_id, _ in taken}


def _at(timestamp: float) -> Any:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(timestamp, tz=UTC)


async def test_a_restart_with_kept_data_keeps_one_endpoint_and_its_secret(tmp_path: Path) -> None:
    async with started(tmp_path) as first:
        before = await the_endpoint(first)
    async with started(tmp_path) as second:  # another port
        assert second.opened.kept
        after = await the_endpoint(second)  # one, moved to this run's site
        assert (after.id, after.secret) == (before.id, before.secret)
        assert after.url != before.url

        sent = await second.services.webhooks.test(after.id)

        async def arrived() -> bool:
            return sent.id in {e["id"] for e in await shown(second)}

        await eventually(arrived)  # verified with the kept secret


async def test_the_board_keeps_the_latest_and_skips_a_repeat() -> None:
    secret = new_secret()

    async def the_secret() -> str:
        return secret

    board = EventBoard(the_secret, kept=3)
    signer = Webhook(secret)
    now = time.time()
    for n in range(5):
        body = f'{{"type":"webhook.test","timestamp":"t{n}","data":{{"n":{n}}}}}'
        headers = {
            "Webhook-Id": f"msg_{n}",
            "Webhook-Timestamp": str(int(now)),
            "Webhook-Signature": signer.sign(f"msg_{n}", _at(now), body),
        }
        assert await board.take(body.encode(), headers) == 204
        assert await board.take(body.encode(), headers) == 204  # a retry: not shown twice
    assert [(e.id, e.data) for e in board.recent()] == [
        ("msg_4", {"n": 4}),
        ("msg_3", {"n": 3}),
        ("msg_2", {"n": 2}),
    ]


async def test_the_events_page_in_a_browser(demo: Demo) -> None:
    """The page shows an event that arrives while it is open, without a reload."""
    from tests.browser import browser_page, screenshot

    async with browser_page() as page:
        await page.goto(f"{demo.site}{PAGE_PATH}")
        await page.get_by_test_id("event").filter(has_text="account.signed_up").first.wait_for()
        await link_telegram(demo)
        linked = page.get_by_test_id("event").filter(has_text="account.linked")
        await linked.wait_for(timeout=15_000)
        assert str(zoya(demo)) in await linked.inner_text()
        await screenshot(page, "demo-events-page")


async def test_the_welcome_names_the_events_page(
    demo: Demo, capsys: pytest.CaptureFixture[str]
) -> None:
    print_welcome(demo)
    assert f"  events: {demo.site}/demo/events   every event" in capsys.readouterr().out
