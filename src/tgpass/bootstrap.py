"""The one composition root, made of small factories that ``build()``, every command, the
demo and the tests share: the stores (``sql_stores``, ``memory_stores``), the Telegram
client, the sender, the bot, the OpenID provider, and ``make_worker`` for the background
loops. ``build(settings)`` wires them into the use cases; any adapter may be given instead
(tests run the use cases on the in-memory unit of work that way)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from . import i18n
from .container import Services
from .domain.gating import PRESENT
from .domain.webhooks import parse_schedule
from .errors import ConfigError, InvalidInput
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
from .service.oidc.provider import ChatsOf, Lifetimes, OidcProvider, OidcStore, no_chats
from .service.pacing import Pacer
from .service.ports import AccountStore, KeyValueStore, Messenger, WebhookTransport
from .service.uow import UnitOfWork, UnitOfWorkFactory
from .service.webhooks import Announcer, Deliverer, DelivererConfig, WebhookService
from .service.webhooks.account_events import AccountAnnouncements
from .service.webhooks.chat_events import ChatAnnouncements
from .service.webhooks.notification_events import NotificationAnnouncements
from .service.worker import Loop, Worker
from .settings import Settings
from .store.kv import kv_from_url
from .store.outages import outage_of
from .store.pacing import pacer_from_url
from .verify import Verifier, bot_id_from_token

__all__ = [
    "Services",
    "Stores",
    "build",
    "make_oidc_provider",
    "make_telegram",
    "make_webhook_transport",
    "make_webhooks",
    "make_worker",
    "memory_stores",
    "sql_stores",
]

PAID_BROADCAST_RATE = 1000.0  # Bot API 7.11: allow_paid_broadcast raises the bot's limit


@dataclass(frozen=True)
class Stores:
    """Where the use cases keep their data: one database, SQL or in memory."""

    unit_of_work: Callable[[Callable[[], None]], UnitOfWork]
    """A unit of work that calls the given function after each commit."""
    accounts: AccountStore
    """The account store outside a transaction (the read cache wraps it)."""
    oidc: OidcStore
    database_answers: Callable[[], Awaitable[None]]
    engine: Any = None
    """The SQL engine, when there is one."""


async def sql_stores(settings: Settings, *, migrate_schema: bool = True) -> Stores:
    """The database the settings name (SQLite or PostgreSQL), migrated unless told not."""
    from sqlalchemy import text

    from .store.sql import SqlAccountStore, SqlUnitOfWork, make_engine, migrate
    from .store.sql.oidc import SqlOidcStore

    engine = make_engine(settings.database_url, schema=settings.database_schema or None)
    if migrate_schema:
        await migrate(engine)

    async def database_answers() -> None:
        async with engine.connect() as db:
            await db.execute(text("SELECT 1"))

    return Stores(
        unit_of_work=lambda on_commit: SqlUnitOfWork(engine, on_commit=on_commit),
        accounts=SqlAccountStore(engine),
        oidc=SqlOidcStore(engine),
        database_answers=database_answers,
        engine=engine,
    )


def memory_stores() -> Stores:
    """Every store in this process's memory: for tests of the use cases, and one-offs."""
    from .store.memory import MemoryDatabase, MemoryUnitOfWork
    from .store.memory.accounts import MemoryAccountStore
    from .store.memory.oidc import MemoryOidcStore

    db = MemoryDatabase()

    async def database_answers() -> None:
        return None

    return Stores(
        unit_of_work=lambda on_commit: MemoryUnitOfWork(db, on_commit=on_commit),
        accounts=MemoryAccountStore(db),
        oidc=MemoryOidcStore(),
        database_answers=database_answers,
    )


def make_webhooks(
    settings: Settings, uow: UnitOfWorkFactory, announcer: Announcer
) -> WebhookService:
    """The site's event endpoints, for the service and ``tgpass webhooks`` alike."""
    return WebhookService(
        uow,
        announcer,
        allow_private_urls=settings.events_allow_private_urls,
        secret_grace=settings.events_secret_grace,
        retention=settings.events_retention,
    )


def make_webhook_transport(settings: Settings) -> WebhookTransport:
    """HTTP to the sites' event endpoints, as the settings allow."""
    from .outbound import HttpWebhookTransport

    return HttpWebhookTransport(allow_private=settings.events_allow_private_urls)


def deliverer_config(settings: Settings) -> DelivererConfig:
    try:
        schedule = parse_schedule(settings.events_retry_schedule)
    except InvalidInput as error:
        raise ConfigError(f"TGPASS_EVENTS_RETRY_SCHEDULE: {error.message}") from None
    return DelivererConfig(
        schedule=schedule,
        order_hold=settings.events_order_hold,
        disable_after=settings.events_disable_after,
        concurrency=settings.events_concurrency,
        timeout=settings.events_timeout,
    )


def make_telegram(settings: Settings) -> Messenger:
    """The Bot API client (python-telegram-bot) the settings name."""
    from .telegram.gateway import PtbMessenger, make_bot

    return PtbMessenger(
        make_bot(settings.bot_token, settings.bot_api_url), username=settings.bot_username
    )


