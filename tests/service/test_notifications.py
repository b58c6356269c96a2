"""Notifications through the sandbox Telegram with its flood limits on: every message
arrives exactly once, through 5xx faults and forced 429 windows; blocked users are
unreachable after one attempt; an Idempotency-Key sends once."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.harness.site import built, sandbox_bot
from tests.harness.stack import SITE, settings_for
from tgpass.bootstrap import Services
from tgpass.domain.accounts import TelegramProfile
from tgpass.domain.delivery import OutgoingMessage
from tgpass.errors import TelegramRateLimited
from tgpass.sandbox.server import Sandbox
from tgpass.service.notify.notifications import Audience
from tgpass.service.pacing import Pacer
from tgpass.service.ports import Messenger

AUTH = {"Authorization": "Bearer site-api-key-for-tests"}
BOT = "notify_bot"


class Site:
    """The service over a sandbox whose limits are Telegram's (or ``scale`` times them)."""

    def __init__(self, sandbox: Sandbox, services: Services) -> None:
        self.sandbox = sandbox
        self.services = services
        assert sandbox.users is not None
        self.users = sandbox.users

    async def linked_users(self, count: int, *, role: str = "member") -> list[int]:
        """``count`` users who started the bot and are linked: their Telegram ids."""
        ids = []
        for n in range(count):
            tg = int((await self.users.create_user(f"U{n}"))["id"])
            await self.users.start(tg, BOT)  # the chat is open
            ids.append(tg)
        async with self.services.uow() as tx:  # one transaction: quick on SQLite too
            for n, tg in enumerate(ids):
                user = await tx.accounts.create_user(
                    display_name=f"U{n}", site_user_id=f"{role}-{n}", role=role
                )
                profile = TelegramProfile(telegram_id=tg, first_name=f"U{n}")
                await tx.accounts.link_telegram(user.id, profile, chat_id=tg)
        return ids

    async def received(self, tg: int, text: str) -> int:
        return sum(m["text"] == text for m in await self.users.received(tg, BOT))

    async def deliver(self, notification_id: str, *, seconds: float = 120) -> dict[str, Any]:
        """Run the worker's sender until nothing of the notification waits."""
        self.started = time.monotonic()
        sending = asyncio.create_task(self.services.sender.run())
        try:
            async with asyncio.timeout(seconds):
                while True:
                    status = await self.services.notifications.status(notification_id)
                    if status.status not in {"queued", "sending"}:
                        self.took = time.monotonic() - self.started
                        return dict(status.counts)
                    await asyncio.sleep(0.2)
        finally:
            sending.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sending


async def site_over(tmp_path: Path, *, scale: float = 1.0, **overrides: Any) -> AsyncIterator[Site]:
    # Telegram's figures times scale
    async with sandbox_bot(BOT, flood_limits=True, limits_scale=scale, first_name="Notify") as (
        sandbox,
        info,
    ):
        settings = settings_for(
            sandbox,
            info["token"],
            tmp_path,
            bot_rate=30.0 * scale,
            chat_rate=1.0 * scale,
            **overrides,
        )
        async with built(settings) as services:
            yield Site(sandbox, services)


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    async for made in site_over(tmp_path):
        yield made


@pytest.mark.alone  # beside other tests, a starved event loop sends its reserved slots at once
async def test_a_broadcast_to_500_arrives_exactly_once_within_telegrams_limits(
    site: Site,
) -> None:
    tgs = await site.linked_users(500)
    message = OutgoingMessage("Maintenance tonight at 22:00", parse_mode=None)
    accepted = await site.services.notifications.broadcast(message, Audience())
    assert accepted.recipients == 500
    counts = await site.deliver(accepted.id)
    assert counts == {"queued": 0, "sending": 0, "sent": 500, "failed": 0, "unreachable": 0}
    received = [await site.received(tg, message.text) for tg in tgs]
    assert received == [1] * 500
    # paced to the limits: about 30 a second, and Telegram never had to say 429
    print("took", site.took)
    assert site.took > 499 / 30
    assert site.services.metrics.pauses._value.get() == 0


