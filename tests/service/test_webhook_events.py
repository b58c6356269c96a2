"""Events for the site, each produced by doing the real thing on the in-memory stores: the
account lifecycle, the bot blocked and allowed again, a phone shared, notifications
delivered, failed and unreachable, a broadcast completed. Each is recorded in the change's
own transaction: a use case that rolls back records nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.harness.draining import drain
from tests.harness.fakes import RecordingTelegram
from tgpass.bootstrap import Services, build, memory_stores
from tgpass.domain.accounts import TelegramProfile
from tgpass.domain.delivery import OutgoingMessage
from tgpass.domain.webhooks import Event
from tgpass.errors import NotFound, TelegramRefused
from tgpass.service.bot.core import BlockChange, Message
from tgpass.service.events import AccountChanged
from tgpass.service.notify import Audience
from tgpass.service.uow import UnitOfWork
from tgpass.settings import Settings

TOKEN = "7000000004:AAF-in-memory-token"
ANN = TelegramProfile(telegram_id=5_000_000_001, first_name="Ann", username="ann_tg")
BOB = TelegramProfile(telegram_id=5_000_000_002, first_name="Bob")


class PickyTelegram(RecordingTelegram):
    """Refuses (a 4xx) every message to the chats in ``refusing``."""

    def __init__(self) -> None:
        super().__init__()
        self.refusing: set[int] = set()

    async def send(self, chat_id: int, message: OutgoingMessage, *, paid: bool = False) -> int:
        if chat_id in self.refusing:
            raise TelegramRefused("Bad Request: can't parse entities")
        return await super().send(chat_id, message, paid=paid)


@pytest.fixture
async def services() -> AsyncIterator[Services]:
    settings = Settings.from_mapping({"bot_token": TOKEN, "database_url": "sqlite+aiosqlite:///"})
    built = await build(settings, stores=memory_stores(), telegram=PickyTelegram())
    yield built
    await built.close()


class Heard:
    """What one endpoint (asking for every type) has recorded for delivery, oldest first."""

    def __init__(self, services: Services, endpoint_id: int) -> None:
        self.services = services
        self.endpoint_id = endpoint_id
        self.seen = 0

    @classmethod
    async def listen(cls, services: Services) -> Heard:
        endpoint = await services.webhooks.add("https://site.example/events")
        return cls(services, endpoint.id)

    async def all(self) -> list[Event]:
        async with self.services.uow() as tx:
            deliveries = await tx.webhooks.deliveries(self.endpoint_id, limit=10_000)
        return [d.event for d in reversed(deliveries)]

    async def new(self) -> list[Event]:
        """The events recorded since the last call."""
        events = await self.all()
        fresh, self.seen = events[self.seen :], len(events)
        return fresh

    async def types(self) -> list[str]:
        return [e.type for e in await self.new()]


async def linked(services: Services, site_id: str, profile: TelegramProfile, update: int) -> int:
    """A site user linked through the bot's /start; their user id."""
    found, _ = await services.site.upsert(site_id, display_name=profile.first_name, karma=5)
    offer = await services.site.offer_link(site_id)
    start = Message(update, profile.telegram_id, profile, text=f"/start {offer.code}")
    assert (await services.bot.handle(start)).outcome == "handled"
    return found.user.id


def ids(user_id: int | None, site_user_id: str | None, telegram_id: int | None) -> dict[str, Any]:
    return {"user_id": user_id, "site_user_id": site_user_id, "telegram_id": telegram_id}


async def test_the_account_lifecycle_is_announced_in_order(services: Services) -> None:
    heard = await Heard.listen(services)
    found, _ = await services.site.upsert("u-1", display_name="Ann", role="member", karma=5)
    user_id = found.user.id
    [made] = await heard.new()
    assert made.type == "account.signed_up"
    assert made.subject == f"user:{user_id}"
    assert made.data == {
        **ids(user_id, "u-1", None),
        "display_name": "Ann",
        "username": None,
        "role": "member",
        "karma": 5,
    }
    await services.site.upsert("u-1", display_name="Ann B.", role="member", karma=5)
    assert await heard.new() == []  # a new name is no change of standing
    await services.site.upsert("u-1", display_name="Ann", role="staff", karma=150)
    [changed] = await heard.new()
    assert changed.type == "account.standing_changed"
    assert changed.data == {
        **ids(user_id, "u-1", None),
        "role": "staff",
        "karma": 150,
        "previous_role": "member",
        "previous_karma": 5,
    }
    offer = await services.site.offer_link("u-1")
    start = Message(1, ANN.telegram_id, ANN, text=f"/start {offer.code}")
    assert (await services.bot.handle(start)).outcome == "handled"
    [link] = await heard.new()
    assert link.type == "account.linked"
    assert link.data == {**ids(user_id, "u-1", ANN.telegram_id), "telegram_username": "ann_tg"}
    await services.site.unlink("u-1")
    [unlink] = await heard.new()
    assert (unlink.type, unlink.data) == ("account.unlinked", ids(user_id, "u-1", ANN.telegram_id))
    await services.site.delete("u-1")
    [deleted] = await heard.new()
    assert (deleted.type, deleted.data) == ("account.deleted", ids(user_id, "u-1", None))
    assert {e.subject for e in await heard.all()} == {f"user:{user_id}"}


