"""The site's lists of gated chats cost a fixed number of queries, however many chats there
are: counted on the engine, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, cast

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.store.conftest import sql_engine
from tests.store.gated import BIG, NOW, RIGHTS
from tgpass.domain.accounts import TelegramProfile
from tgpass.domain.gating import Chat, ChatRule, Invitation
from tgpass.service.bot.texts import SiteUrls, Texts
from tgpass.service.gating import GatingService
from tgpass.store.sql import SqlUnitOfWork


@pytest.fixture(params=["sqlite", "postgres"])
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    async for made in sql_engine(request.param, tmp_path):
        yield made


def gating_on(engine: AsyncEngine) -> GatingService:
    """Only the unit of work is used by the reads counted here."""
    nothing = cast(Any, None)
    texts = Texts("Site", SiteUrls(account="https://site/account", bot_login="https://site/bot"))
    return GatingService(
        lambda: SqlUnitOfWork(engine), nothing, nothing, nothing, nothing, texts, clock=lambda: NOW
    )


async def add_chats(engine: AsyncEngine, user_id: int, first: int, count: int) -> None:
    """Gated chats with members in them and out, invites live and used, removals audited."""
    async with SqlUnitOfWork(engine) as tx:
        for n in range(first, first + count):
            chat_id = -100_000 - n
            await tx.chats.upsert_chat(Chat(chat_id, f"Chat {n}", "supergroup", RIGHTS))
            await tx.chats.set_rule(chat_id, ChatRule(min_karma=n))
            await tx.members.record(chat_id, BIG, "member", now=NOW, user_id=user_id)
            await tx.members.record(chat_id, BIG + 1, "administrator", now=NOW)
            await tx.members.record(chat_id, BIG + 2, "left", now=NOW)
            for k, telegram_id in enumerate((BIG, BIG + 3)):
                link = f"https://t.me/+q{n:06x}{k}"
                invite = Invitation(f"gate-{n}-{k}", user_id + k, telegram_id, NOW + 60, link)
                await tx.invites.add(chat_id, invite, now=NOW)
            await tx.audit.add(
                chat_id, "remove", telegram_id=BIG, user_id=user_id, reason="karma", now=NOW
            )
            await tx.audit.add(
                chat_id, "invite", telegram_id=BIG + 3, user_id=user_id + 1, reason="", now=NOW
            )


async def queries(engine: AsyncEngine, read: Callable[[], Awaitable[object]]) -> int:
    counted = 0

    def count(*_: object) -> None:
        nonlocal counted
        counted += 1

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        await read()
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)
    return counted


async def test_the_lists_of_chats_cost_the_same_for_one_chat_as_for_five(
    engine: AsyncEngine,
) -> None:
    gating = gating_on(engine)
    async with SqlUnitOfWork(engine) as tx:
        ann = await tx.accounts.create_user(display_name="Ann", karma=3)
        await tx.accounts.create_user(display_name="Bob")
        await tx.accounts.link_telegram(ann.id, TelegramProfile(BIG, "Ann"))
    reads: dict[str, Callable[[], Awaitable[object]]] = {
        "chats": gating.chats,
        "user_chats": lambda: gating.user_chats(ann.id),
        "audit_trail": gating.audit_trail,
    }

    await add_chats(engine, ann.id, 1, 1)
    one = {name: await queries(engine, read) for name, read in reads.items()}
    assert len(await gating.chats()) == 1
    await add_chats(engine, ann.id, 2, 4)
    five = {name: await queries(engine, read) for name, read in reads.items()}
    assert five == one, (one, five)

    views = await gating.chats()
    assert [(v.members, v.live_invites, v.blocked) for v in views] == [(2, 2, None)] * 5
    found = await gating.user_chats(ann.id)
    assert [(f.eligible, f.invited, f.status, f.blocked) for f in found] == [
        (n <= 3, True, "member", None) for n in (5, 4, 3, 2, 1)
    ]
    assert all(f.removed is not None and f.removed.reason == "karma" for f in found)
    trail = await gating.audit_trail()
    assert len(trail) == 10
    assert {line.user.display_name for line in trail if line.user is not None} == {"Ann", "Bob"}