async def test_through_5xx_and_a_429_window_it_still_arrives_exactly_once(
    tmp_path: Path,
) -> None:
    # Limits stay on, on both sides, four times Telegram's figures to keep the run short.
    async for site in site_over(tmp_path, scale=4.0):
        tgs = await site.linked_users(500)
        await site.users.set_faults(error_rate=0.1, flood_seconds=5)
        message = OutgoingMessage("Through the storm", parse_mode=None)
        accepted = await site.services.notifications.broadcast(message, Audience())
        counts = await site.deliver(accepted.id)
        assert counts["sent"] == 500, counts
        received = [await site.received(tg, message.text) for tg in tgs]
        assert received == [1] * 500
        assert site.services.metrics.pauses._value.get() >= 1  # the window was honoured


def note_sends(messenger: Messenger) -> list[tuple[float, bool]]:
    """When the service began each sendMessage, and whether Telegram answered it 429."""
    calls: list[tuple[float, bool]] = []
    send = messenger.send

    async def noting_send(chat_id: int, message: OutgoingMessage, *, paid: bool = False) -> int:
        began = time.monotonic()
        try:
            sent = await send(chat_id, message, paid=paid)
        except TelegramRateLimited:
            calls.append((began, True))
            raise
        calls.append((began, False))
        return sent

    messenger.send = noting_send  # type: ignore[method-assign]
    return calls


def note_pauses(pacer: Pacer) -> list[tuple[float, float]]:
    """When the service learnt of each 429 (it pauses the bot), and for how long."""
    known: list[tuple[float, float]] = []
    pause = pacer.pause

    async def noting_pause(seconds: float) -> None:
        known.append((time.monotonic(), seconds))
        await pause(seconds)

    pacer.pause = noting_pause  # type: ignore[method-assign]
    return known


async def test_once_a_429_is_known_no_send_begins_before_its_retry_after(
    tmp_path: Path,
) -> None:
    # A send reserves its slot up to two seconds ahead; a 429 may come while it waits for
    # it. Counted where the service calls the Bot API: the sends begun after it learnt of a
    # 429 and before that 429's retry_after ran out. (A send begun just before may reach
    # Telegram just after: that is no breach, and the sandbox could not tell them apart.)
    async for site in site_over(tmp_path, scale=4.0):
        calls = note_sends(site.services.sender.messenger)
        known = note_pauses(site.services.sender.pacer)
        tgs = await site.linked_users(300)
        message = OutgoingMessage("Through a 429 window", parse_mode=None)
        accepted = await site.services.notifications.broadcast(message, Audience())
        sending = asyncio.create_task(site.deliver(accepted.id))
        while len(calls) < 40:  # the broadcast is under way, slots reserved ahead
            await asyncio.sleep(0.01)
        await site.users.set_faults(flood_seconds=2)
        counts = await sending
        assert counts["sent"] == 300, counts
        assert [await site.received(tg, message.text) for tg in tgs] == [1] * 300
        assert known, "no 429 reached the service"
        inside = [began for began, _ in calls if any(at < began < at + wait for at, wait in known)]
        refused = sum(limited for _, limited in calls)
        print(f"429 answers: {refused}; sends begun inside a known window: {len(inside)}")
        assert inside == []


async def test_a_user_who_blocked_the_bot_is_unreachable_after_one_attempt(site: Site) -> None:
    ann, bob = await site.linked_users(2)
    await site.users.block(bob, BOT)
    message = OutgoingMessage("Hello", parse_mode=None)
    accepted = await site.services.notifications.broadcast(message, Audience())
    counts = await site.deliver(accepted.id)
    assert (counts["sent"], counts["unreachable"]) == (1, 1)
    async with site.services.uow() as tx:
        rows = await tx.outbox.of_notification(accepted.id, limit=10)
        link = await tx.accounts.telegram_link(telegram_id=bob)
    blocked = next(r for r in rows if r.chat_id == bob)
    assert (blocked.state, blocked.attempts) == ("unreachable", 1)
    assert "blocked" in (blocked.last_error or "")
    assert link is not None and link.bot_blocked  # recorded on the user
    # the next broadcast counts them without trying
    again = await site.services.notifications.broadcast(message, Audience())
    async with site.services.uow() as tx:
        rows = await tx.outbox.of_notification(again.id, limit=10)
    assert {(r.chat_id, r.state, r.attempts) for r in rows if r.chat_id == bob} == {
        (bob, "unreachable", 0)
    }
    await site.deliver(again.id)
    assert await site.received(ann, "Hello") == 2


