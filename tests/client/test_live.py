"""Every method of the client, sync and async, against a running service: the app served by
uvicorn on a loopback port, its worker reading the sandbox Telegram's updates, sending
notifications and delivering events to a loopback endpoint, as ``tgpass serve`` runs.

One scenario drives both clients: the async one as it is, the sync one with each call made
in a thread of its own (a blocking call in the test's event loop would stall the server
that runs there)."""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.harness.gated import ADMIN
from tests.harness.site import API_KEY, loopback, running_site, sandbox_bot, sandbox_settings
from tests.harness.webhook_receiver import Receiver
from tgpass.client import (
    AsyncClient,
    Button,
    Client,
    IdempotencyMismatch,
    InvalidRequest,
    NotificationStatus,
    RequestConflict,
    ResourceNotFound,
    Unauthorized,
)
from tgpass.errors import AuthError, Conflict, InvalidInput, NotFound
from tgpass.sandbox.server import SandboxUsers
from tgpass.verify import bot_id_from_token

BOT = "client_test_bot"
ANN = "ann 7"  # a site id with a space: one path segment, quoted


@dataclass
class Live:
    url: str
    users: SandboxUsers
    bot_id: int
    hooks: Receiver


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[Live]:
    port, url = loopback()
    async with (
        Receiver() as hooks,
        sandbox_bot(BOT) as (sandbox, bot),
    ):
        settings = sandbox_settings(
            sandbox, bot["token"], tmp_path, public_url=url, events_allow_private_urls=True
        )
        async with running_site(settings, port=port, lifespan="on", polling=True) as site:
            assert sandbox.users is not None
            yield Live(site.url, sandbox.users, bot_id_from_token(bot["token"]), hooks)


