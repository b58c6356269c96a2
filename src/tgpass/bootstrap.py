"""The one composition root: ``build(settings)`` wires adapters into the use cases."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from .service.auth import AuthService
from .service.bot import BotService
from .service.cached_accounts import CachedAccountStore
from .service.linking import LinkingService
from .service.passwords import Passwords
from .service.ports import AccountStore, KeyValueStore, TelegramGateway
from .service.sessions import SessionService
from .service.site import SiteService
from .settings import Settings
from .store.kv import kv_from_url
from .store.sql import SqlAccountStore, make_engine, migrate
from .verify import Verifier, bot_id_from_token


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    accounts: AccountStore
    kv: KeyValueStore
    verifier: Verifier
    telegram: TelegramGateway
    sessions: SessionService
    auth: AuthService
    linking: LinkingService
    bot: BotService
    site: SiteService

    async def close(self) -> None:
        await self.telegram.close()
        await self.kv.close()
        await self.accounts.close()


async def build(
    settings: Settings,
    *,
    telegram: TelegramGateway | None = None,
    migrate_schema: bool = True,
) -> Services:
    """Everything the web app and the bot need, from settings alone (a gateway may be given)."""
    engine = make_engine(settings.database_url, schema=settings.database_schema or None)
    if migrate_schema:
        await migrate(engine)
    accounts = CachedAccountStore(SqlAccountStore(engine), ttl=settings.read_cache_ttl)
    kv = kv_from_url(settings.kv_url, prefix=settings.kv_prefix)
    verifier = Verifier([settings.bot_token], max_age=settings.auth_max_age, clock=time.time)
    if telegram is None:
        from .telegram.gateway import PtbGateway, make_bot

        bot_api = make_bot(settings.bot_token, settings.bot_api_url)
        telegram = PtbGateway(bot_api, username=settings.bot_username)
    passwords = Passwords()
    sessions = SessionService(
        kv, accounts, secret_key=settings.secret_key, ttl=settings.session_ttl
    )
    auth = AuthService(
        accounts,
        kv,
        verifier,
        passwords,
        telegram_signup=settings.telegram_signup,
        login_attempts=settings.login_attempts,
        login_window=settings.login_window,
        account_cache_ttl=settings.read_cache_ttl,
    )
    linking = LinkingService(
        accounts,
        kv,
        secret_key=settings.secret_key,
        link_ttl=settings.link_ttl,
        login_link_ttl=settings.login_link_ttl,
        bot_username=telegram.bot_username,
    )
    bot = BotService(
        accounts,
        kv,
        auth,
        linking,
        telegram,
        public_url=settings.public_url,
        site_name=settings.site_name,
        bot_id=bot_id_from_token(settings.bot_token),
    )
    return Services(
        settings=settings,
        engine=engine,
        accounts=accounts,
        kv=kv,
        verifier=verifier,
        telegram=telegram,
        sessions=sessions,
        auth=auth,
        linking=linking,
        bot=bot,
        site=SiteService(accounts, linking),
    )
