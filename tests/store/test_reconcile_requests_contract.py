"""The contract of the requests waiting for the reconciler, on memory, SQLite and
PostgreSQL, through the unit of work."""

from __future__ import annotations

from tests.store.gated import NOW
from tgpass.service.uow import UnitOfWorkFactory


async def test_reconcile_requests_are_forgotten_up_to_the_pass_that_saw_them(
    uow: UnitOfWorkFactory,
) -> None:
    async with uow() as tx:
        assert await tx.reconcile_requests.last() == 0
        first = await tx.reconcile_requests.add("karma", now=NOW)
        second = await tx.reconcile_requests.add("link", now=NOW)
        assert second > first
        assert await tx.reconcile_requests.last() == second
    async with uow() as tx:
        await tx.reconcile_requests.reconciled(first)
        assert await tx.reconcile_requests.last() == second
        third = await tx.reconcile_requests.add("rule", now=NOW)
        await tx.reconcile_requests.reconciled(second)
        assert await tx.reconcile_requests.last() == third
        await tx.reconcile_requests.reconciled(third)
        assert await tx.reconcile_requests.last() == 0