class Threaded:
    """A sync ``Client`` awaited like an ``AsyncClient``: each call in a thread."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def __getattr__(self, name: str) -> Callable[..., Awaitable[Any]]:
        method = getattr(self.client, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            return await asyncio.to_thread(functools.partial(method, *args, **kwargs))

        return call


async def progress(api: Any, notification_id: str) -> list[NotificationStatus]:
    if isinstance(api, Threaded):
        found = api.client.iter_progress(notification_id, interval=0.1, timeout=20)
        return await asyncio.to_thread(list, found)
    return [s async for s in api.iter_progress(notification_id, interval=0.1, timeout=20)]


async def eventually(check: Callable[[], Awaitable[Any]], what: str) -> Any:
    deadline = time.monotonic() + 20
    while not (found := await check()):
        assert time.monotonic() < deadline, f"{what}: not in time"
        await asyncio.sleep(0.05)
    return found


async def users_and_notifications(api: Any, live: Live) -> None:
    made = await api.upsert_user(ANN, display_name="Ann", role="customer", karma=120)
    assert (made.site_user_id, made.user.role, made.user.karma) == (ANN, "customer", 120)
    assert made.linked is False and made.telegram is None
    changed = await api.upsert_user(ANN, display_name="Ann B.", role="customer", karma=150)
    assert changed.user.id == made.user.id and changed.user.display_name == "Ann B."
    assert (await api.get_user(ANN)).user.karma == 150

    with pytest.raises(ResourceNotFound) as missing:
        await api.get_user("nobody")
    assert (missing.value.status, missing.value.code) == (404, "not_found")
    assert isinstance(missing.value, NotFound)
    with pytest.raises(InvalidRequest) as bad_role:
        await api.upsert_user("x", display_name="X", role="Bad Role!")
    assert (bad_role.value.status, bad_role.value.field) == (422, "role")
    assert isinstance(bad_role.value, InvalidInput)
    with pytest.raises(RequestConflict) as unlinked:
        await api.notify(ANN, "not yet")
    assert (unlinked.value.status, unlinked.value.code) == (409, "not_linked")
    assert isinstance(unlinked.value, Conflict)

    offer = await api.create_link(ANN)
    assert "start=" in offer.url and offer.expires_at > time.time()
    tg = int((await live.users.create_user("Ann"))["id"])
    await live.users.start(tg, BOT, offer.url.rsplit("start=", 1)[1])

    async def linked() -> Any:
        found = await api.get_user(ANN)
        return found if found.linked else None

    found = await eventually(linked, "Ann linked through the bot")
    assert found.telegram is not None and found.telegram.id == tg

    buttons = [[Button("Track it", "https://example.org/orders/17")]]
    sent = await api.notify(ANN, "Your order <b>shipped</b>", parse_mode="HTML", buttons=buttons)
    assert sent.status == "queued" and sent.id.startswith("ntf_") and not sent.replayed
    again = await api.notify(ANN, "Once", idempotency_key="order-17")
    repeat = await api.notify(ANN, "Once", idempotency_key="order-17")
    assert repeat.id == again.id and repeat.replayed and not again.replayed
    with pytest.raises(IdempotencyMismatch) as mismatch:
        await api.notify(ANN, "Another body", idempotency_key="order-17")
    assert mismatch.value.code == "idempotency_mismatch" and mismatch.value.status == 409
    done = await api.wait_for_notification(sent.id, interval=0.1, timeout=20)
    assert done.kind == "single" and done.status == "sent" and done.sent == 1
    assert done.message is not None and done.message.state == "sent"
    assert done.message.sent_at is not None
    now = await api.get_notification(sent.id)
    assert now.id == sent.id and now.done

    broadcast = await api.broadcast("Meetup on Friday", roles=["customer"], min_karma=100)
    assert broadcast.recipients == 1
    steps = await progress(api, broadcast.id)
    assert steps[-1].done and steps[-1].status == "done"
    assert (steps[-1].sent, steps[-1].settled) == (1, 1)
    assert all(not s.done for s in steps[:-1])
    texts = [m["text"] for m in (await live.users.dialog(tg, BOT))["messages"]]
    assert "Your order shipped" in texts and "Meetup on Friday" in texts


async def gated_chats(api: Any, live: Live) -> None:
    owner = int((await live.users.create_user("Olga"))["id"])
    chat_id = int((await live.users.create_chat("Karma 100+", owner))["id"])
    await live.users.add_bot_to_chat(chat_id, live.bot_id, ADMIN)

    async def known() -> Any:
        return [c for c in await api.list_chats() if c.chat_id == chat_id]

    [chat] = await eventually(known, "the chat registered by my_chat_member")
    assert (chat.title, chat.status, chat.rule) == ("Karma 100+", "not_gated", None)
    assert chat.missing_rights == ()
    gated = await api.set_chat_rule(chat_id, min_karma=100, roles=["customer"], managed=False)
    assert gated.status == "gated" and gated.gated and gated.managed is False
    assert gated.rule is not None and gated.rule.min_karma == 100
    assert gated.rule.roles == ("customer",)
    assert (await api.get_chat(chat_id)).rule == gated.rule
    plans = await api.chat_plan()
    assert all(isinstance(p.changes, tuple) for p in plans)
    assert chat_id in {p.chat_id for p in plans}
    standing = await api.user_chats(ANN)
    assert standing.site_user_id == ANN
    [here] = [c for c in standing.chats if c.chat_id == chat_id]
    assert here.eligible and here.reasons == ()
    trail = await api.chat_audit(chat_id, limit=10)
    assert "rule" in {entry.action for entry in trail}
    assert all(entry.chat_id == chat_id for entry in trail)
    mine = await api.user_audit(ANN, limit=10)
    assert all(entry.site_user_id in (ANN, None) for entry in mine)
    stopped = await api.remove_chat_rule(chat_id)
    assert stopped.rule is None and stopped.status == "not_gated"
    with pytest.raises(ResourceNotFound):
        await api.get_chat(-100999)


async def oidc_clients(api: Any) -> None:
    made = await api.register_oidc_client(
        "Grafana",
        ["https://grafana.example.com/login/generic_oauth"],
        post_logout_redirect_uris=["https://grafana.example.com/login"],
        scopes=["openid", "profile"],
    )
    assert made.client_secret and made.client_secret not in repr(made)
    assert made.token_endpoint_auth_method == "client_secret_basic"
    phone = await api.register_oidc_client("Phone", ["com.example.app:/cb"], public=True)
    assert phone.client_secret is None and phone.token_endpoint_auth_method == "none"
    listed = {c.client_id: c for c in await api.list_oidc_clients()}
    assert listed[made.client_id].client_secret is None  # shown once only
    assert listed[made.client_id].scopes == ("openid", "profile")
    assert phone.client_id in listed


async def webhooks(api: Any, live: Live) -> None:
    with pytest.raises(InvalidRequest) as bad:
        await api.add_webhook(live.hooks.url, events=["account.exploded"])
    assert bad.value.status == 422
    made = await api.add_webhook(live.hooks.url, events=["account.linked"], description="shop")
    assert made.secret.startswith("whsec_") and made.enabled and made.events == ("account.linked",)
    assert [e.id for e in await api.list_webhooks()] == [made.id]
    assert (await api.get_webhook(made.id)).description == "shop"
    off = await api.update_webhook(made.id, enabled=False, description="the shop")
    assert off.enabled is False and off.description == "the shop"
    assert off.events == ("account.linked",)  # left as it was
    every = await api.update_webhook(made.id, enabled=True, events=None)
    assert every.enabled and len(every.events) > 1

    sent = await api.test_webhook(made.id)
    assert sent.type == "webhook.test"
    await live.hooks.wait_accepted({sent.event_id})
    assert live.hooks.accepted()[-1].verify(made.secret)["type"] == "webhook.test"

    async def delivered() -> Any:
        found = await api.webhook_deliveries(made.id, limit=10)
        return [d for d in found if d.event_id == sent.event_id and d.status == "delivered"]

    [delivery] = await eventually(delivered, "the test's delivery recorded")
    assert delivery.attempts == 1 and delivery.last_status == 204
    retried = await api.retry_delivery(made.id, sent.event_id)
    assert (retried.event_id, retried.status) == (sent.event_id, "pending")
    rotated = await api.rotate_webhook_secret(made.id)
    assert rotated.id == made.id and rotated.secret != made.secret
    assert rotated.previous_secret_until is not None and rotated.secret not in repr(rotated)
    with pytest.raises(ResourceNotFound):
        await api.retry_delivery(made.id, "msg_nothing")
    await api.delete_webhook(made.id)
    with pytest.raises(ResourceNotFound) as gone:
        await api.get_webhook(made.id)
    assert gone.value.status == 404


async def unlink_and_delete(api: Any) -> None:
    await api.unlink_user(ANN)
    assert (await api.get_user(ANN)).linked is False
    with pytest.raises(ResourceNotFound) as again:
        await api.unlink_user(ANN)
    assert again.value.code == "not_linked"
    await api.delete_user(ANN)
    with pytest.raises(ResourceNotFound):
        await api.get_user(ANN)


async def scenario(api: Any, wrong_key: Any, live: Live) -> None:
    with pytest.raises(Unauthorized) as refused:
        await wrong_key.get_user(ANN)
    assert (refused.value.status, refused.value.code) == (401, "unauthorized")
    assert isinstance(refused.value, AuthError)
    await users_and_notifications(api, live)
    await gated_chats(api, live)
    await oidc_clients(api)
    await webhooks(api, live)
    await unlink_and_delete(api)


async def test_every_call_of_the_async_client(live: Live) -> None:
    async with (
        AsyncClient(live.url, API_KEY, timeout=10) as api,
        AsyncClient(live.url, "wrong-key") as wrong,
    ):
        await scenario(api, wrong, live)


async def test_every_call_of_the_sync_client(live: Live) -> None:
    with Client(live.url, API_KEY, timeout=10) as api, Client(live.url, "wrong-key") as wrong:
        await scenario(Threaded(api), Threaded(wrong), live)