async def test_deleting_a_linked_account_names_its_telegram(services: Services) -> None:
    user_id = await linked(services, "u-2", BOB, 1)
    heard = await Heard.listen(services)
    await services.site.delete("u-2")
    [deleted] = await heard.new()
    assert deleted.data == ids(user_id, "u-2", BOB.telegram_id)


async def test_a_telegram_sign_up_is_signed_up_and_linked(services: Services) -> None:
    heard = await Heard.listen(services)
    user = await services.auth.telegram_user(ANN, chat_id=ANN.telegram_id)
    signed_up, link = await heard.new()
    assert signed_up.type == "account.signed_up"
    assert signed_up.data["telegram_id"] == ANN.telegram_id
    assert signed_up.data["site_user_id"] is None  # made on tgpass: the site has no id for it
    assert (link.type, link.data["user_id"]) == ("account.linked", user.id)


async def test_a_password_sign_up_is_announced(services: Services) -> None:
    heard = await Heard.listen(services)
    user = await services.auth.register("carol", "correct horse battery")
    [made] = await heard.new()
    assert made.type == "account.signed_up"
    assert made.data["username"] == "carol" and made.data["user_id"] == user.id


async def test_blocking_the_bot_is_announced_once_per_change(services: Services) -> None:
    user_id = await linked(services, "u-1", ANN, 1)
    heard = await Heard.listen(services)
    await services.bot.handle(BlockChange(2, ANN.telegram_id, blocked=True))
    await services.bot.handle(BlockChange(3, ANN.telegram_id, blocked=True))  # told again
    await services.bot.handle(BlockChange(4, ANN.telegram_id, blocked=False))
    events = await heard.new()
    assert [e.type for e in events] == ["telegram.bot_blocked", "telegram.bot_unblocked"]
    assert events[0].data == ids(user_id, "u-1", ANN.telegram_id)
    # the sender finds them gone: blocked once, however many messages bounce
    telegram = services.telegram
    assert isinstance(telegram, RecordingTelegram)
    telegram.blocked.add(ANN.telegram_id)
    found = await services.site.get("u-1")
    await services.notifications.send(found.user, OutgoingMessage("one", None))
    await services.notifications.send(found.user, OutgoingMessage("two", None))
    await drain(services)
    types = await heard.types()
    assert types.count("telegram.bot_blocked") == 1
    assert types.count("notification.unreachable") == 2
    # writing to the bot again unblocks it
    telegram.blocked.discard(ANN.telegram_id)
    hello = Message(5, ANN.telegram_id, ANN, text="/me")
    await services.bot.handle(hello)
    assert await heard.types() == ["telegram.bot_unblocked"]


async def test_a_shared_phone_is_announced(services: Services) -> None:
    user_id = await linked(services, "u-1", ANN, 1)
    heard = await Heard.listen(services)
    contact = Message(
        2,
        ANN.telegram_id,
        ANN,
        contact_user_id=ANN.telegram_id,
        contact_phone="+15550001",
    )
    await services.bot.handle(contact)
    [shared] = await heard.new()
    assert shared.type == "telegram.phone_shared"
    assert shared.data == {**ids(user_id, "u-1", ANN.telegram_id), "phone_number": "+15550001"}
    await services.bot.handle(contact.__class__(**{**_fields(contact), "update_id": 3}))
    assert await heard.new() == []  # the same number again changes nothing


def _fields(message: Message) -> dict[str, Any]:
    return {name: getattr(message, name) for name in message.__slots__}


async def test_each_notification_tells_what_became_of_it(services: Services) -> None:
    ann_id = await linked(services, "u-1", ANN, 1)
    bob_id = await linked(services, "u-2", BOB, 2)
    await drain(services)  # the bot's replies are no notifications: nothing for the site
    heard = await Heard.listen(services)
    telegram = services.telegram
    assert isinstance(telegram, PickyTelegram)
    telegram.refusing.add(BOB.telegram_id)
    ann = (await services.site.get("u-1")).user
    bob = (await services.site.get("u-2")).user
    sent = await services.notifications.send(ann, OutgoingMessage("Shipped", None))
    refused = await services.notifications.send(bob, OutgoingMessage("Shipped", None))
    assert await heard.new() == []  # nothing is settled before it is sent
    await drain(services)
    by_type = {e.type: e for e in await heard.new()}
    assert set(by_type) == {"notification.delivered", "notification.failed"}
    delivered = by_type["notification.delivered"]
    assert delivered.subject == f"user:{ann_id}"
    assert delivered.data == {
        "notification_id": sent.id,
        **ids(ann_id, "u-1", ANN.telegram_id),
        "message_id": delivered.data["message_id"],
    }
    assert isinstance(delivered.data["message_id"], int)
    failed = by_type["notification.failed"]
    assert failed.data["notification_id"] == refused.id
    assert failed.data["user_id"] == bob_id and "can't parse" in failed.data["error"]


