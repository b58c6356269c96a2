"""The contract of join requests waiting for an answer, on memory, SQLite and PostgreSQL,
through the unit of work."""

from __future__ import annotations

import pytest

from tests.store.gated import BIG, NOW, SUPER, join
from tgpass.domain.gating import JoinRequest
from tgpass.errors import NotFound
from tgpass.service.uow import UnitOfWorkFactory


async def test_join_requests_wait_until_answered_and_a_newer_one_replaces_the_old(
    uow: UnitOfWorkFactory,
) -> None:
    chat = SUPER.chat_id
    async with uow() as tx:
        await tx.chats.upsert_chat(SUPER)
        await tx.join_requests.add(join(BIG + 2, NOW + 1))
        await tx.join_requests.add(join(BIG + 1, NOW))
        with pytest.raises(NotFound):
            await tx.join_requests.add(join(BIG + 3, NOW, chat=-5))
    async with uow() as tx:
        assert await tx.join_requests.due(now=NOW, limit=10) == [join(BIG + 1, NOW)]
        due = await tx.join_requests.due(now=NOW + 5, limit=10)
        assert due == [join(BIG + 1, NOW), join(BIG + 2, NOW + 1)]
        assert await tx.join_requests.due(now=NOW + 5, limit=1) == due[:1]
        # answering failed: later, one attempt more
        await tx.join_requests.postpone(chat, BIG + 1, at=NOW, until=NOW + 60)
        # a newer request from the same account replaces the waiting one
        await tx.join_requests.add(join(BIG + 2, NOW + 2))
    async with uow() as tx:
        assert await tx.join_requests.due(now=NOW + 5, limit=10) == [join(BIG + 2, NOW + 2)]
        retried = JoinRequest(
            chat, BIG + 1, BIG + 1, NOW, "q1800000000.0", "l", language_code="ru", attempts=1
        )
        later = await tx.join_requests.due(now=NOW + 60, limit=10)
        assert later == [retried, join(BIG + 2, NOW + 2)]
        # the answer to the replaced request does not forget the newer one
        assert not await tx.join_requests.answered(chat, BIG + 2, at=NOW + 1)
        assert await tx.join_requests.answered(chat, BIG + 2, at=NOW + 2)
        assert await tx.join_requests.answered(chat, BIG + 1, at=NOW)
    async with uow() as tx:
        assert await tx.join_requests.due(now=NOW + 999, limit=10) == []