async def test_a_deleted_chat_is_a_dead_letter_and_can_be_retried(site: Site) -> None:
    [tg] = await site.linked_users(1)
    user = await site.services.accounts.find_user(telegram_id=tg)
    assert user is not None
    # a chat Telegram does not know: 400, not worth retrying
    await site.services.accounts.update_telegram(tg, chat_id=-(10**13))
    accepted = await site.services.notifications.send(user, OutgoingMessage("x", None))
    assert (await site.deliver(accepted.id))["failed"] == 1
    dead = await site.services.notifications.dead_letters()
    assert [d.notification_id for d in dead] == [accepted.id]
    assert "chat not found" in (dead[0].last_error or "").lower()
    await site.services.accounts.update_telegram(tg, chat_id=tg)
    assert await site.services.notifications.retry() == 1
    assert (await site.services.notifications.status(accepted.id)).counts["queued"] == 1


async def test_the_site_api_sends_once_per_idempotency_key(site: Site, tmp_path: Path) -> None:
    import httpx

    from tgpass.web.app import create_app

    [tg] = await site.linked_users(1)
    transport = httpx.ASGITransport(app=create_app(site.services))
    async with httpx.AsyncClient(transport=transport, base_url=SITE, headers=AUTH) as web:
        body = {"text": "Your order <b>shipped</b>", "parse_mode": "HTML"}
        key = {"Idempotency-Key": "order-42-shipped"}
        first = await web.post("/api/site/users/member-0/notifications", json=body, headers=key)
        second = await web.post("/api/site/users/member-0/notifications", json=body, headers=key)
        assert first.status_code == second.status_code == 202
        assert first.json() == second.json()
        assert first.json()["status"] == "queued"
        assert second.headers["Idempotent-Replayed"] == "true"
        other = await web.post(
            "/api/site/users/member-0/notifications", json={"text": "else"}, headers=key
        )
        assert other.status_code == 409
        assert other.json()["error"]["code"] == "idempotency_mismatch"
        counts = await site.deliver(first.json()["id"])
        assert counts["sent"] == 1
        assert await site.received(tg, "Your order shipped") == 1
        status = await web.get(f"/api/site/notifications/{first.json()['id']}")
        assert status.status_code == 200
        assert status.json()["status"] == "sent"
        assert status.json()["message"]["attempts"] == 1
        assert status.json()["message"]["sent_at"] > 0
        # a broadcast, by role and karma
        await site.linked_users(2, role="staff")
        made = await web.post(
            "/api/site/notifications",
            json={"text": "staff only", "audience": {"roles": ["staff"]}},
        )
        assert made.status_code == 202
        assert made.json()["recipients"] == 2
        status = await web.get(f"/api/site/notifications/{made.json()['id']}")
        assert status.json()["queued"] == 2
        assert status.json()["kind"] == "broadcast"


async def test_the_site_api_refuses_what_it_cannot_send(site: Site) -> None:
    import httpx

    from tgpass.web.app import create_app

    await site.services.accounts.create_user(display_name="Nobody", site_user_id="lonely")
    transport = httpx.ASGITransport(app=create_app(site.services))
    async with httpx.AsyncClient(transport=transport, base_url=SITE, headers=AUTH) as web:
        url = "/api/site/users/lonely/notifications"
        not_linked = await web.post(url, json={"text": "hi"})
        assert not_linked.status_code == 409
        assert not_linked.json()["error"]["code"] == "not_linked"
        unknown = await web.post("/api/site/users/nobody/notifications", json={"text": "hi"})
        assert unknown.status_code == 404
        for bad in (
            {"text": ""},
            {"text": "x" * 4097},
            {"text": "hi", "parse_mode": "Markdown"},
            {"text": "hi", "buttons": [[{"text": "go", "url": "javascript:alert(1)"}]]},
            {"text": "hi", "buttons": [[]]},
        ):
            answer = await web.post(url, json=bad)
            assert answer.status_code == 422, (bad, answer.text)
        assert (await web.get("/api/site/notifications/ntf_none")).status_code == 404
        unauthorized = await web.post(url, json={"text": "hi"}, headers={"Authorization": ""})
        assert unauthorized.status_code == 401
        async with site.services.uow() as tx:
            assert sum((await tx.outbox.counts()).values()) == 0  # nothing half-written