def telegram_login(
    settings: Settings, kv: KeyValueStore, auth: AuthService
) -> TelegramLoginClient | None:
    """Telegram Login, when configured: the bot is the client, the callback is the site's."""
    if not settings.telegram_login_configured:
        return None
    config = OidcConfig(
        issuer=settings.telegram_login_issuer,
        client_id=settings.telegram_login_client_id or str(bot_id_from_token(settings.bot_token)),
        client_secret=settings.telegram_login_client_secret,
        redirect_uri=f"{settings.public_url.rstrip('/')}/auth/telegram/oidc/callback",
        scopes=tuple(settings.telegram_login_scopes.split()),
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
    stores: Stores | None = None,
    telegram: Messenger | None = None,
    kv: KeyValueStore | None = None,
    pacer: Pacer | None = None,
    webhook_transport: WebhookTransport | None = None,
    migrate_schema: bool = True,
) -> Services:
    """Everything the web app, the bot and the worker need, from settings alone; any of
    the stores, the Telegram client, the KV store, the pacer and the transport of event
    webhooks may be given instead."""
    stores = stores or await sql_stores(settings, migrate_schema=migrate_schema)
    cached = CachedAccountStore(stores.accounts, ttl=settings.read_cache_ttl)

    def uow() -> UnitOfWork:
        # what a transaction commits, the read cache forgets
        return stores.unit_of_work(cached.invalidate)

    kv = kv or kv_from_url(
        settings.kv_url, prefix=settings.kv_prefix, timeout=settings.store_timeout
    )
    pacer = pacer or pacer_from_url(settings.kv_url, prefix=settings.kv_prefix)
    metrics = Metrics()
    verifier = Verifier([settings.bot_token], max_age=settings.auth_max_age, clock=time.time)
    telegram = telegram or make_telegram(settings)
    deliverer = Deliverer(
        uow,
        webhook_transport or make_webhook_transport(settings),
        metrics,
        deliverer_config(settings),
    )
    announcer = Announcer(wake=deliverer.wake)
    events = AccountEvents()
    notices = NotificationAnnouncements(announcer)
    sender = Sender(
        uow,
        telegram,
        pacer,
        metrics,
        sender_config(settings),
        events=events,
        announcements=notices,
    )
    sessions = SessionService(kv, cached, secret_key=settings.secret_key, ttl=settings.session_ttl)
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
    catalogs = load_catalogs(settings)
    texts = site_texts(settings, catalogs.bot)
    gating = GatingService(
        uow,
        telegram,
        sender,
        pacer,
        kv,
        texts,
        config=GatingConfig(interval=settings.reconcile_interval, bot_rate=settings.bot_rate),
        announcements=ChatAnnouncements(announcer),
    )
    events.subscribe(gating.account_changed)
    events.subscribe(AccountAnnouncements(announcer))
    bot = BotService(
        uow,
        telegram,
        sender,
        metrics,
        [
            LinkingFeature(linking, events, telegram_signup=settings.telegram_signup),
            GatingFeature(gating),
        ],
        texts=texts,
        bot_id=bot_id_from_token(settings.bot_token),
        menu=COMMANDS,
    )
    oidc_provider = make_oidc_provider(
        settings, stores.oidc, cached, chats_of=gated_chats_claim(gating)
    )
    sessions.on_end_everywhere(oidc_provider.revoke_user)
    return Services(
        settings=settings,
        engine=stores.engine,
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
        notifications=NotificationService(
            uow, cached, deadline=settings.send_deadline, announcements=notices
        ),
        gating=gating,
        oidc_provider=oidc_provider,
        announcer=announcer,
        webhooks=make_webhooks(settings, uow, announcer),
        deliverer=deliverer,
        telegram_login=telegram_login(settings, kv, auth),
        database_answers=stores.database_answers,
        catalogs=catalogs,
    )


def load_catalogs(settings: Settings) -> i18n.Catalogs:
    """The messages in the offered languages, the site's own over tgpass's."""
    return i18n.load(settings.languages, settings.default_language, settings.texts_dir or None)


def site_texts(settings: Settings, catalog: i18n.Catalog | None = None) -> Texts:
    """What the bot says, naming the site and its pages, in the catalog's languages (each
    reader's own, as their Telegram app reports it)."""
    site_url = settings.public_url.rstrip("/")
    return Texts(
        settings.site_name,
        SiteUrls(account=f"{site_url}/account", bot_login=f"{site_url}/auth/bot"),
        catalog,
    )


def gated_chats_claim(gating: GatingService) -> ChatsOf:
    """The gated chats an account is in, for the OpenID ``chats`` claim."""

    async def chats_of(user_id: int) -> list[dict[str, Any]]:
        return [
            {"chat_id": view.chat.chat_id, "title": view.chat.title, "status": view.status}
            for view in await gating.user_chats(user_id)
            if view.status in PRESENT
        ]

    return chats_of


def make_oidc_provider(
    settings: Settings,
    store: OidcStore,
    accounts: AccountStore,
    *,
    chats_of: ChatsOf = no_chats,
) -> OidcProvider:
    """The OpenID provider as the settings say, for the service and ``tgpass oidc`` alike:
    its token lifetimes also say how long a retired signing key stays published."""
    return OidcProvider(
        store,
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
    """The background loops of one process: the outbox sender, the deliverer of event
    webhooks and the hourly pruning of old events, the gating reconciler and join-request
    answers, the OpenID provider's hourly purge of expired codes and tokens, and, when the
    bot reads updates by long polling rather than webhook, the poller."""
    loops: dict[str, Loop] = {"commands": services.bot.set_commands}  # once, retried
    if outbox:
        loops["outbox"] = services.sender.run
        loops["webhooks"] = services.deliverer.run
        loops["webhooks-prune"] = services.webhooks.prune_every
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
