"""The staff page of event webhooks in headless chromium: each endpoint's health (failing
since, disabled and why, pending deliveries), its recent deliveries, a failed one sent again
with the Retry button, a disabled endpoint enabled again. Only staff get in."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from tests.browser import browser_page, screenshot
from tests.harness.fakes import RecordingTelegram
from tests.harness.site import site_settings
from tgpass.bootstrap import Services, build, memory_stores
from tgpass.domain.webhooks import DeliveryResult
from tgpass.sandbox.server import LoopbackServer, free_port
from tgpass.web.app import create_app

PASSWORD = "pass-word-1"


@dataclass
class Live:
    url: str
    services: Services


@asynccontextmanager
async def live_site() -> AsyncIterator[Live]:
    """The site on a loopback port, no worker: the deliveries stay as the test makes them."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    services = await build(
        site_settings({"kv_url": "memory://"}, public_url=url),
        stores=memory_stores(),
        telegram=RecordingTelegram(),
    )
    try:
        async with LoopbackServer(create_app(services), port=port):
            yield Live(url, services)
    finally:
        await services.close()


async def sign_in(page: Any, site: str, username: str) -> None:
    await page.goto(f"{site}/login")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url("**/account")


async def test_staff_see_endpoint_health_and_retry_a_failed_delivery() -> None:
    async with live_site() as live:
        services = live.services
        async with httpx.AsyncClient(base_url=live.url) as http:
            for name in ("boss", "member"):
                made = await http.post(
                    "/api/auth/register", json={"username": name, "password": PASSWORD}
                )
                assert made.status_code == 201
        boss = await services.accounts.find_user(username="boss")
        assert boss is not None
        await services.accounts.update_user(boss.id, role="staff")

        orders = await services.webhooks.add(
            "https://orders.example.org/events", description="orders service"
        )
        gone = await services.webhooks.add("https://old.example.org/hook", ["account.linked"])
        async with services.uow() as tx:  # as the worker leaves it after a 410
            await tx.webhooks.save_endpoint(
                dataclasses.replace(
                    gone, enabled=False, disabled_reason="the endpoint answered 410 Gone"
                )
            )
        delivered, failed, waiting = [(await services.webhooks.test(orders.id)).id for _ in "abc"]
        now = services.webhooks.clock()
        async with services.uow() as tx:  # as the worker records three attempts
            await tx.webhooks.claim(
                orders.id, owner="w", now=now, lease=60, limit=10, order_hold=3600
            )
            await tx.webhooks.settle(
                [
                    DeliveryResult(orders.id, delivered, "delivered", now, status=204),
                    DeliveryResult(orders.id, failed, "failed", now, status=500),
                    DeliveryResult(
                        orders.id,
                        waiting,
                        "pending",
                        now,
                        error="connection refused",
                        available_at=now + 300,
                    ),
                ],
                owner="w",
                now=now,
            )

        async with browser_page() as page:
            await sign_in(page, live.url, "member")
            await page.goto(f"{live.url}/admin/webhooks")
            assert await page.get_by_test_id("forbidden").is_visible()
            answer = await page.request.get(f"{live.url}/api/admin/webhooks")
            assert answer.status == 403
            await page.context.clear_cookies()

            await sign_in(page, live.url, "boss")
            await page.goto(f"{live.url}/admin")
            await page.get_by_test_id("admin-webhooks").click()
            first = page.get_by_test_id(f"endpoint-{orders.id}")
            await first.get_by_test_id("failing-since").wait_for()
            assert await first.get_by_test_id("health").inner_text() == (
                "failing\n" + await first.get_by_test_id("failing-since").inner_text()
            )
            assert await first.get_by_test_id("pending").inner_text() == "1"
            second = page.get_by_test_id(f"endpoint-{gone.id}")
            reason = second.get_by_test_id("disabled-reason")
            assert await reason.inner_text() == "the endpoint answered 410 Gone"
            assert await second.get_by_test_id("pending").inner_text() == "0"

            await first.get_by_test_id("show-deliveries").click()
            rows = page.get_by_test_id("deliveries")
            await rows.get_by_test_id(f"delivery-{failed}").wait_for()
            states = {
                event: await rows.get_by_test_id(f"delivery-{event}").get_attribute("data-status")
                for event in (delivered, failed, waiting)
            }
            assert states == {delivered: "delivered", failed: "failed", waiting: "pending"}
            failed_row = rows.get_by_test_id(f"delivery-{failed}")
            assert await failed_row.get_by_test_id("last-answer").inner_text() == "HTTP 500"
            waiting_row = rows.get_by_test_id(f"delivery-{waiting}")
            assert (
                "connection refused" in await waiting_row.get_by_test_id("last-answer").inner_text()
            )
            assert await rows.get_by_test_id("retry").count() == 1  # only the failed one
            await screenshot(page, "admin-webhooks")

            await failed_row.get_by_test_id("retry").click()
            again = f'[data-testid="delivery-{failed}"][data-status="pending"]'
            await rows.locator(again).wait_for()
            await first.get_by_test_id("pending").filter(has_text="2").wait_for()
            assert await rows.get_by_test_id("retry").count() == 0

            await second.get_by_test_id("enable").click()
            await second.get_by_test_id("health").filter(has_text="enabled").wait_for()
            assert await second.get_by_test_id("disabled-reason").count() == 0
            await second.get_by_test_id("send-test").click()
            await second.get_by_test_id("pending").filter(has_text="1").wait_for()
            assert await page.get_by_test_id("notice").is_hidden()

        found = {d.event.id: d.state for d in await services.webhooks.deliveries(orders.id)}
        assert found[failed] == "pending"  # the retry reached the store
        assert (await services.webhooks.get(gone.id)).enabled
