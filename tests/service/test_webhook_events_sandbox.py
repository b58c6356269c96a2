"""Every event type a site can hear, produced by doing the real thing against the sandbox
Telegram (real HTTP to its Bot API, the bot's updates read by polling): linking through the
bot, joining a gated chat, a join request declined, a karma drop that removes a member, a
member leaving, the bot demoted and promoted, blocking the bot, sharing a phone, notifications
delivered, refused and unreachable, a broadcast, an unlink and a deletion."""

from __future__ import annotations

import contextlib
from collections import Counter
from dataclasses import replace
from typing import Any

from telegram.error import NetworkError

from tests.harness.gated import ADMIN
from tests.harness.stack import API_KEY, Stack
from tests.harness.webhook_receiver import Receiver
from tgpass.domain.delivery import OutgoingMessage
from tgpass.domain.gating import ChatRule
from tgpass.domain.webhooks import EVENT_TYPES, Event
from tgpass.outbound import HttpWebhookTransport
from tgpass.service.notify import Audience
from tgpass.service.webhooks import Deliverer, DelivererConfig
from tgpass.verify import bot_id_from_token

SITE_KEY = {"Authorization": f"Bearer {API_KEY}"}


class Tour:
    def __init__(self, stack: Stack, endpoint_id: int) -> None:
        self.stack = stack
        self.endpoint_id = endpoint_id
        self.chat_id = 0
        self.seen = 0

    async def events(self) -> list[Event]:
        async with self.stack.services.uow() as tx:
            deliveries = await tx.webhooks.deliveries(self.endpoint_id, limit=10_000)
        return [d.event for d in reversed(deliveries)]

    async def new(self) -> list[Event]:
        events = await self.events()
        fresh, self.seen = events[self.seen :], len(events)
        return fresh

    async def settle(self) -> None:
        """What a running worker does: read updates, reconcile, answer join requests, send."""
        services = self.stack.services
        for _ in range(3):
            await self.pump()
            await services.gating.reconcile()
            await services.gating.answer_join_requests()
            await self.stack.drain()
        await self.pump()

    async def pump(self) -> None:
        with contextlib.suppress(NetworkError):
            await self.stack.pump()

    async def site_user(self, site_id: str, *, karma: int) -> int:
        body = {"display_name": site_id.title(), "karma": karma}
        answer = await self.stack.web.put(f"/api/site/users/{site_id}", json=body, headers=SITE_KEY)
        assert answer.status_code in {200, 201}, answer.text
        return (await self.stack.services.site.get(site_id)).user.id

    async def member(self, site_id: str, *, karma: int) -> tuple[int, int]:
        """A site user linked through the bot's /start: (user id, Telegram id)."""
        user_id = await self.site_user(site_id, karma=karma)
        telegram_id = await self.stack.new_tg_user(site_id.title(), phone_number="+15550100")
        offer = await self.stack.web.post(f"/api/site/users/{site_id}/link", headers=SITE_KEY)
        code = offer.json()["url"].rsplit("start=", 1)[1]
        await self.stack.users.start(telegram_id, self.stack.bot_username, code)
        await self.settle()
        return user_id, telegram_id

    async def invite_of(self, telegram_id: int) -> str:
        for message in reversed(await self.stack.bot_says(telegram_id)):
            for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
                for button in row:
                    if button.get("url", "").startswith(("https://t.me/+", "http")):
                        return str(button["url"])
        raise AssertionError(f"no invite for {telegram_id}")

    async def one(self, kind: str) -> dict[str, Any]:
        """The data of the one event of ``kind`` among those new since the last look."""
        found = [e for e in await self.new() if e.type == kind]
        assert len(found) == 1, (kind, found)
        return found[0].data


