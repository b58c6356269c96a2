"""Run the outbox the way the worker does, until nothing is due or waiting."""

from __future__ import annotations

import asyncio

from tgpass.bootstrap import Services


async def drain(services: Services, *, seconds: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        async with services.uow() as tx:
            counts = await tx.outbox.counts()
        if not counts["queued"] and not counts["sending"]:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"the outbox did not drain: {counts}")
        if not await services.sender.send_due():
            await asyncio.sleep(0.05)  # what is queued is not due yet (a retry's delay)
