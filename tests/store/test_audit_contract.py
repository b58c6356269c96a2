"""The contract of the gating audit trail, on memory, SQLite and PostgreSQL, through the unit
of work."""

from __future__ import annotations

from tests.store.gated import BIG, NOW
from tgpass.service.uow import UnitOfWorkFactory


async def test_the_audit_trail_is_newest_first_and_filtered(uow: UnitOfWorkFactory) -> None:
    async with uow() as tx:
        for n, (chat, user) in enumerate([(-1, 1), (-2, 1), (-1, 2), (-1, None)]):
            await tx.audit.add(
                chat, f"a{n}", telegram_id=BIG + n, user_id=user, reason=f"r{n}", now=NOW
            )
    async with uow() as tx:
        await tx.audit.add(-1, "later", telegram_id=None, user_id=None, reason="x" * 600, now=NOW)
        log = await tx.audit.entries()
        assert [e.action for e in log] == ["later", "a3", "a2", "a1", "a0"]  # same time: as written
        assert log[0].reason == "x" * 500
        assert (log[1].chat_id, log[1].telegram_id, log[1].user_id, log[1].reason, log[1].at) == (
            -1,
            BIG + 3,
            None,
            "r3",
            NOW,
        )
        assert [e.action for e in await tx.audit.entries(chat_id=-1, limit=2)] == ["later", "a3"]
        assert [e.action for e in await tx.audit.entries(user_id=1)] == ["a1", "a0"]
        assert [e.action for e in await tx.audit.entries(chat_id=-1, user_id=1)] == ["a0"]
        ids = [e.id for e in log]
        assert ids == sorted(ids, reverse=True)
