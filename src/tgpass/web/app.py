"""The web app: ``create_app(services)`` in tests; ``create_app()`` builds from the
environment when served (``uvicorn --factory tgpass.web.app:create_app``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from tgpass.bootstrap import Services, build
from tgpass.settings import Settings

from . import api, errors, logs, pages, webhook


def create_app(services: Services | None = None, settings: Settings | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if services is not None:
            app.state.services = services
            yield
            return
        built = await build(settings or Settings.from_env())
        app.state.services = built
        try:
            yield
        finally:
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
    errors.install(app)
    app.include_router(api.router)
    app.include_router(api.site)
    app.include_router(pages.router)
    app.include_router(webhook.router)
    return app
