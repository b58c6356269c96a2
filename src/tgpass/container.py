"""What the composition root hands the edges: the use cases of one process and the few
adapters an edge touches directly (settings, stores to probe). Importing it loads no
adapter, so a web router that names a use case does not load the database driver."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .i18n import Catalogs
from .service.accounts import AuthService, LinkingService, SessionService, SiteService
from .service.bot import BotService
from .service.gating import GatingService
from .service.metrics import Metrics
from .service.notify import NotificationService, Sender
from .service.oidc import TelegramLoginClient
from .service.oidc.provider import OidcProvider
from .service.pacing import Pacer
from .service.ports import AccountStore, KeyValueStore, Messenger
from .service.uow import UnitOfWorkFactory
from .service.webhooks import Announcer, Deliverer, WebhookService
from .settings import Settings
from .verify import Verifier

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from sqlalchemy.ext.asyncio import AsyncEngine


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine | None
    """The SQL database's engine; None when the stores live in memory."""
    uow: UnitOfWorkFactory
    accounts: AccountStore
    kv: KeyValueStore
    pacer: Pacer
    metrics: Metrics
    verifier: Verifier
    telegram: Messenger
    sender: Sender
    sessions: SessionService
    auth: AuthService
    linking: LinkingService
    bot: BotService
    site: SiteService
    notifications: NotificationService
    gating: GatingService
    oidc_provider: OidcProvider
    announcer: Announcer
    webhooks: WebhookService
    deliverer: Deliverer
    telegram_login: TelegramLoginClient | None
    """Sign-in with Telegram Login (OpenID Connect); None unless its client secret is set."""
    database_answers: Callable[[], Awaitable[None]]
    """One round trip to the database (``SELECT 1``): raises when it does not answer."""
    catalogs: Catalogs
    """Every message a person reads, in each offered language."""

    async def probe_stores(self) -> None:
        """Raises unless the database, the KV store and the pacer each answer in time."""
        async with asyncio.timeout(self.settings.store_timeout):
            await self.database_answers()
        async with asyncio.timeout(self.settings.store_timeout):
            await self.kv.get("probe")
        async with asyncio.timeout(self.settings.store_timeout):
            await self.pacer.paused_for()

    async def close(self) -> None:
        if self.telegram_login is not None:
            await self.telegram_login.close()
        await self.telegram.close()
        await self.deliverer.transport.close()
        await self.pacer.close()
        await self.kv.close()
        await self.accounts.close()  # the last user of the database's connections
