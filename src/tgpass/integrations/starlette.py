"""Starlette: an ``AuthenticationBackend`` for Starlette's ``AuthenticationMiddleware``.

>>> app = Starlette(routes=..., middleware=[                        # doctest: +SKIP
...     Middleware(AuthenticationMiddleware,
...                backend=TelegramBackend(bot_tokens=[BOT_TOKEN]), on_error=on_error)])

``request.user`` is then an ``AuthenticatedTelegramUser`` (its ``telegram`` the
``TelegramIdentity``) and ``request.auth.scopes`` holds ``"telegram"`` and
``"telegram:<scheme>"``; a request without ``Authorization`` stays anonymous unless the backend
is ``required``, so ``@requires("telegram")`` guards the routes that need a user. A header
that proves nothing is answered by ``on_error``: a 401 with ``{"error": {"code", "message"}}``
and ``WWW-Authenticate``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.authentication import (
    AuthCredentials,
    AuthenticationBackend,
    AuthenticationError,
    BaseUser,
)
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse, Response

from ._core import Authenticator, LoginTokens, NotAuthenticated, TelegramIdentity

SCOPE = "telegram"


class AuthenticatedTelegramUser(BaseUser):
    """``request.user`` of a request that proved its Telegram user; ``telegram`` says who."""

    __slots__ = ("telegram",)

    def __init__(self, telegram: TelegramIdentity) -> None:
        self.telegram = telegram

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def display_name(self) -> str:
        return self.telegram.display_name

    @property
    def identity(self) -> str:
        """The Telegram user id, as text (Starlette's users are identified by a string)."""
        return str(self.telegram.telegram_id)

    def __repr__(self) -> str:
        return f"AuthenticatedTelegramUser({self.telegram.telegram_id})"


class TelegramAuthenticationError(AuthenticationError):
    """Raised by the backend for ``on_error``; ``error`` is the ``NotAuthenticated``."""

    def __init__(self, error: NotAuthenticated) -> None:
        super().__init__(error.message)
        self.error = error


class TelegramBackend(AuthenticationBackend):
    """Reads ``Authorization: tma <initData>`` (and ``Bearer`` when given ``login_tokens``).

    Takes an ``Authenticator`` or its options. ``required``: a request without the header is
    refused too, instead of staying anonymous. ``scopes`` are granted on success, besides
    ``telegram:tma`` or ``telegram:bearer``.
    """

    def __init__(
        self,
        authenticator: Authenticator | None = None,
        *,
        required: bool = False,
        scopes: Sequence[str] = (SCOPE,),
        **options: Any,
    ) -> None:
        if authenticator is not None and options:
            raise TypeError("give an Authenticator or its options, not both")
        self.authenticator = authenticator or Authenticator(**options)
        self.required = required
        self.scopes = tuple(scopes)
        self._scopes = {
            scheme: (*self.scopes, f"{SCOPE}:{scheme}") for scheme in ("tma", "bearer", "widget")
        }

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        header = conn.headers.get("authorization")
        if header is None and not self.required:
            return None
        try:
            identity = await self.authenticator.authenticate_async(header)
        except NotAuthenticated as error:
            raise TelegramAuthenticationError(error) from None
        return AuthCredentials(self._scopes[identity.scheme]), AuthenticatedTelegramUser(identity)


def on_error(conn: HTTPConnection, exc: AuthenticationError) -> Response:
    """``AuthenticationMiddleware``'s ``on_error``: the 401 with the JSON error shape."""
    if isinstance(exc, TelegramAuthenticationError):
        return JSONResponse(
            exc.error.as_json(),
            status_code=exc.error.status_code,
            headers={"WWW-Authenticate": exc.error.www_authenticate},
        )
    # another backend's refusal: its words are its own, the shape is ours
    return JSONResponse({"error": {"code": "unauthorized", "message": str(exc)}}, 401)


def telegram_middleware(
    authenticator: Authenticator | None = None, *, required: bool = False, **options: Any
) -> Middleware:
    """``Middleware(AuthenticationMiddleware, backend=TelegramBackend(...), on_error=on_error)``."""
    backend = TelegramBackend(authenticator, required=required, **options)
    return Middleware(AuthenticationMiddleware, backend=backend, on_error=on_error)


__all__ = [
    "AuthenticatedTelegramUser",
    "Authenticator",
    "LoginTokens",
    "NotAuthenticated",
    "TelegramAuthenticationError",
    "TelegramBackend",
    "TelegramIdentity",
    "on_error",
    "telegram_middleware",
]
