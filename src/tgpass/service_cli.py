"""The service's commands: serve, migrate, webhook. Imported only when used, so that the
verification commands work with the core alone."""

from __future__ import annotations

import asyncio
from typing import Any

from .settings import Settings


def serve(*, host: str, port: int, polling: bool, access_log: bool = True) -> None:
    import uvicorn

    from .log_setup import config
    from .web.app import create_app

    settings = Settings.from_env()
    if not settings.bot_token:
        raise SystemExit("tgpass serve: set TGPASS_BOT_TOKEN (and the other TGPASS_ settings)")
    app = create_app(settings=settings, polling=polling)
    uvicorn.run(
        # X-Forwarded-For is believed only from TGPASS_TRUSTED_PROXIES, by the app itself
        app,
        host=host,
        port=port,
        proxy_headers=False,
        log_config=config("INFO"),
        access_log=access_log,
    )


def migrate() -> None:
    from .store.sql import make_engine
    from .store.sql import migrate as run_migrations

    settings = Settings.from_env()

    async def run() -> None:
        engine = make_engine(settings.database_url, schema=settings.database_schema or None)
        try:
            await run_migrations(engine)
        finally:
            await engine.dispose()

    asyncio.run(run())
    print("database schema is up to date")


def webhook(action: str) -> dict[str, Any]:
    from .bootstrap import build, memory_stores
    from .telegram.gateway import PtbMessenger
    from .telegram.updates import allowed_updates

    settings = Settings.from_env()
    if not settings.bot_token:
        raise SystemExit("tgpass webhook: set TGPASS_BOT_TOKEN")

    async def run() -> dict[str, Any]:
        # The bot as the settings make it, over memory: its features say which updates it
        # takes, and nothing but Telegram is touched.
        services = await build(settings, stores=memory_stores())
        wanted = allowed_updates(services.bot.event_types)
        if not isinstance(services.telegram, PtbMessenger):
            raise TypeError("the webhook is set with the python-telegram-bot client")
        try:
            async with services.telegram.bot as bot:
                if action == "set":
                    if not settings.webhook_secret:
                        raise SystemExit("tgpass webhook set: set TGPASS_WEBHOOK_SECRET first")
                    await bot.set_webhook(
                        f"{settings.public_url.rstrip('/')}/telegram/webhook",
                        secret_token=settings.webhook_secret,
                        allowed_updates=wanted,
                    )
                elif action == "delete":
                    await bot.delete_webhook()
                info = await bot.get_webhook_info()
        finally:
            await services.close()
        return {
            "url": info.url,
            "pending_update_count": info.pending_update_count,
            "last_error_message": info.last_error_message,
            "allowed_updates": list(info.allowed_updates or []),
        }

    return asyncio.run(run())
