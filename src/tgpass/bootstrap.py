"""The one composition root: ``build(settings)`` wires adapters into the use cases, and
``make_worker`` composes the background loops that web, CLI and demo processes run."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from .domain.gating import PRESENT
from .service.accounts import (
    AuthService,
    CachedAccountStore,
    LinkingFeature,
    LinkingService,
    Passwords,
    SessionService,
    SiteService,
)
from .service.bot import COMMANDS, BotService, SiteUrls, Texts
from .service.events import AccountEvents
from .service.gating import GatingConfig, GatingFeature, GatingService
from .service.metrics import Metrics
from .service.notify import NotificationService, Sender, SenderConfig
from .service.oidc import OidcConfig, TelegramLoginClient
from .service.oidc.provider import ChatsOf, Lifetimes, OidcProvider, no_chats
from .service.pacing import Pacer
from .service.ports import AccountStore, KeyValueStore, Messenger
from .service.uow import UnitOfWork, UnitOfWorkFactory
from .service.worker import Loop, Worker
from .settings import Settings
from .store.kv import kv_from_url
from .store.outages import outage_of
from .store.pacing import pacer_from_url
from .store.sql import SqlAccountStore, SqlUnitOfWork, make_engine, migrate
from .store.sql.oidc import SqlOidcStore
from .verify import Verifier, bot_id_from_token

PAID_BROADCAST_RATE = 1000.0  # Bot API 7.11: allow_paid_broadcast raises the bot's limit


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
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
    telegram_login: TelegramLoginClient | None
    """Sign-in with Telegram Login (OpenID Connect); None unless its client secret is set."""

    async def probe_stores(self) -> None:
        """Raises unless the database, the KV store and the pacer each answer in time."""
        async with asyncio.timeout(self.settings.store_timeout):
            async with self.engine.connect() as db:
                await db.execute(text("SELECT 1"))
        async with asyncio.timeout(self.settings.store_timeout):
            await self.kv.get("probe")
        async with asyncio.timeout(self.settings.store_timeout):
            await self.pacer.paused_for()

    async def close(self) -> None:
        if self.telegram_login is not None:
            await self.telegram_login.close()
        await self.telegram.close()
        await self.pacer.close()
        await self.kv.close()
        await self.accounts.close()


def telegram_login(
    settings: Settings, kv: KeyValueStore, auth: AuthService
) -> TelegramLoginClient | None:
    """Telegram Login, when configured: the bot is the client, the callback is the site's."""
    if not settings.oidc_configured:
        return None
    config = OidcConfig(
        issuer=settings.oidc_issuer,
        client_id=settings.oidc_client_id or str(bot_id_from_token(settings.bot_token)),
        client_secret=settings.oidc_client_secret,
        redirect_uri=f"{settings.public_url.rstrip('/')}/auth/telegram/oidc/callback",
        scopes=tuple(settings.oidc_scopes.split()),
    )
    return TelegramLoginClient(config, kv, auth, secret_key=settings.secret_key)


def sender_config(settings: Settings) -> SenderConfig:
    return SenderConfig(
        bot_rate=PAID_BROADCAST_RATE if settings.paid_broadcast else settings.bot_rate,
        chat_rate=settings.chat_rate,
        chat_burst=settings.chat_burst,
        group_per_minute=settings.group_rate_per_minute,
        paid=settings.paid_broadcast,
        lease=settings.send_lease,
        concurrency=settings.send_concurrency,
    )


