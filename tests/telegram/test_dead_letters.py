"""An update whose handling fails changes nothing, is kept as a dead letter, never blocks the
next update, and is handled afresh when it comes again."""

from __future__ import annotations

from typing import Any

import pytest

from tests.harness.stack import Stack
from tgpass.domain.accounts import TelegramProfile
from tgpass.service.bot.core import Message


async def test_a_failing_update_is_a_dead_letter_and_blocks_nothing(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    await stack.register("ann")
    offer = (await stack.web.post("/api/link")).json()["url"]
    code = offer.rpartition("start=")[2]
    tg = await stack.new_tg_user("Ann")
    await stack.users.start(tg, stack.bot_username)  # the chat exists
    await stack.pump()
    before = len(await stack.bot_says(tg))
    real = stack.services.linking.redeem

    async def broken(*args: Any, **kwargs: Any) -> Any:
        await real(*args, **kwargs)  # the code is consumed inside the transaction ...
        raise RuntimeError("a bug")  # ... which then rolls back whole

    monkeypatch.setattr(stack.services.linking, "redeem", broken)
    sender = TelegramProfile(telegram_id=tg, first_name="Ann")
    update = Message(update_id=500, chat_id=tg, sender=sender, text=f"/start {code}")
    assert (await stack.services.bot.handle(update, raw='{"update_id": 500}')).outcome == "failed"
    async with stack.services.uow() as tx:
        [dead] = await tx.updates.failed()
    assert (dead.update_id, dead.payload) == (500, '{"update_id": 500}')
    assert "a bug" in dead.error
    assert (await stack.web.get("/api/link")).json()["linked"] is False  # nothing half-done
    assert len(await stack.bot_says(tg)) == before  # and nothing false said
    # the next update goes through
    help_update = Message(update_id=501, chat_id=tg, sender=sender, text="/help")
    assert (await stack.services.bot.handle(help_update)).outcome == "handled"
    # the bug fixed, the same update comes again: handled afresh, with the code still good
    monkeypatch.setattr(stack.services.linking, "redeem", real)
    assert (await stack.services.bot.handle(update)).outcome == "handled"
    assert "Linked!" in (await stack.bot_says(tg))[-1]["text"]
    assert (await stack.web.get("/api/link")).json()["linked"] is True
    async with stack.services.uow() as tx:
        assert await tx.updates.failed() == []


async def test_a_new_link_code_revokes_the_last_and_the_account_shows_it(stack: Stack) -> None:
    await stack.register("ann")
    first = (await stack.web.post("/api/link")).json()
    second = (await stack.web.post("/api/link")).json()
    status = (await stack.web.get("/api/link")).json()
    assert status["pending"]["expires_at"] == pytest.approx(second["expires_at"])
    tg = await stack.new_tg_user("Ann")
    await stack.users.open_link(tg, first["url"])
    await stack.users.start(tg, stack.bot_username)
    await stack.pump()
    assert "expired or was already used" in (await stack.bot_says(tg))[-1]["text"]
    cancelled = await stack.web.delete("/api/link/code")
    assert cancelled.status_code == 200
    assert (await stack.web.get("/api/link")).json()["pending"] is None
    await stack.users.open_link(tg, second["url"])
    await stack.users.start(tg, stack.bot_username)
    await stack.pump()
    assert "expired or was already used" in (await stack.bot_says(tg))[-1]["text"]
    assert (await stack.web.get("/api/link")).json()["linked"] is False
