"""The web app: ``create_app(services)`` in tests; ``create_app()`` builds from the
environment when served (``uvicorn --factory tgpass.web.app:create_app``)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from tgpass.bootstrap import build, make_worker
from tgpass.container import Services
from tgpass.settings import Settings

from . import (
    admin,
    api,
    deps,
    errors,
    health,
    logs,
    metrics,
    notify_api,
    oidc_login,
    oidc_provider,
    pages,
    rendering,
    webhook,
)
from .chats_api import router as chats_router
from .edge import Edge
from .static_files import VersionedStatic
from .webhooks_api import router as webhooks_router


def create_app(
    services: Services | None = None, settings: Settings | None = None, *, polling: bool = False
) -> FastAPI:
    """The app over ``services``, or over services built from ``settings`` (or the
    environment) when it starts; with ``polling``, it also reads updates by getUpdates."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        built = services or await build(settings or Settings.from_env())
        deps.trusted_networks(built.settings.trusted_proxies)  # a bad setting fails start-up
        app.state.services = built
        # What start-up made (modules, the app, the services) lives as long as the process:
        # keep it out of the collector's full passes, which would otherwise stall requests.
        gc.freeze()
        worker = make_worker(built, outbox=built.settings.worker, polling=polling)
        running = asyncio.create_task(worker.run()) if worker.loops else None
        try:
            yield
        finally:
            if running is not None:
                running.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await running
            if services is None:
                await built.close()

    app = FastAPI(
        title="tgpass",
        version="0.1.0",
        description="Sign-in with Telegram, account linking through the bot, and an API for "
        "an existing website.",
        lifespan=lifespan,
    )
    if services is not None:
        app.state.services = services  # usable without the lifespan (ASGI transports in tests)
    logs.install()
    errors.install(app, page=rendering.error_page)  # browsers get error pages, APIs JSON
    app.add_middleware(Edge)
    app.include_router(api.router)  # first: GET /api/me is the call a Mini App makes most
    app.include_router(health.router)
    app.include_router(api.site)
    app.include_router(notify_api.router)
    app.include_router(chats_router)
    app.include_router(webhooks_router)
    app.include_router(metrics.router)
    app.include_router(admin.router)
    app.include_router(pages.router)
    app.include_router(oidc_login.router)
    app.include_router(oidc_provider.router)
    app.include_router(webhook.router)
    app.mount("/static", VersionedStatic(), name="static")
    return app
