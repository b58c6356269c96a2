"""Paths of the outbox and the bot that faults take: a group that became a supergroup, a
failing answerCallbackQuery, and what /metrics tells an operator."""

from __future__ import annotations

from pathlib import Path

from tests.harness.draining import drain
from tests.harness.served import SITE_AUTH, WEBHOOK_SECRET, served
from tests.harness.stack import Stack
from tgpass.domain.accounts import TelegramProfile
from tgpass.domain.delivery import NewMessage, OutgoingMessage
from tgpass.errors import TelegramTransient
from tgpass.service.bot.core import ButtonPress


async def test_a_message_to_an_upgraded_group_is_retried_on_its_new_id(stack: Stack) -> None:
    owner = await stack.new_tg_user("Owner")
    group = await stack.users.create_chat("Old group", owner, type="group")
    bot_id = int(stack.bot_token.split(":")[0])
    await stack.users.add_bot_to_chat(int(group["id"]), bot_id)
    supergroup = await stack.users.upgrade_group(int(group["id"]))
    async with stack.services.uow() as tx:
        [row] = await tx.outbox.add(
            [NewMessage(int(group["id"]), OutgoingMessage("to the group", None))],
            now=0,
            deadline=10**10,
        )
    await drain(stack.services)
    async with stack.services.uow() as tx:
        item = await tx.outbox.get(row)
    assert item is not None
    assert (item.state, item.chat_id) == ("sent", int(supergroup["id"]))
    assert "migrated" in (item.last_error or "")


async def test_a_failing_callback_answer_still_handles_the_press(tmp_path: Path) -> None:
    async with served("sqlite+memory", tmp_path) as site:
        telegram = site.services.telegram

        async def failing(callback_query_id: str, text: str | None = None) -> None:
            raise TelegramTransient("Bad Gateway", method="answerCallbackQuery")

        telegram.answer_callback = failing  # type: ignore[method-assign]
        press = ButtonPress(
            update_id=1,
            callback_query_id="cq-1",
            chat_id=7,
            sender=TelegramProfile(telegram_id=7, first_name="Ann"),
            data="move:no-such-token",
        )
        assert (await site.services.bot.handle(press)).outcome == "handled"
        assert telegram.texts_to(7) == ["Nothing changed: the link stays where it was."]  # type: ignore[attr-defined]
        update = {
            "update_id": 2,
            "callback_query": {
                "id": "cq-2",
                "chat_instance": "1",
                "from": {"id": 7, "is_bot": False, "first_name": "Ann"},
                "data": "keep:no-such-token",
            },
        }
        answer = await site.web.post(
            "/telegram/webhook",
            json=update,
            headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET},
        )
        assert answer.status_code == 200


async def test_metrics_tell_the_outbox_and_the_sends(tmp_path: Path) -> None:
    async with served("sqlite+memory", tmp_path) as site:
        ann = await site.services.accounts.create_user(display_name="Ann", site_user_id="a")
        profile = TelegramProfile(telegram_id=5, first_name="Ann")
        await site.services.accounts.link_telegram(ann.id, profile, chat_id=5)
        sent = await site.web.post(
            "/api/site/users/a/notifications", json={"text": "hi"}, headers=SITE_AUTH
        )
        assert sent.status_code == 202
        before = (await site.web.get("/metrics")).text
        assert 'tgpass_outbox_messages{state="queued"} 1.0' in before
        await drain(site.services)
        after = (await site.web.get("/metrics")).text
        assert 'tgpass_outbox_messages{state="sent"} 1.0' in after
        assert 'tgpass_sends_total{outcome="ok"} 1.0' in after
        assert "tgpass_send_seconds_count 1.0" in after