async def test_a_notification_to_a_user_known_to_block_the_bot_is_unreachable_at_once(
    services: Services,
) -> None:
    user_id = await linked(services, "u-1", ANN, 1)
    await services.bot.handle(BlockChange(2, ANN.telegram_id, blocked=True))
    heard = await Heard.listen(services)
    ann = (await services.site.get("u-1")).user
    accepted = await services.notifications.send(ann, OutgoingMessage("Shipped", None))
    [unreachable] = await heard.new()  # never queued: the site hears at once
    assert unreachable.type == "notification.unreachable"
    assert unreachable.data == {
        "notification_id": accepted.id,
        **ids(user_id, "u-1", ANN.telegram_id),
        "error": "the user has blocked the bot",
    }


async def test_a_broadcast_completes_once_with_its_counts(services: Services) -> None:
    await linked(services, "u-1", ANN, 1)
    await linked(services, "u-2", BOB, 2)
    carol = TelegramProfile(telegram_id=5_000_000_003, first_name="Carol")
    await linked(services, "u-3", carol, 3)
    await services.bot.handle(BlockChange(4, carol.telegram_id, blocked=True))
    await drain(services)
    heard = await Heard.listen(services)
    telegram = services.telegram
    assert isinstance(telegram, PickyTelegram)
    telegram.refusing.add(BOB.telegram_id)
    accepted = await services.notifications.broadcast(OutgoingMessage("News", None), Audience())
    assert accepted.recipients == 3
    assert await heard.new() == []
    # one row at a time: only the last settlement completes it
    for _ in range(3):
        await services.sender.send_due(limit=1)
    [completed] = await heard.new()  # no per-recipient events for a broadcast
    assert completed.type == "broadcast.completed"
    assert completed.data == {
        "notification_id": accepted.id,
        "recipients": 3,
        "delivered": 1,
        "failed": 1,
        "unreachable": 1,
    }
    await drain(services)
    assert await heard.new() == []


async def test_a_broadcast_nobody_can_receive_completes_when_stored(services: Services) -> None:
    heard = await Heard.listen(services)
    accepted = await services.notifications.broadcast(
        OutgoingMessage("News", None), Audience(roles=("nobody",))
    )
    [completed] = await heard.new()
    assert completed.data == {
        "notification_id": accepted.id,
        "recipients": 0,
        "delivered": 0,
        "failed": 0,
        "unreachable": 0,
    }


async def test_a_use_case_rolled_back_announces_nothing(services: Services) -> None:
    heard = await Heard.listen(services)

    async def fails(tx: UnitOfWork, event: AccountChanged) -> None:
        raise RuntimeError("the change fails after it was announced")

    services.site.events.subscribe(fails)  # after the announcing subscriber
    with pytest.raises(RuntimeError):
        await services.site.upsert("u-1", display_name="Ann", karma=5)
    with pytest.raises(NotFound):  # the account was not made either
        await services.site.get("u-1")
    assert await heard.all() == []


async def test_linking_another_telegram_unlinks_the_one_it_replaces(services: Services) -> None:
    user_id = await linked(services, "u-1", ANN, 1)
    heard = await Heard.listen(services)
    offer = await services.site.offer_link("u-1")
    start = Message(2, BOB.telegram_id, BOB, text=f"/start {offer.code}")
    assert (await services.bot.handle(start)).outcome == "handled"
    unlinked, link = await heard.new()
    assert (unlinked.type, unlinked.data) == (
        "account.unlinked",
        ids(user_id, "u-1", ANN.telegram_id),
    )
    assert (link.type, link.data["telegram_id"]) == ("account.linked", BOB.telegram_id)


async def test_a_telegram_login_that_lets_the_bot_write_unblocks_it(services: Services) -> None:
    user_id = await linked(services, "u-1", ANN, 1)
    await services.bot.handle(BlockChange(2, ANN.telegram_id, blocked=True))
    heard = await Heard.listen(services)
    await services.auth.sign_in_oidc(ANN, phone_number="+15550002", bot_access=True)
    unblocked, shared = await heard.new()
    assert (unblocked.type, unblocked.data) == (
        "telegram.bot_unblocked",
        ids(user_id, "u-1", ANN.telegram_id),
    )
    assert (shared.type, shared.data["phone_number"]) == ("telegram.phone_shared", "+15550002")
    await services.auth.sign_in_oidc(ANN, phone_number="+15550002", bot_access=True)
    assert await heard.new() == []  # nothing changed the second time
