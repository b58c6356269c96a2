"""The service's commands: serve, migrate, webhook. Imported only when used, so that the
verification commands work with the core alone."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from .errors import TelegramError, TelegramRateLimited, TelegramTransient
from .settings import Settings

T = TypeVar("T")


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
        if action == "set" and not settings.webhook_secret:
            await services.close()
            raise SystemExit("tgpass webhook set: set TGPASS_WEBHOOK_SECRET first")
        bot = services.telegram.bot
        try:
            await _patiently(action, "getMe", bot.initialize)
            if action == "set":
                await _patiently(
                    action,
                    "setWebhook",
                    lambda: bot.set_webhook(
                        f"{settings.public_url.rstrip('/')}/telegram/webhook",
                        secret_token=settings.webhook_secret,
                        allowed_updates=wanted,
                    ),
                )
            elif action == "delete":
                await _patiently(action, "deleteWebhook", bot.delete_webhook)
            info = await _patiently(action, "getWebhookInfo", bot.get_webhook_info)
        finally:
            await bot.shutdown()
            await services.close()
        return {
            "url": info.url,
            "pending_update_count": info.pending_update_count,
            "last_error_message": info.last_error_message,
            "allowed_updates": list(info.allowed_updates or []),
        }

    return asyncio.run(run())


WEBHOOK_TRIES = 5
LONGEST_WAIT = 30.0
"""The longest 429 the command waits out; a longer one ends it, with what Telegram said."""


async def _patiently(action: str, method: str, call: Callable[[], Awaitable[T]]) -> T:
    """One Bot API call, tried again after a 429 (once its retry_after has passed) or a
    failure to answer (5xx, a timeout, no connection), up to five tries; then, or at once
    when Telegram refuses, the command ends with what went wrong, in a line. Each call may be
    repeated: setting the same webhook twice is setting it once."""
    from .telegram.gateway import typed_faults

    for attempt in range(1, WEBHOOK_TRIES + 1):
        try:
            async with typed_faults(method):
                return await call()
        except TelegramRateLimited as flood:
            if flood.retry_after > LONGEST_WAIT or attempt == WEBHOOK_TRIES:
                raise SystemExit(
                    f"tgpass webhook {action}: Telegram asks to wait {flood.retry_after:.0f} s "
                    "(too many requests); run it again then"
                ) from None
            wait = flood.retry_after
        except TelegramTransient as failed:
            if attempt == WEBHOOK_TRIES:
                raise SystemExit(
                    f"tgpass webhook {action}: Telegram did not answer {method} after "
                    f"{WEBHOOK_TRIES} tries ({failed.message}); run it again, it is safe to repeat"
                ) from None
            wait = 0.25 * 2 ** (attempt - 1)
        except TelegramError as refused:
            raise SystemExit(
                f"tgpass webhook {action}: Telegram refused {method}: {refused.message}"
            ) from None
        await asyncio.sleep(wait)
    raise AssertionError("unreachable")