async def build(
    settings: Settings,
    *,
    telegram: Messenger | None = None,
    migrate_schema: bool = True,
) -> Services:
    """Everything the web app, the bot and the worker need, from settings alone (a
    messenger may be given)."""
    engine = make_engine(settings.database_url, schema=settings.database_schema or None)
    if migrate_schema:
        await migrate(engine)
    cached = CachedAccountStore(SqlAccountStore(engine), ttl=settings.read_cache_ttl)

    def uow() -> UnitOfWork:
        # what a transaction commits, the read cache forgets
        return SqlUnitOfWork(engine, on_commit=cached.invalidate)

    kv = kv_from_url(settings.kv_url, prefix=settings.kv_prefix, timeout=settings.store_timeout)
    pacer = pacer_from_url(settings.kv_url, prefix=settings.kv_prefix)
    metrics = Metrics()
    verifier = Verifier([settings.bot_token], max_age=settings.auth_max_age, clock=time.time)
    if telegram is None:
        from .telegram.gateway import PtbMessenger, make_bot

        telegram = PtbMessenger(
            make_bot(settings.bot_token, settings.bot_api_url), username=settings.bot_username
        )
    sender = Sender(uow, telegram, pacer, metrics, sender_config(settings))
    sessions = SessionService(kv, cached, secret_key=settings.secret_key, ttl=settings.session_ttl)
    events = AccountEvents()
    auth = AuthService(
        uow,
        cached,
        kv,
        verifier,
        Passwords(),
        events,
        telegram_signup=settings.telegram_signup,
        login_attempts=settings.login_attempts,
        login_window=settings.login_window,
        account_cache_ttl=settings.read_cache_ttl,
    )
    linking = LinkingService(
        uow,
        cached,
        kv,
        secret_key=settings.secret_key,
        link_ttl=settings.link_ttl,
        login_link_ttl=settings.login_link_ttl,
        bot_username=telegram.bot_username,
        events=events,
        link_base=settings.telegram_link_base,
    )
    site_url = settings.public_url.rstrip("/")
    texts = Texts(
        settings.site_name,
        SiteUrls(account=f"{site_url}/account", bot_login=f"{site_url}/auth/bot"),
    )
    gating = GatingService(
        uow,
        telegram,
        sender,
        pacer,
        kv,
        texts,
        config=GatingConfig(interval=settings.reconcile_interval, bot_rate=settings.bot_rate),
    )
    events.subscribe(gating.account_changed)
    features = [
        LinkingFeature(linking, events, telegram_signup=settings.telegram_signup),
        GatingFeature(gating),
    ]
    bot = BotService(
        uow,
        telegram,
        sender,
        metrics,
        features,
        texts=texts,
        bot_id=bot_id_from_token(settings.bot_token),
        menu=COMMANDS,
    )
    notifications = NotificationService(uow, cached, deadline=settings.send_deadline)

    async def chats_of(user_id: int) -> list[dict[str, Any]]:
        """The gated chats the account is in, for the OpenID ``chats`` claim."""
        return [
            {"chat_id": found.chat.chat_id, "title": found.chat.title, "status": found.status}
            for found in await gating.user_chats(user_id)
            if found.status in PRESENT
        ]

    oidc_provider = make_oidc_provider(settings, engine, cached, chats_of=chats_of)
    sessions.on_end_everywhere(oidc_provider.revoke_user)
    return Services(
        settings=settings,
        engine=engine,
        uow=uow,
        accounts=cached,
        kv=kv,
        pacer=pacer,
        metrics=metrics,
        verifier=verifier,
        telegram=telegram,
        sender=sender,
        sessions=sessions,
        auth=auth,
        linking=linking,
        bot=bot,
        site=SiteService(uow, linking, events),
        notifications=notifications,
        gating=gating,
        oidc_provider=oidc_provider,
        telegram_login=telegram_login(settings, kv, auth),
    )


def make_oidc_provider(
    settings: Settings,
    engine: AsyncEngine,
    accounts: AccountStore,
    *,
    chats_of: ChatsOf = no_chats,
) -> OidcProvider:
    """The OpenID provider as the settings say, for the service and ``tgpass oidc`` alike:
    its token lifetimes also say how long a retired signing key stays published."""
    return OidcProvider(
        SqlOidcStore(engine),
        accounts,
        issuer=settings.public_url.rstrip("/"),
        lifetimes=Lifetimes(
            access_token=settings.oidc_provider_access_token_ttl,
            refresh_token=settings.oidc_provider_refresh_token_ttl,
            id_token=settings.oidc_provider_id_token_ttl,
        ),
        chats_of=chats_of,
    )


def make_worker(services: Services, *, outbox: bool = True, polling: bool = False) -> Worker:
    """The background loops of one process: the outbox sender, the gating reconciler and
    join-request answers, the OpenID provider's hourly purge of expired codes and tokens,
    and, when the bot reads updates by long polling rather than webhook, the poller."""
    loops: dict[str, Loop] = {"commands": services.bot.set_commands}  # once, retried
    if outbox:
        loops["outbox"] = services.sender.run
        loops["gating"] = services.gating.run
        loops["oidc-purge"] = services.oidc_provider.purge_every
    if polling:
        from .telegram.gateway import PtbMessenger
        from .telegram.polling import Poller

        if not isinstance(services.telegram, PtbMessenger):
            raise TypeError("polling needs the python-telegram-bot messenger")
        loops["polling"] = Poller(services.telegram.bot, services.bot).run
    if not (outbox or polling):
        return Worker({})
    return Worker(loops, outage_of=outage_of, probe=services.probe_stores)
