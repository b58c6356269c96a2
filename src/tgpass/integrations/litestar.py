"""Litestar: an authentication middleware in Litestar's convention.

>>> app = Litestar(route_handlers=[...],                              # doctest: +SKIP
...                middleware=[telegram_middleware(bot_tokens=[BOT_TOKEN], exclude=["/health"])])

``request.user`` is the ``TelegramIdentity``, ``request.auth`` what proved it (the
``InitData``, or the checked ID token). A request that proves nothing is answered 401 with
``{"error": {"code", "message"}}`` and ``WWW-Authenticate``, before any handler runs; paths
matching ``exclude`` and handlers marked ``exclude_from_auth=True`` are let through.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from litestar.connection import ASGIConnection
from litestar.enums import MediaType, ScopeType
from litestar.exceptions import NotAuthorizedException
from litestar.middleware import DefineMiddleware
from litestar.middleware.authentication import (
    AbstractAuthenticationMiddleware,
    AuthenticationResult,
)
from litestar.response.base import ASGIResponse
from litestar.types import ASGIApp, Method, Receive, Scope, Scopes, Send

from ._core import Authenticator, LoginTokens, NotAuthenticated, TelegramIdentity


class TelegramNotAuthorized(NotAuthorizedException):
    """A request that proved no Telegram user; ``error`` is the ``NotAuthenticated``."""

    def __init__(self, error: NotAuthenticated) -> None:
        super().__init__(
            detail=error.message,
            headers={"WWW-Authenticate": error.www_authenticate},
            extra={"code": error.code},
        )
        self.error = error


class TelegramAuthenticationMiddleware(AbstractAuthenticationMiddleware):
    """Reads ``Authorization: tma <initData>`` (and ``Bearer`` when the authenticator has
    ``login_tokens``). ``required=False`` lets a request without the header through with
    ``request.user`` None; a header that proves nothing is refused all the same."""

    def __init__(
        self,
        app: ASGIApp,
        authenticator: Authenticator,
        *,
        required: bool = True,
        exclude: str | list[str] | None = None,
        exclude_from_auth_key: str = "exclude_from_auth",
        exclude_http_methods: Sequence[Method] | None = None,
        scopes: Scopes | None = None,
    ) -> None:
        super().__init__(
            app,
            exclude=exclude,
            exclude_from_auth_key=exclude_from_auth_key,
            exclude_http_methods=exclude_http_methods,
            scopes=scopes,
        )
        self.authenticator = authenticator
        self.required = required

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        header = connection.headers.get("authorization")
        if header is None and not self.required:
            return AuthenticationResult(user=None, auth=None)
        try:
            identity = await self.authenticator.authenticate_async(header)
        except NotAuthenticated as error:
            raise TelegramNotAuthorized(error) from None
        proof = identity.init_data if identity.scheme == "tma" else identity.login_token
        return AuthenticationResult(user=identity, auth=proof)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        except TelegramNotAuthorized as refused:
            if scope["type"] != ScopeType.HTTP:  # a websocket: Litestar closes it
                raise
            # raised before the app ran (only authenticate_request raises it): nothing sent yet
            await _refusal(refused.error)(scope, receive, send)


def _refusal(error: NotAuthenticated) -> ASGIResponse:
    return ASGIResponse(
        body=json.dumps(error.as_json()).encode(),
        status_code=error.status_code,
        media_type=MediaType.JSON,
        headers={"WWW-Authenticate": error.www_authenticate},
    )


def telegram_middleware(
    authenticator: Authenticator | None = None,
    *,
    required: bool = True,
    exclude: str | list[str] | None = None,
    exclude_from_auth_key: str = "exclude_from_auth",
    exclude_http_methods: Sequence[Method] | None = None,
    **options: Any,
) -> DefineMiddleware:
    """The middleware for ``Litestar(middleware=[...])``, from an ``Authenticator`` or its
    options (``bot_tokens``, ``bot_ids``, ``max_age``, ``signature``, ``clock``, ...)."""
    if authenticator is not None and options:
        raise TypeError("give an Authenticator or its options, not both")
    return DefineMiddleware(
        TelegramAuthenticationMiddleware,
        authenticator=authenticator or Authenticator(**options),
        required=required,
        exclude=exclude,
        exclude_from_auth_key=exclude_from_auth_key,
        exclude_http_methods=exclude_http_methods,
    )


__all__ = [
    "Authenticator",
    "LoginTokens",
    "NotAuthenticated",
    "TelegramAuthenticationMiddleware",
    "TelegramIdentity",
    "TelegramNotAuthorized",
    "telegram_middleware",
]
