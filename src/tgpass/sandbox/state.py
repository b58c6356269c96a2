"""The state of one sandbox server: the simulated world and what serves it (the signer, the
faults, webhook deliveries, long-poll wake-ups, Telegram Login's provider). The server's
routers take it; it knows none of them."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import asdict
from typing import Any

from .faults import FaultInjector
from .mini_app import SandboxSigner
from .oidc import SandboxOidcProvider
from .users import UserActions
from .webhooks import WebhookDelivery
from .world import Bot, World

Json = dict[str, Any]


class SandboxState:
    """One simulated Telegram and what serves it: signer, faults, webhooks, long-poll wake-ups."""

    def __init__(
        self,
        world: World,
        *,
        signer: SandboxSigner | None = None,
        seed: int | None = None,
        oidc_issuer: str | None = None,
    ) -> None:
        self.world = world
        self.signer = signer or SandboxSigner()
        self.oidc = SandboxOidcProvider(world)
        # the OpenID Connect issuer, e.g. http://127.0.0.1:8081/oauth; left out, each request
        # names it after the address it came to
        self.oidc_issuer = oidc_issuer
        self.users = UserActions(world, self.signer)
        self.faults = FaultInjector(world.clock, seed)
        self.changed = asyncio.Condition()
        self.webhooks = WebhookDelivery(world, self.faults, self.wait_for_updates)
        self.closing = False

    async def close(self) -> None:
        """Answer every open long poll now and stop webhook deliveries."""
        await self.webhooks.close()
        self.closing = True
        await self.notify()

    async def notify(self) -> None:
        """Something may have queued updates: wake long polls and webhook deliveries."""
        async with self.changed:
            self.changed.notify_all()
        for bot in self.world.bots.values():
            if bot.webhook is not None and bot.updates:
                self.webhooks.ensure(bot)

    async def wait_for_updates(self, bot: Bot, timeout: float) -> None:
        async with self.changed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self.changed.wait_for(lambda: bool(bot.updates) or self.closing), timeout
                )

    def info(self, oidc_issuer: str | None = None) -> Json:
        return {
            "public_key": self.signer.public_key_hex,
            "oidc_issuer": self.oidc_issuer or oidc_issuer,
            "limits": asdict(self.world.flood.limits),
            "bots": [bot.as_user() for bot in self.world.bots.values()],
        }
