"""FastAPI: dependencies that give the verified Telegram user, shown in OpenAPI.

>>> telegram = TelegramInitData(bot_tokens=[BOT_TOKEN])          # doctest: +SKIP
>>> app = FastAPI()                                               # doctest: +SKIP
>>> add_error_handler(app)                                        # doctest: +SKIP
>>> @app.get("/me")                                               # doctest: +SKIP
... async def me(user: Annotated[TelegramIdentity, Depends(telegram)]) -> dict: ...

``TelegramInitData`` reads ``Authorization: tma <initData>`` (and ``Bearer <id_token>`` when
given ``login_tokens``); ``TelegramBearer`` only a Telegram Login ID token;
``TelegramLoginWidget`` the query of a Login Widget or LoginUrl callback. A refusal is a 401
with ``WWW-Authenticate``; ``add_error_handler(app)`` makes its body
``{"error": {"code": ..., "message": ...}}`` (without it FastAPI's own ``{"detail": {...}}``).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import HTTPException
from fastapi.openapi.models import APIKey, APIKeyIn
from fastapi.openapi.models import HTTPBearer as HTTPBearerModel
from fastapi.responses import JSONResponse
from fastapi.security.base import SecurityBase

from ._core import (
    Authenticator,
    LoginTokenCheck,
    LoginTokens,
    NotAuthenticated,
    TelegramIdentity,
    scheme_of,
)

INIT_DATA_DESCRIPTION = (
    "Telegram Mini App init data, as the header `Authorization: tma <initData>` "
    "(the raw `Telegram.WebApp.initData` string)."
)
BEARER_DESCRIPTION = "A Telegram Login ID token, as `Authorization: Bearer <id_token>`."


class TelegramHTTPException(HTTPException):
    """The 401 of a request that proved no Telegram user; ``error`` says why."""

    def __init__(self, error: NotAuthenticated) -> None:
        super().__init__(
            status_code=error.status_code,
            detail=error.as_json()["error"],
            headers={"WWW-Authenticate": error.www_authenticate},
        )
        self.error = error


async def telegram_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """Answers a ``TelegramHTTPException`` with ``{"error": {"code", "message"}}``."""
    assert isinstance(exc, TelegramHTTPException)
    return JSONResponse(exc.error.as_json(), status_code=exc.status_code, headers=exc.headers)


def add_error_handler(app: FastAPI) -> None:
    """Answer refusals with tgpass's JSON error shape instead of FastAPI's ``detail``."""
    app.add_exception_handler(TelegramHTTPException, telegram_error_handler)


def _authenticator(authenticator: Authenticator | None, options: dict[str, Any]) -> Authenticator:
    if authenticator is not None and options:
        raise TypeError("give an Authenticator or its options, not both")
    return authenticator if authenticator is not None else Authenticator(**options)


class TelegramInitData(SecurityBase):
    """A dependency: the request's ``TelegramIdentity`` from ``Authorization: tma …``.

    Takes an ``Authenticator`` or its options (``bot_tokens``, ``bot_ids``, ``max_age``,
    ``signature``, ``login_tokens``, ``clock``, ...). With ``auto_error=False`` a request
    without the header gets None; a header that proves nothing is refused all the same.
    OpenAPI shows it as an API key in the ``Authorization`` header named ``scheme_name``.
    """

    model: APIKey

    def __init__(
        self,
        authenticator: Authenticator | None = None,
        *,
        auto_error: bool = True,
        scheme_name: str = "TelegramInitData",
        description: str = INIT_DATA_DESCRIPTION,
        **options: Any,
    ) -> None:
        self.authenticator = _authenticator(authenticator, options)
        self.auto_error = auto_error
        self.scheme_name = scheme_name
        # "in" is a keyword: pydantic takes the field by its alias, as FastAPI's own classes do
        self.model = APIKey.model_validate(
            {"in": APIKeyIn.header, "name": "Authorization", "description": description}
        )

    async def __call__(self, request: Request) -> TelegramIdentity | None:
        header = request.headers.get("authorization")
        if header is None and not self.auto_error:
            return None
        try:
            return await self.authenticator.authenticate_async(header)
        except NotAuthenticated as error:
            raise TelegramHTTPException(error) from None


class TelegramBearer(SecurityBase):
    """A dependency: the ``TelegramIdentity`` of a Telegram Login ID token, sent as
    ``Authorization: Bearer <id_token>``; OpenAPI shows an HTTP bearer scheme (JWT).

    ``login_tokens`` checks the token (``LoginTokens`` for Telegram's
    keys, or any ``LoginTokenCheck``); an ``Authenticator`` built with it may be given instead.
    """

    model: HTTPBearerModel

    def __init__(
        self,
        authenticator: Authenticator | None = None,
        *,
        login_tokens: LoginTokenCheck | None = None,
        auto_error: bool = True,
        scheme_name: str = "TelegramLoginToken",
        description: str = BEARER_DESCRIPTION,
        **options: Any,
    ) -> None:
        if login_tokens is not None:
            options["login_tokens"] = login_tokens
        self.authenticator = _authenticator(authenticator, options)
        if self.authenticator.login_tokens is None:
            raise TypeError("TelegramBearer needs login_tokens to check ID tokens with")
        self.auto_error = auto_error
        self.scheme_name = scheme_name
        self.model = HTTPBearerModel(bearerFormat="JWT", description=description)

    async def __call__(self, request: Request) -> TelegramIdentity | None:
        header = request.headers.get("authorization")
        if header is None and not self.auto_error:
            return None
        try:
            if scheme_of(header) not in ("", "bearer"):  # init data is not for this one
                raise self.authenticator.refuse(
                    "unsupported_scheme", "the Authorization scheme must be Bearer"
                )
            return await self.authenticator.authenticate_async(header)
        except NotAuthenticated as error:
            raise TelegramHTTPException(error) from None


class TelegramLoginWidget:
    """A dependency for a Login Widget or LoginUrl callback: its query, checked with the bot
    tokens, as a ``TelegramIdentity`` (``scheme="widget"``). ``ignore`` names the callback
    URL's own parameters, which Telegram does not sign."""

    def __init__(
        self,
        authenticator: Authenticator | None = None,
        *,
        ignore: Collection[str] = ("next",),
        **options: Any,
    ) -> None:
        self.authenticator = _authenticator(authenticator, options)
        self.ignore = frozenset(ignore)

    async def __call__(self, request: Request) -> TelegramIdentity:
        try:
            return self.authenticator.login_widget(request.query_params, ignore=self.ignore)
        except NotAuthenticated as error:
            raise TelegramHTTPException(error) from None


__all__ = [
    "Authenticator",
    "LoginTokens",
    "NotAuthenticated",
    "TelegramBearer",
    "TelegramHTTPException",
    "TelegramIdentity",
    "TelegramInitData",
    "TelegramLoginWidget",
    "add_error_handler",
    "telegram_error_handler",
]
