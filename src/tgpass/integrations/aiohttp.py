"""aiohttp: a middleware that puts the verified Telegram user at ``request[TELEGRAM]``.

>>> telegram = telegram_middleware(bot_tokens=[BOT_TOKEN])     # doctest: +SKIP
>>> app = web.Application(middlewares=[telegram])               # doctest: +SKIP

With ``required=True`` (the default) every request must prove its Telegram user or is
answered 401 with ``{"error": {"code", "message"}}`` and ``WWW-Authenticate``. With
``required=False`` no request is refused by the middleware: ``request[TELEGRAM]`` is the
``TelegramIdentity`` or None (and ``request[TELEGRAM_ERROR]`` says why), and the handlers
that need a user say so with ``@telegram_required``.

``TELEGRAM`` and ``TELEGRAM_ERROR`` are typed ``web.RequestKey``s where aiohttp has them
(3.13 and later warn about plain string keys), the strings ``"telegram"`` and
``"telegram_error"`` before.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from ._core import Authenticator, LoginTokens, NotAuthenticated, TelegramIdentity


def _key(name: str) -> Any:
    maker = getattr(web, "RequestKey", None)
    return name if maker is None else maker(name)


TELEGRAM: web.RequestKey[TelegramIdentity | None] = _key("telegram")
TELEGRAM_ERROR: web.RequestKey[NotAuthenticated] = _key("telegram_error")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def refusal(error: NotAuthenticated) -> web.Response:
    """The 401 of a request that proved no Telegram user."""
    return web.json_response(
        error.as_json(),
        status=error.status_code,
        headers={"WWW-Authenticate": error.www_authenticate},
    )


def telegram_middleware(
    authenticator: Authenticator | None = None, *, required: bool = True, **options: Any
) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    """The middleware, from an ``Authenticator`` or its options (``bot_tokens``,
    ``bot_ids``, ``max_age``, ``signature``, ``login_tokens``, ``clock``, ...)."""
    if authenticator is not None and options:
        raise TypeError("give an Authenticator or its options, not both")
    checker = authenticator or Authenticator(**options)

    @web.middleware
    async def telegram(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            request[TELEGRAM] = await checker.authenticate_async(
                request.headers.get("Authorization")
            )
        except NotAuthenticated as error:
            if required:
                return refusal(error)
            request[TELEGRAM] = None
            request[TELEGRAM_ERROR] = error
        return await handler(request)

    return telegram


def telegram_required(handler: Handler) -> Handler:
    """For ``required=False``: this handler answers only requests that proved their user."""

    @functools.wraps(handler)
    async def guarded(request: web.Request) -> web.StreamResponse:
        if request.get(TELEGRAM) is None:
            error = request.get(TELEGRAM_ERROR)
            if not isinstance(error, NotAuthenticated):
                raise RuntimeError("@telegram_required needs telegram_middleware on the app")
            return refusal(error)
        return await handler(request)

    return guarded


__all__ = [
    "TELEGRAM",
    "TELEGRAM_ERROR",
    "Authenticator",
    "LoginTokens",
    "NotAuthenticated",
    "TelegramIdentity",
    "refusal",
    "telegram_middleware",
    "telegram_required",
]