async def test_every_event_type_is_produced_by_the_real_thing(stack: Stack) -> None:
    services = stack.services
    endpoint = await services.webhooks.add("https://site.example/events")
    tour = Tour(stack, endpoint.id)
    bot = stack.bot_username
    bot_id = bot_id_from_token(stack.bot_token)

    # a gated chat: karma 100 or more
    owner = await stack.new_tg_user("Owner")
    chat = await stack.users.create_chat("Karma 100+", owner)
    tour.chat_id = chat_id = int(chat["id"])
    await stack.users.add_bot_to_chat(chat_id, bot_id, ADMIN)
    await tour.pump()
    await services.gating.set_rule(chat_id, ChatRule(min_karma=100))

    ann_id, ann = await tour.member("ann", karma=150)
    assert (await tour.one("account.linked"))["telegram_id"] == ann
    invite = await tour.invite_of(ann)
    bob_id, bob = await tour.member("bob", karma=10)
    await tour.new()
    await stack.users.open_invite(bob, invite)  # ann's link, leaked to bob
    await tour.settle()
    declined = await tour.one("chat.join_declined")
    assert (declined["user_id"], declined["telegram_id"]) == (bob_id, bob)
    assert "karma 10 < 100" in declined["reason"]

    await stack.users.open_invite(ann, invite)
    await tour.settle()
    joined = await tour.one("chat.member_joined")  # approved, and Telegram's update agrees
    assert joined == {
        "chat_id": chat_id,
        "chat_title": "Karma 100+",
        "user_id": ann_id,
        "site_user_id": "ann",
        "telegram_id": ann,
    }

    await tour.site_user("ann", karma=20)
    await tour.settle()
    events = await tour.new()
    assert [e.type for e in events] == ["account.standing_changed", "chat.member_removed"]
    standing, removed = (e.data for e in events)
    assert (standing["karma"], standing["previous_karma"]) == (20, 150)
    assert removed["telegram_id"] == ann and "karma 20" in removed["reason"]

    carol_id, carol = await tour.member("carol", karma=500)
    await stack.users.open_invite(carol, await tour.invite_of(carol))
    await tour.settle()
    await tour.new()
    await stack.users.leave(carol, chat_id)
    await tour.settle()
    left = await tour.one("chat.member_left")
    assert (left["user_id"], left["reason"]) == (carol_id, "left on their own")

    await stack.users.add_bot_to_chat(chat_id, bot_id, None)  # demoted to a plain member
    await tour.settle()
    paused = await tour.one("chat.paused")
    assert paused["chat_id"] == chat_id and "not an administrator" in paused["reason"]
    await stack.users.add_bot_to_chat(chat_id, bot_id, ADMIN)
    await tour.settle()
    resumed = await tour.one("chat.resumed")
    assert resumed["paused_reason"] == paused["reason"]

    await stack.users.share_contact(carol, bot)
    await tour.settle()
    assert (await tour.one("telegram.phone_shared"))["phone_number"] == "+15550100"

    # the bot blocked: the sender finds out first, the update after it changes nothing
    await stack.users.block(bob, bot)
    bob_user = (await services.site.get("bob")).user
    await services.notifications.send(bob_user, OutgoingMessage("Hello", None))
    await stack.drain()
    await tour.settle()
    assert [e.type for e in await tour.new()] == [
        "telegram.bot_blocked",
        "notification.unreachable",
    ]
    await stack.users.unblock(bob, bot)
    await tour.settle()
    assert (await tour.one("telegram.bot_unblocked"))["telegram_id"] == bob

    carol_user = (await services.site.get("carol")).user
    await services.notifications.send(carol_user, OutgoingMessage("Shipped", None))
    await services.notifications.send(carol_user, OutgoingMessage("<blink>no</blink>", "HTML"))
    await stack.drain()
    assert (await tour.one("notification.delivered"))["user_id"] == carol_id
    await tour.new()  # (the refused one was read with it)
    broadcast = await services.notifications.broadcast(OutgoingMessage("News", None), Audience())
    await stack.drain()
    completed = await tour.one("broadcast.completed")
    assert completed["notification_id"] == broadcast.id
    assert completed["recipients"] == completed["delivered"] == 3

    await stack.web.delete("/api/site/users/carol/telegram", headers=SITE_KEY)
    assert (await tour.one("account.unlinked"))["telegram_id"] == carol
    await stack.web.delete("/api/site/users/bob", headers=SITE_KEY)
    deleted = await tour.one("account.deleted")
    assert deleted == {"user_id": bob_id, "site_user_id": "bob", "telegram_id": bob}

    every = await tour.events()
    assert {e.type for e in every} == set(EVENT_TYPES) - {"webhook.test"}
    failed = [e for e in every if e.type == "notification.failed"]
    assert len(failed) == 1 and "parse" in failed[0].data["error"]
    # one user's events are in the order they happened, each naming that user
    anns = [e for e in every if e.subject == f"user:{ann_id}"]
    assert [e.type for e in anns] == [
        "account.signed_up",
        "account.linked",
        "chat.member_joined",
        "account.standing_changed",
        "chat.member_removed",
    ]
    assert all(e.data["user_id"] == ann_id for e in anns)

    # ...and each arrives once at a real endpoint, signed: verified as a site would, with
    # standardwebhooks and with svix (the tour's endpoint moved to a loopback receiver)
    async with Receiver() as site_endpoint:
        async with services.uow() as tx:
            registered = await tx.webhooks.endpoint(endpoint.id)
            assert registered is not None
            await tx.webhooks.save_endpoint(replace(registered, url=site_endpoint.url))
        transport = HttpWebhookTransport(allow_private=True)
        deliverer = Deliverer(services.uow, transport, services.metrics, DelivererConfig())
        try:
            while await deliverer.deliver_due():  # in order per user: round after round
                pass
        finally:
            await transport.close()
        assert site_endpoint.accepted_ids() == Counter({e.id: 1 for e in every})
        bodies = [request.verify(endpoint.secret) for request in site_endpoint.accepted()]
    assert sorted(body["type"] for body in bodies) == sorted(e.type for e in every)
